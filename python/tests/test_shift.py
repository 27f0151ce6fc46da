"""shiftnn.Shift / shiftnn.shift against SPEC §1 and the C++ engine's `shiftnn shift`:
every pattern x boundary, integer (bit exact) and fractional (within 1e-6)."""
import itertools
import unittest

import numpy as np
import torch

from cli_helper import TempDirCase, run_cli

import shiftnn
from shiftnn.patterns import displacement_arrays, is_integer


def spec_shift(x, dh, dw, boundary):
    """SPEC §1 written out literally (integer displacements)."""
    n, c, h, w = x.shape
    y = np.zeros_like(x)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                hs, ws = i - int(dh[ch]), j - int(dw[ch])
                inside = 0 <= hs < h and 0 <= ws < w
                if inside:
                    y[:, ch, i, j] = x[:, ch, hs, ws]
                elif boundary == "zero":
                    y[:, ch, i, j] = 0
                elif boundary == "replicate":
                    y[:, ch, i, j] = x[:, ch, min(max(hs, 0), h - 1), min(max(ws, 0), w - 1)]
                elif boundary == "keep":
                    y[:, ch, i, j] = x[:, ch, i, j]
                else:
                    y[:, ch, i, j] = x[:, ch, hs % h, ws % w]
    return y


C = 10
PATTERNS = [
    "quad", "quad:2", "quad:0.5", "grouped:3", "grouped:3:2", "grouped:1", "axial:3:h",
    "axial:5:w:2", "axial:4:h", "cycle:3:h", "cycle:7:w", "uniform:1,-2", "uniform:0.25,-1.5",
    "uniform:7,0", "uniform:-3.5,12", "uniform:0,0",
    "list:" + ";".join("%d,%d" % (i % 3 - 1, (i * 7) % 5 - 2) for i in range(C)),
    "list:" + ";".join("%.3f,%.2f" % ((i % 3 - 1) * 0.37, (i * 7) % 5 - 2.5) for i in range(C)),
]


class DisplacementTest(unittest.TestCase):
    def test_quad_bounds(self):
        dh, dw = shiftnn.displacements("quad", 10)  # bounds 0, 2, 5, 7, 10
        self.assertEqual(dw, [1, 1, -1, -1, -1, 0, 0, 0, 0, 0])
        self.assertEqual(dh, [0, 0, 0, 0, 0, 1, 1, -1, -1, -1])

    def test_grouped_interleaved(self):
        dh, dw = shiftnn.displacements("grouped:3", 11)
        self.assertEqual(list(zip(dh, dw))[:9],
                         [(1, 1), (1, 0), (1, -1), (0, 1), (0, 0), (0, -1), (-1, 1), (-1, 0),
                          (-1, -1)])
        self.assertEqual(list(zip(dh, dw))[9:], [(0, 0), (0, 0)])

    def test_axial_follows_torch_chunk(self):
        for c, s in ((10, 3), (4, 3), (5, 3), (8, 5)):
            x = torch.arange(c)
            chunks = torch.chunk(x, s)
            want = []
            for i, piece in enumerate(chunks):
                want += [i - s // 2] * len(piece)
            self.assertEqual(shiftnn.displacements("axial:%d:w" % s, c)[1], want, (c, s))

    def test_cycle(self):
        self.assertEqual(shiftnn.displacements("cycle:3:h", 5)[0], [0, -1, 1, 0, -1])

    def test_errors(self):
        for pattern, c in (("list:1,2", 2), ("grouped:2", 4), ("quad:-1", 4), ("axial:0:h", 4),
                           ("axial:3:x", 4), ("cycle:3", 4), ("uniform:1", 4), ("nope", 4),
                           ("quad:abc", 4), ("grouped:+3", 9), ("uniform:inf,0", 1)):
            with self.assertRaises(shiftnn.PatternError, msg=pattern):
                shiftnn.displacements(pattern, c)
        with self.assertRaises(shiftnn.PatternError):
            shiftnn.Shift("uniform:0.5,0", "keep")
        with self.assertRaises(shiftnn.PatternError):
            shiftnn.Shift("quad", "mirror")

    def test_spec_formula(self):
        g = torch.Generator().manual_seed(1)
        x = torch.randn(2, C, 5, 6, generator=g)
        for pattern, b in itertools.product(PATTERNS, shiftnn.BOUNDARIES):
            dh, dw = displacement_arrays(pattern, C)
            if not is_integer(dh, dw):
                continue
            got = shiftnn.Shift(pattern, b)(x).numpy()
            np.testing.assert_array_equal(got, spec_shift(x.numpy(), dh, dw, b),
                                          err_msg="%s %s" % (pattern, b))

    def test_differentiable(self):
        x = torch.randn(1, 8, 4, 4, requires_grad=True)
        shiftnn.Shift("quad:0.5")(x).sum().backward()
        self.assertEqual(x.grad.shape, x.shape)


class AgainstEngineTest(TempDirCase):
    def test_every_pattern_and_boundary(self):
        g = torch.Generator().manual_seed(2)
        x = torch.randn(2, C, 6, 7, generator=g)
        xp = self.save("x.npy", x.numpy())
        yp = self.path("y.npy")
        np.save(self.path("d.npy"), np.stack(displacement_arrays(PATTERNS[-1], C), 1))
        patterns = PATTERNS + ["file:" + self.path("d.npy")]
        checked = 0
        for pattern, b in itertools.product(patterns, shiftnn.BOUNDARIES):
            dh, dw = displacement_arrays(pattern, C)
            integer = is_integer(dh, dw)
            if b == "keep" and not integer:
                with self.assertRaises(shiftnn.PatternError):
                    shiftnn.shift(x, pattern, b)
                rc, err = run_cli("shift", "--input", xp, "--output", yp, "--pattern", pattern,
                                  "--boundary", b)
                self.assertEqual(rc, 2, err)
                continue
            want = shiftnn.shift(x, pattern, b)
            strategies = ["auto", "copy", "roll"] if integer else ["auto", "deform", "dwconv"]
            for strategy in strategies:
                rc, err = run_cli("shift", "--input", xp, "--output", yp, "--pattern", pattern,
                                  "--boundary", b, "--strategy", strategy)
                self.assertEqual(rc, 0, "%s %s %s: %s" % (pattern, b, strategy, err))
                got = torch.from_numpy(np.load(yp))
                msg = "%s %s %s" % (pattern, b, strategy)
                if integer:
                    self.assertTrue(torch.equal(got, want), msg)
                else:
                    self.assertLessEqual(float((got - want).abs().max()),
                                         1e-6 * float(x.abs().max()), msg)
                checked += 1
        self.assertGreater(checked, 100)


if __name__ == "__main__":
    unittest.main()
