"""shiftnn.export: tiny models written in plain PyTorch, exported, run by the C++ runtime
(`shiftnn run`) and compared with PyTorch (1e-4 relative). One test per shift idiom and
per operator, small reference-style networks, and the error cases."""
import os
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cli_helper import TempDirCase, run_cli

import shiftnn
from shiftnn import safetensors

try:
    import torchvision
    from torchvision.ops import deform_conv2d
except ImportError:  # pragma: no cover - depends on the machine
    torchvision = None

DIRS = [(0, 1), (0, -1), (1, 0), (-1, 0)]  # quad: right, left, down, up


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------
# Shifts the ways papers and the seed write them.


def asmlp_shift(x, s, dim):
    """AS-MLP: zero pad, chunk, roll chunk i by i - pad, cat, narrow back."""
    _, _, h, w = x.shape
    pad = s // 2
    x = F.pad(x, (pad, pad, pad, pad), "constant", 0)
    xs = torch.chunk(x, s, 1)
    x_shift = [torch.roll(x_c, shift, dim) for x_c, shift in zip(xs, range(-pad, pad + 1))]
    x_cat = torch.cat(x_shift, 1)
    x_cat = torch.narrow(x_cat, 2, pad, h)
    return torch.narrow(x_cat, 3, pad, w)


