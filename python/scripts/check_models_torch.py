#!/usr/bin/env python3
"""Pure-PyTorch checks of the reference networks (no exporter, no runtime needed):
forward shapes in eval mode, parameter counts, and that each paper idiom computes its
SPEC §1 shift (slice assignment == quad, pad+chunk+roll+cat+narrow == axial, official
deform_conv2d CycleFC == cycle + 1x1, one-hot depthwise conv == grouped).

    /usr/bin/python3 python/scripts/check_models_torch.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from shiftnn.models import REFERENCE_NETWORKS, count_parameters  # noqa: E402
from shiftnn import displacements, shift as reference_shift  # noqa: E402
from shiftnn.models.asmlp import AxialShift, torch_shift  # noqa: E402
from shiftnn.models.cyclemlp import CycleFC  # noqa: E402
from shiftnn.models.s2mlp import spatial_shift_nchw, spatial_shift_nhwc  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")
    if not ok:
        failures.append(name)


def onehot_dw(x, pattern):
    C = x.shape[1]
    dh, dw = displacements(pattern, C)
    r = max(max(abs(v) for v in dh), max(abs(v) for v in dw), 1)
    k = 2 * r + 1
    w = torch.zeros(C, 1, k, k)
    for c in range(C):
        w[c, 0, r - dh[c], r - dw[c]] = 1.0     # y[p] = x[p - d]
    return F.conv2d(x, w, padding=r, groups=C)


def main():
    torch.manual_seed(123)
    # --- idioms vs SPEC reference
    for shape in [(2, 8, 5, 5), (1, 12, 7, 6), (2, 10, 4, 9)]:
        x = torch.randn(*shape)
        for b in ("keep", "zero"):
            ref = reference_shift(x, "quad", b)
            check(f"s2mlp nchw slice == quad/{b} {shape}", torch.equal(spatial_shift_nchw(x, b), ref))
            y = spatial_shift_nhwc(x.permute(0, 2, 3, 1).contiguous(), b).permute(0, 3, 1, 2)
            check(f"s2mlp nhwc slice == quad/{b} {shape}", torch.equal(y, ref))
        ref = reference_shift(x, "grouped:3", "zero")
        check(f"grouped:3 == one-hot dwconv {shape}", torch.allclose(onehot_dw(x, "grouped:3"), ref, atol=0, rtol=0))
        for axis, dim in (("h", 2), ("w", 3)):
            for S in (3, 5):
                check(f"asmlp torch_shift == axial:{S}:{axis} {shape}",
                      torch.equal(torch_shift(x, S, dim), reference_shift(x, f"axial:{S}:{axis}", "zero")))
        for S in (3, 5):
            torch.manual_seed(0)
            a = AxialShift(shape[1], S, shift_impl="torch_shift").eval()
            torch.manual_seed(0)
            b = AxialShift(shape[1], S, shift_impl="shared_pad").eval()
            with torch.no_grad():
                check(f"AxialShift torch_shift == shared_pad (S={S}) {shape}", torch.equal(a(x), b(x)))
        for ks in ((1, 3), (3, 1)):
            try:
                import torchvision  # noqa: F401
            except ImportError:
                break
            torch.manual_seed(0)
            d = CycleFC(shape[1], 6, ks, impl="deform")
            s = CycleFC(shape[1], 6, ks, impl="shift")
            with torch.no_grad():
                s.fc.weight.copy_(d.weight)
                s.fc.bias.copy_(d.bias)
                ref = F.conv2d(reference_shift(x, s.pattern, "zero"), d.weight, d.bias)
                err = (d(x) - ref).abs().max().item()
            check(f"CycleFC deform_conv2d {ks} == {s.pattern}+1x1 {shape}", err < 1e-5, f"err {err:.2e}")
    # --- the official split-attention re-weighting variant of CycleMLP (PyTorch only)
    from shiftnn.models import cyclemlp_block
    m = cyclemlp_block(dim=16, reweight=True)
    with torch.no_grad():
        y = m(torch.randn(2, 16, 9, 7))
    check("cyclemlp_block(reweight=True) forward", tuple(y.shape) == (2, 16, 9, 7))
    # --- networks
    print()
    print("| network | input | output | parameters | torch eager 1 thread |")
    print("|---|---|---|---|---|")
    torch.set_num_threads(1)
    for name, (build, shape) in REFERENCE_NETWORKS.items():
        m = build()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = m(x)
            t0 = time.perf_counter()
            y2 = m(x)
            dt = time.perf_counter() - t0
        check(f"{name} eval + deterministic", (not m.training) and torch.equal(y, y2))
        check(f"{name} finite", bool(torch.isfinite(y).all()))
        print(f"| {name} | {'x'.join(map(str, shape))} | {'x'.join(map(str, y.shape))} | "
              f"{count_parameters(m):,} | {dt * 1e3:.1f} ms |")
    print()
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