def s2mlp_zeros(x):
    n, c, h, w = x.shape
    b = [(k * c) // 4 for k in range(5)]
    out = torch.zeros_like(x)
    out[:, b[0]:b[1], :, 1:] = x[:, b[0]:b[1], :, :w - 1]
    out[:, b[1]:b[2], :, :w - 1] = x[:, b[1]:b[2], :, 1:]
    out[:, b[2]:b[3], 1:, :] = x[:, b[2]:b[3], :h - 1, :]
    out[:, b[3]:b[4], :h - 1, :] = x[:, b[3]:b[4], 1:, :]
    return out


def s2mlp_clone(x):  # the seed's method 1
    c = x.shape[1] // 4
    y = torch.clone(x)
    y[:, 0 * c:1 * c, :, 1:] = x[:, 0 * c:1 * c, :, :-1]
    y[:, 1 * c:2 * c, :, :-1] = x[:, 1 * c:2 * c, :, 1:]
    y[:, 2 * c:3 * c, 1:, :] = x[:, 2 * c:3 * c, :-1, :]
    y[:, 3 * c:4 * c, :-1, :] = x[:, 3 * c:4 * c, 1:, :]
    return y


def s2mlp_official(x, out_of_place=False):
    """S2-MLP's code: channels last (dims named b, w, h, c), slice assignment in place.
    The export computes the intended out-of-place shift (eager in-place copies of
    overlapping slices differ)."""
    x = x.permute(0, 2, 3, 1)
    b, w, h, c = x.size()
    src = x
    x = x * 1 if not out_of_place else x.clone()
    src = x if not out_of_place else src
    x[:, 1:, :, :c // 4] = src[:, :w - 1, :, :c // 4]
    x[:, :w - 1, :, c // 4:c // 2] = src[:, 1:, :, c // 4:c // 2]
    x[:, :, 1:, c // 2:c * 3 // 4] = src[:, :, :h - 1, c // 2:c * 3 // 4]
    x[:, :, :h - 1, 3 * c // 4:] = src[:, :, 1:, 3 * c // 4:]
    return x.permute(0, 3, 1, 2)


def grouped_windows(x, k=3):
    """Shift (Wu et al.) as a per-channel window of the zero-padded input."""
    n, c, h, w = x.shape
    r = k // 2
    xp = F.pad(x, (r, r, r, r), "constant", 0)
    outs = []
    for ch in range(c):
        if ch < (c // (k * k)) * (k * k):
            ow, oh = ch % k - r, (ch // k) % k - r
        else:
            ow, oh = 0, 0
        outs.append(xp[:, ch:ch + 1, r + oh:r + oh + h, r + ow:r + ow + w])
    return torch.cat(outs, 1)


def one_hot_kernels(c, k=3):
    w = torch.zeros(c, 1, k, k)
    for ch in range(c):
        dh, dw = DIRS[min(ch // (c // 4), 3)]
        w[ch, 0, k // 2 - dh, k // 2 - dw] = 1.0
    return w


class DWConvShift(nn.Module):
    def __init__(self, c, pad_mode=None):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=0 if pad_mode else 1, groups=c, bias=False)
        self.pad_mode = pad_mode
        with torch.no_grad():
            self.conv.weight.copy_(one_hot_kernels(c))

    def forward(self, x):
        if self.pad_mode:
            x = F.pad(x, [1, 1, 1, 1], mode=self.pad_mode)
        return self.conv(x)


def roll_chunks(x):
    return torch.cat([torch.roll(t, s, (2, 3)) for t, s in zip(x.chunk(4, 1), DIRS)], 1)


def seed_roll(x):  # the seed's method 2: pad + roll + crop
    p = F.pad(x, [1, 1, 1, 1], mode="replicate")
    y = torch.cat([torch.roll(t, shifts=s, dims=(2, 3)) for t, s in zip(p.chunk(4, 1), DIRS)], 1)
    return y[..., 1:-1, 1:-1]


class SeedDeform(nn.Module):  # the seed's method 3
    def __init__(self, n, c, h, w):
        super().__init__()
        off = torch.empty(1, 2 * c, 1, 1)
        for ch in range(c):
            dh, dw = DIRS[ch // (c // 4)]
            off[0, 2 * ch], off[0, 2 * ch + 1] = -dh, -dw
        self.register_buffer("off", off.repeat(n, 1, h + 2, w + 2).contiguous())
        self.register_buffer("w", torch.eye(c).reshape(c, c, 1, 1))

    def forward(self, x):
        p = F.pad(x, [1, 1, 1, 1], mode="replicate")
        return deform_conv2d(p, offset=self.off, weight=self.w)[..., 1:-1, 1:-1]


class SeedGrid(nn.Module):  # the seed's method 5
    def __init__(self, n, c, h, w):
        super().__init__()
        hc, wc = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        grids = []
        for dh, dw in DIRS:
            g = torch.stack([2 * torch.clamp(wc - dw, 0, w - 1) / max(w - 1, 1) - 1,
                             2 * torch.clamp(hc - dh, 0, h - 1) / max(h - 1, 1) - 1], -1).float()
            grids.append(g.unsqueeze(0).expand(n, h, w, 2))
        self.grids = grids

    def forward(self, x):
        return torch.cat([F.grid_sample(t, g, mode="bilinear", align_corners=True)
                          for t, g in zip(x.chunk(4, 1), self.grids)], 1)


def active_shift(x, dh=-0.6, dw=0.3):
    """Active Shift: a fractional translation with grid_sample."""
    n, c, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32), indexing="ij")
    gx = (xs - dw + 0.5) / w * 2 - 1
    gy = (ys - dh + 0.5) / h * 2 - 1
    g = torch.stack([gx, gy], -1)[None].expand(n, h, w, 2)
    return F.grid_sample(x, g, align_corners=False, padding_mode="zeros")


class CycleFC(nn.Module):
    """CycleMLP's CycleFC: deform_conv2d with fixed offsets and a learned 1x1 weight."""

    def __init__(self, c, o, kernel):
        super().__init__()
        self.c, self.kernel = c, kernel
        self.weight = nn.Parameter(randn(o, c, 1, 1, seed=3) * 0.3)
        self.bias = nn.Parameter(randn(o, seed=4))
        offset = torch.empty(1, c * 2, 1, 1)
        start = (kernel[0] * kernel[1]) // 2
        for i in range(c):
            if kernel[0] == 1:
                offset[0, 2 * i + 0] = 0
                offset[0, 2 * i + 1] = (i + start) % kernel[1] - (kernel[1] // 2)
            else:
                offset[0, 2 * i + 0] = (i + start) % kernel[0] - (kernel[0] // 2)
                offset[0, 2 * i + 1] = 0
        self.register_buffer("offset", offset)

    def forward(self, x):
        b, _, h, w = x.size()
        return deform_conv2d(x, self.offset.expand(b, -1, h, w), self.weight, self.bias)


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


# ---------------------------------------------------------------------------------------
# Small reference-style networks.


class ShiftResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        self.shift = shiftnn.Shift("grouped:3")
        self.conv2 = nn.Conv2d(24, 32, 1, stride=2, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 10)
        g = torch.Generator().manual_seed(5)
        for bn in (self.bn0, self.bn1, self.bn2):
            with torch.no_grad():
                bn.weight.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
                bn.bias.copy_(torch.randn(bn.num_features, generator=g) * 0.3)
                bn.running_mean.copy_(torch.randn(bn.num_features, generator=g) * 0.5)
                bn.running_var.copy_(torch.rand(bn.num_features, generator=g) + 0.5)

    def forward(self, x):
        s = F.relu(self.bn0(self.stem(x)))
        t = F.relu(self.bn1(self.conv1(s)))
        t = self.bn2(self.conv2(self.shift(t)))
        # Option A shortcut of CIFAR ResNets: subsample and zero-pad the channels.
        short = F.pad(s[:, :, ::2, ::2], (0, 0, 0, 0, 8, 8), "constant", 0)
        t = F.relu(t + short)
        t = F.avg_pool2d(t, t.size()[3])
        return self.fc(t.view(t.size(0), -1))


class S2MLPish(nn.Module):
    """Patch embedding, channels-last S2-MLP block with LayerNorm and Linear, head."""

    def __init__(self, c=16):
        super().__init__()
        self.embed = nn.Conv2d(3, c, 4, stride=4)
        self.norm = nn.LayerNorm(c)
        self.fc1 = nn.Linear(c, c)
        self.fc2 = nn.Linear(c, c)
        self.head = nn.Linear(c, 5)

    def forward(self, x):
        x = self.embed(x).permute(0, 2, 3, 1)  # B, H, W, C
        t = self.fc1(self.norm(x))
        t = F.gelu(t).permute(0, 3, 1, 2)
        t = s2mlp_zeros(t).permute(0, 2, 3, 1)
        x = x + self.fc2(t)
        return self.head(x.mean(dim=(1, 2)))


class ASMLPish(nn.Module):
    """GroupNorm(1, C), AS-MLP axial shifts, 1x1 convs, patch merging, pooled head."""

    def __init__(self, c=12):
        super().__init__()
        self.embed = nn.Conv2d(3, c, 4, stride=4)
        self.norm = nn.GroupNorm(1, c)
        self.conv1 = nn.Conv2d(c, c, 1)
        self.conv_h = nn.Conv2d(c, c, 1)
        self.conv_w = nn.Conv2d(c, c, 1)
        self.proj = nn.Conv2d(c, c, 1)
        self.reduce = nn.Conv2d(4 * c, 2 * c, 1, bias=False)
        self.merge_norm = nn.GroupNorm(1, 4 * c)
        self.head = nn.Linear(2 * c, 7)

    def forward(self, x):
        x = self.embed(x)
        t = self.conv1(self.norm(x))
        t = F.gelu(self.conv_h(asmlp_shift(t, 3, 2)) + self.conv_w(asmlp_shift(t, 3, 3)))
        x = x + self.proj(t)
        x0, x1 = x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2]
        x2, x3 = x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]
        x = self.reduce(self.merge_norm(torch.cat([x0, x1, x2, x3], 1)))
        x = F.adaptive_avg_pool2d(x, 1)
        return torch.softmax(self.head(torch.flatten(x, 1)), dim=1)


class CycleMLPish(nn.Module):
    """CycleMLP's block without the reweighting, channels last as in its code."""

    def __init__(self, c=8):
        super().__init__()
        self.norm1 = nn.LayerNorm(c)
        self.sfc_h = CycleFC(c, c, (3, 1))
        self.sfc_w = CycleFC(c, c, (1, 3))
        self.mlp_c = nn.Linear(c, c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        n = self.norm1(x).permute(0, 3, 1, 2)
        h = self.sfc_h(n).permute(0, 2, 3, 1)
        w = self.sfc_w(n).permute(0, 2, 3, 1)
        c = self.mlp_c(n.permute(0, 2, 3, 1))
        x = x + self.proj(h + w + c)
        return x.permute(0, 3, 1, 2)


# ---------------------------------------------------------------------------------------


class ExportCase(TempDirCase):
    def roundtrip(self, model, x, batches=(None,), name="m"):
        """Export, run with the CLI, compare with PyTorch; returns the graph."""
        if isinstance(model, nn.Module):
            model.eval()
        path = self.path(name)
        graph = shiftnn.export(model, x, path)
        self.assertTrue(os.path.exists(path + ".json") and os.path.exists(path + ".safetensors"))
        for n in batches:
            xi = x if n is None else randn(n, *x.shape[1:], seed=9)
            xp = self.save("in.npy", xi.numpy())
            yp = self.path("out.npy")
            rc, err = run_cli("run", path + ".json", "--input", xp, "--output", yp)
            self.assertEqual(rc, 0, err)
            with torch.no_grad():
                want = model(xi).numpy()
            got = np.load(yp)
            self.assertEqual(got.shape, want.shape)
            scale = max(float(np.abs(want).max()), 1e-30)
            err = float(np.abs(got - want).max()) / scale
            self.assertLessEqual(err, 1e-4, "relative error %g" % err)
        return graph

    def ops(self, graph):
        return [n["op"] for n in graph["nodes"]]

    def shifts(self, graph):
        return [(n["attrs"]["pattern"], n["attrs"].get("boundary", "zero"))
                for n in graph["nodes"] if n["op"] == "Shift"]

    def assert_one_shift(self, graph, pattern, boundary):
        self.assertEqual(self.ops(graph), ["Shift"], graph["nodes"])
        self.assertEqual(self.shifts(graph), [(pattern, boundary)])


class ShiftIdiomTest(ExportCase):
    def test_asmlp_pad_chunk_roll_cat_narrow(self):
        x = randn(2, 10, 6, 7)
        for s in (3, 5):
            for dim, axis in ((2, "h"), (3, "w")):
                g = self.roundtrip(Fn(lambda t: asmlp_shift(t, s, dim)), x)
                self.assert_one_shift(g, "axial:%d:%s" % (s, axis), "zero")

    def test_asmlp_shared_pad_and_chunks(self):
        def both(x, s=5):  # AS-MLP's inline form: one pad and one chunk for both axes
            _, _, h, w = x.shape
            p = s // 2
            xs = torch.chunk(F.pad(x, (p, p, p, p)), s, 1)

            def shift(dim):
                cat = torch.cat([torch.roll(c, k, dim) for c, k in zip(xs, range(-p, p + 1))], 1)
                return torch.narrow(torch.narrow(cat, 2, p, h), 3, p, w)
            return shift(3) + 2 * shift(2)
        g = self.roundtrip(Fn(both), randn(2, 10, 7, 6))
        self.assertEqual(sorted(self.shifts(g)), [("axial:5:h", "zero"), ("axial:5:w", "zero")])
        self.assertNotIn("Slice", self.ops(g))

    def test_roll_and_mask(self):
        mask = torch.ones(1, 1, 5, 6)
        mask[..., 0] = 0
        g = self.roundtrip(Fn(lambda t: torch.roll(t, 1, 3) * mask), randn(2, 8, 5, 6))
        self.assert_one_shift(g, "uniform:0,1", "zero")

    def test_s2mlp_slice_assignment_into_zeros(self):
        g = self.roundtrip(Fn(s2mlp_zeros), randn(2, 10, 5, 6), batches=(None, 3))
        self.assert_one_shift(g, "quad", "zero")

    def test_s2mlp_slice_assignment_into_clone(self):
        g = self.roundtrip(Fn(s2mlp_clone), randn(1, 8, 5, 5))
        self.assert_one_shift(g, "quad", "keep")

    def test_s2mlp_channels_last_in_place(self):
        x = randn(2, 8, 5, 5)
        g = shiftnn.export(Fn(s2mlp_official), x, self.path("m"))
        self.assertEqual(self.ops(g), ["Shift"])
        # Written in place on channels-last data: the intended (out-of-place) shift.
        self.roundtrip(Fn(lambda t: s2mlp_official(t, out_of_place=True)), x)
        self.assertEqual(self.shifts(g), [("list:1,0;1,0;-1,0;-1,0;0,1;0,1;0,-1;0,-1", "keep")])

    def test_grouped_windows(self):
        g = self.roundtrip(Fn(grouped_windows), randn(2, 20, 5, 6))
        self.assert_one_shift(g, "grouped:3", "zero")

    def test_one_hot_depthwise_conv(self):
        x = randn(2, 8, 5, 6)
        for mode, boundary in ((None, "zero"), ("replicate", "replicate"),
                               ("circular", "circular")):
            g = self.roundtrip(DWConvShift(8, mode), x)
            self.assert_one_shift(g, "quad", boundary)

    def test_fractional_kernels_and_offsets(self):
        x = randn(2, 4, 6, 7)
        w = torch.zeros(4, 1, 3, 3)  # bilinear taps of (dh, dw) = (0.25, -0.5)
        w[:, 0, 0, 1:] = 0.25 * 0.5
        w[:, 0, 1, 1:] = 0.75 * 0.5
        g = self.roundtrip(Fn(lambda t: F.conv2d(t, w, padding=1, groups=4)), x)
        self.assert_one_shift(g, "uniform:0.25,-0.5", "zero")
        if torchvision is not None:
            off = torch.tensor([-0.3, 0.7, 0.5, 0.0, 0.0, -1.0, 1.25, 0.5]).reshape(1, 8, 1, 1)
            eye = torch.eye(4).reshape(4, 4, 1, 1)
            g = self.roundtrip(Fn(lambda t: deform_conv2d(t, off.expand(t.shape[0], 8, 6, 7),
                                                          eye)), x)
            self.assert_one_shift(g, "list:0.3,-0.7;-0.5,0;0,1;-1.25,-0.5", "zero")

    def test_roll(self):
        x = randn(2, 8, 5, 6)
        g = self.roundtrip(Fn(lambda t: torch.roll(t, (1, -2), (2, 3))), x)
        self.assert_one_shift(g, "uniform:1,-2", "circular")
        g = self.roundtrip(Fn(roll_chunks), x)
        self.assert_one_shift(g, "quad", "circular")
        g = self.roundtrip(Fn(seed_roll), x)
        self.assert_one_shift(g, "quad", "replicate")

    @unittest.skipIf(torchvision is None, "no torchvision")
    def test_deform_conv2d(self):
        x = randn(2, 8, 5, 6)
        g = self.roundtrip(SeedDeform(2, 8, 5, 6), x)
        self.assert_one_shift(g, "quad", "replicate")
        g = self.roundtrip(CycleFC(8, 6, (1, 3)), x, batches=(None, 1))
        self.assertEqual(self.ops(g), ["Shift", "Conv2d"])
        self.assertEqual(self.shifts(g), [("cycle:3:w", "zero")])
        fc = CycleFC(8, 8, (7, 1))
        with torch.no_grad():
            fc.weight.copy_(torch.eye(8)[:, :, None, None])
            fc.bias.zero_()
        g = self.roundtrip(fc, x)
        self.assert_one_shift(g, "cycle:7:h", "zero")

    def test_grid_sample_shifts(self):
        x = randn(2, 8, 5, 6)
        g = self.roundtrip(SeedGrid(2, 8, 5, 6), x)
        self.assert_one_shift(g, "quad", "replicate")
        g = self.roundtrip(Fn(active_shift), x)
        self.assert_one_shift(g, "uniform:-0.6,0.3", "zero")

    def test_shift_module(self):
        x = randn(2, 8, 5, 6)
        np.save(self.path("d.npy"), np.array([[i % 3 - 1, 0.5] for i in range(8)], np.float32))
        for pattern, boundary in (("quad", "zero"), ("grouped:3:2", "replicate"),
                                  ("axial:3:w", "circular"), ("cycle:5:h", "keep"),
                                  ("uniform:0.5,-0.25", "replicate"), ("quad:1.5", "circular"),
                                  ("list:0,1;0,2;1,1;0.5,0;0,0;-1,-1;2,2;0,0.75", "zero")):
            m = nn.Sequential(nn.Conv2d(8, 8, 1), shiftnn.Shift(pattern, boundary), nn.ReLU())
            g = self.roundtrip(m, x)
            self.assertEqual(self.shifts(g), [(pattern, boundary)])
        # file: patterns are resolved into the model (no path in the JSON)
        m = shiftnn.Shift("file:" + self.path("d.npy"), "zero")
        g = self.roundtrip(m, x)
        self.assertTrue(self.shifts(g)[0][0].startswith("list:"))

    def test_not_a_shift_is_not_one(self):
        # A channel reversal by slices and cat is data movement but no shift: Slice+Concat.
        x = randn(1, 8, 4, 4)
        g = self.roundtrip(Fn(lambda t: torch.cat([t[:, 4:], t[:, :4]], 1)), x)
        self.assertEqual(sorted(self.ops(g)), ["Concat", "Slice", "Slice"])
        # x + shift(x): the residual add stays an Add.
        g = self.roundtrip(Fn(lambda t: t + s2mlp_zeros(t)), x)
        self.assertEqual(self.ops(g), ["Shift", "Add"])


class OpTest(ExportCase):
    def test_conv2d(self):
        x = randn(2, 8, 9, 9)
        for conv in (nn.Conv2d(8, 16, 4, stride=4), nn.Conv2d(8, 6, 3, padding=1, bias=False),
                     nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=4),
                     nn.Conv2d(8, 8, (1, 3), padding=(0, 1), groups=8)):
            g = self.roundtrip(conv, x, batches=(None, 3))
            self.assertEqual(self.ops(g), ["Conv2d"])

    def test_norms(self):
        x = randn(2, 8, 5, 5)
        bn = nn.BatchNorm2d(8)
        gn = nn.GroupNorm(2, 8)
        with torch.no_grad():
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2)
            gn.weight.uniform_(0.5, 1.5)
        g = self.roundtrip(nn.Sequential(nn.Conv2d(8, 8, 1), bn, gn), x)
        self.assertEqual(self.ops(g), ["Conv2d", "BatchNorm", "GroupNorm"])
        bn1 = nn.BatchNorm1d(8).eval()  # not a submodule of Fn: export's eval() misses it
        with torch.no_grad():
            bn1.running_var.uniform_(0.5, 2)
        g = self.roundtrip(Fn(lambda t: bn1(t.mean((2, 3)))), x)
        self.assertIn("BatchNorm", self.ops(g))

    def test_layer_norm_channels(self):
        x = randn(2, 8, 5, 6)
        ln = nn.LayerNorm(8)
        with torch.no_grad():
            ln.weight.uniform_(0.5, 1.5)
            ln.bias.normal_()
        g = self.roundtrip(Fn(lambda t: ln(t.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)), x)
        self.assertEqual(self.ops(g), ["LayerNorm"])
        # F.layer_norm on tokens: N, H*W, C
        g = self.roundtrip(Fn(lambda t: ln(t.flatten(2).transpose(1, 2)).transpose(1, 2)
                              .reshape(t.shape)), x)
        self.assertEqual(self.ops(g), ["LayerNorm"])

    def test_linear(self):
        x = randn(2, 8, 3, 3)
        fc = nn.Linear(72, 5)
        g = self.roundtrip(Fn(lambda t: fc(torch.flatten(t, 1))), x, batches=(None, 4))
        self.assertEqual(self.ops(g), ["Flatten", "Linear"])
        cl = nn.Linear(8, 6)  # channels last: a 1x1 convolution
        g = self.roundtrip(Fn(lambda t: cl(t.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)), x)
        self.assertEqual(self.ops(g)[0], "Conv2d")

    def test_activations_and_softmax(self):
        x = randn(2, 8, 4, 4)
        g = self.roundtrip(Fn(lambda t: torch.softmax(F.gelu(F.relu(t) - 0.5), dim=1)), x)
        self.assertEqual([o for o in self.ops(g) if o != "Conv2d"], ["ReLU", "GELU", "Softmax"])
        g = self.roundtrip(nn.GELU(), x)
        self.assertEqual(self.ops(g), ["GELU"])

    def test_add_mul_and_constants(self):
        x = randn(2, 8, 4, 4)
        conv = nn.Conv2d(8, 8, 1)
        gamma = randn(8, 1, 1, seed=1)
        pos = randn(1, 8, 4, 4, seed=2)
        g = self.roundtrip(Fn(lambda t: t + conv(t)), x)
        self.assertEqual(self.ops(g), ["Conv2d", "Add"])
        g = self.roundtrip(Fn(lambda t: torch.add(t, t * F.relu(conv(t.mean((2, 3),
                                                                        keepdim=True))))), x)
        self.assertIn("Mul", self.ops(g))
        self.roundtrip(Fn(lambda t: gamma * t + pos - t / 4), x, batches=(None, 3))

    def test_cat_slices_patch_merging(self):
        x = randn(2, 8, 6, 6)

        def merge(t):
            return torch.cat([t[:, :, 0::2, 0::2], t[:, :, 1::2, 0::2], t[:, :, 0::2, 1::2],
                              t[:, :, 1::2, 1::2]], 1)
        g = self.roundtrip(Fn(merge), x, batches=(None, 3))
        self.assertEqual(self.ops(g), ["Slice"] * 4 + ["Concat"])

        def merge_channels_last(t):  # Swin's PatchMerging on B, H, W, C
            t = t.permute(0, 2, 3, 1)
            t = torch.cat([t[:, 0::2, 0::2, :], t[:, 1::2, 0::2, :], t[:, 0::2, 1::2, :],
                           t[:, 1::2, 1::2, :]], -1)
            return t.permute(0, 3, 1, 2)
        g = self.roundtrip(Fn(merge_channels_last), x)
        self.assertEqual(self.ops(g), ["Slice"] * 4 + ["Concat"])

    def test_pooling_and_flatten(self):
        x = randn(2, 8, 5, 5)
        for fn in (lambda t: F.adaptive_avg_pool2d(t, 1).flatten(1), lambda t: t.mean((2, 3)),
                   lambda t: t.mean((-1, -2), keepdim=True),
                   lambda t: F.avg_pool2d(t, t.size()[3]).view(t.size(0), -1)):
            g = self.roundtrip(Fn(fn), x)
            self.assertEqual(self.ops(g)[0], "GlobalAvgPool")

    def test_zero_padding(self):
        x = randn(2, 8, 5, 5)
        self.roundtrip(Fn(lambda t: F.pad(t, (1, 0, 2, 1))), x)
        self.roundtrip(Fn(lambda t: F.pad(t[:, :, ::2, ::2], (0, 0, 0, 0, 4, 4))), x)

    def test_grid_sample(self):
        x = randn(2, 8, 5, 6)

        def rotate(t):
            theta = torch.tensor([[0.8, -0.6, 0.1], [0.6, 0.8, 0.0]]).expand(t.shape[0], 2, 3)
            grid = F.affine_grid(theta, list(t.shape), align_corners=False)
            return F.grid_sample(t, grid, align_corners=False, padding_mode="border")
        g = self.roundtrip(Fn(rotate), x)
        self.assertIn("GridSample", self.ops(g))
        conv = nn.Conv2d(8, 2, 1)  # a grid computed from the input: N x 2 x H x W permuted

        def learned(t):
            grid = conv(t).permute(0, 2, 3, 1) * 0.5
            return F.grid_sample(t, grid, mode="bilinear", padding_mode="zeros",
                                 align_corners=True)
        g = self.roundtrip(Fn(learned), x)
        self.assertEqual(self.ops(g), ["Conv2d", "Conv2d", "GridSample"])

    def test_weights_file(self):
        conv = nn.Conv2d(8, 4, 3, padding=1)
        self.roundtrip(conv, randn(1, 8, 4, 4), name="w")
        w = safetensors.load(self.path("w.safetensors"))
        self.assertEqual(sorted(w), ["conv2d.bias", "conv2d.weight"])
        np.testing.assert_array_equal(w["conv2d.weight"], conv.weight.detach().numpy())


class GraphTest(ExportCase):
    def test_two_inputs_two_outputs(self):
        conv = nn.Conv2d(8, 8, 1)
        model = Fn(lambda a, b: (conv(a) + b, a * 2)).eval()
        a, b = randn(2, 8, 5, 6, seed=1), randn(2, 8, 5, 6, seed=2)
        g = shiftnn.export(model, (a, b), self.path("two"))
        self.assertEqual([i["name"] for i in g["inputs"]], ["x0", "x1"])
        rc, err = run_cli("run", self.path("two.json"), "--input", self.save("a.npy", a),
                          "--input", self.save("b.npy", b), "--output", self.path("y0.npy"),
                          "--output", self.path("y1.npy"))
        self.assertEqual(rc, 0, err)
        with torch.no_grad():
            want = model(a, b)
        for i in range(2):
            np.testing.assert_allclose(np.load(self.path("y%d.npy" % i)), want[i].numpy(),
                                       rtol=1e-4, atol=1e-5)


class NetworkTest(ExportCase):
    def test_shiftresnet_like(self):
        g = self.roundtrip(ShiftResNetish(), randn(2, 3, 8, 8), batches=(None, 1))
        self.assertEqual(self.shifts(g), [("grouped:3", "zero")])

    def test_s2mlp_like(self):
        g = self.roundtrip(S2MLPish(), randn(2, 3, 16, 16))
        self.assertEqual(self.shifts(g), [("quad", "zero")])

    def test_asmlp_like(self):
        g = self.roundtrip(ASMLPish(), randn(2, 3, 16, 16))
        self.assertEqual(self.shifts(g), [("axial:3:h", "zero"), ("axial:3:w", "zero")])

    @unittest.skipIf(torchvision is None, "no torchvision")
    def test_cyclemlp_like(self):
        g = self.roundtrip(CycleMLPish(), randn(2, 8, 6, 6))
        self.assertEqual(sorted(self.shifts(g)), [("cycle:3:h", "zero"), ("cycle:3:w", "zero")])


class ErrorTest(unittest.TestCase):
    def export(self, model, x=None):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            return shiftnn.export(model, randn(1, 8, 4, 4) if x is None else x,
                                  os.path.join(d, "m"))

    def test_unsupported_op_is_named_with_its_place(self):
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Conv2d(8, 8, 1)

            def forward(self, x):
                return torch.sigmoid(self.fc(x))

        model = nn.Sequential(nn.Identity(), Block())
        with self.assertRaises(shiftnn.ExportError) as cm:
            self.export(model)
        msg = str(cm.exception)
        self.assertIn("sigmoid", msg)
        self.assertIn("'1' (Block)", msg)
        self.assertIn("test_export.py", msg)
        self.assertIn("return torch.sigmoid(self.fc(x))", msg)

    def test_gelu_tanh(self):
        with self.assertRaises(shiftnn.ExportError) as cm:
            self.export(nn.GELU(approximate="tanh"))
        self.assertIn("tanh", str(cm.exception))

    def test_other_errors(self):
        cases = [(nn.MaxPool2d(2), "max_pool2d"),
                 (Fn(lambda t: torch.roll(t, 1, 1)), "roll"),
                 (Fn(lambda t: torch.cat([t, t], 2)), "cat"),
                 (nn.ConvTranspose2d(8, 8, 2), "transposed"),
                 (shiftnn.Shift("list:0,1;1,0"), "list has 2 pairs"),
                 (Fn(lambda t: F.pad(t, (1, 1, 1, 1), value=1.0)), "padding with the value")]
        for model, needle in cases:
            with self.assertRaises(shiftnn.ExportError, msg=needle) as cm:
                self.export(model)
            self.assertIn(needle, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
