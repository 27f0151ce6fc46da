"""PyTorch peer timings for bench/compare.py and bench/report.py: the seed's five shift
strategies, as in /work/shared/peers/torch_strategies.py (quad pattern, |d| = 1,
boundary replicate), for one thread count per process. Prints one JSON object:
{"threads": T, "torch": version, "rows": [{"shape": "NxCxHxW", "clone": us, "slice": us, ...}]}.
--sweep MAX_BYTES times only clone and slice on bench_shift's sweep shapes (1xCx56x56
from 16 KiB to MAX_BYTES in steps of sqrt(2)); its rows also hold "bytes" (one tensor).
Times are medians over repeated timings, in microseconds: process CPU time for one
thread (as bench_shift reports one thread), wall time for more."""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

DIRS = [(0, 1), (0, -1), (1, 0), (-1, 0)]  # (dh, dw) of each channel quarter: out[h,w] = in[h-dh, w-dw]


def slice_shift(x):
    c = x.shape[1] // 4
    y = torch.clone(x)
    y[:, 0 * c:1 * c, :, 1:] = x[:, 0 * c:1 * c, :, :-1]
    y[:, 1 * c:2 * c, :, :-1] = x[:, 1 * c:2 * c, :, 1:]
    y[:, 2 * c:3 * c, 1:, :] = x[:, 2 * c:3 * c, :-1, :]
    y[:, 3 * c:4 * c, :-1, :] = x[:, 3 * c:4 * c, 1:, :]
    return y


def roll_shift(x):
    p = F.pad(x, [1, 1, 1, 1], mode="replicate")
    y = torch.cat([torch.roll(t, shifts=s, dims=(2, 3)) for t, s in zip(p.chunk(4, 1), DIRS)], 1)
    return y[..., 1:-1, 1:-1]


class Deform:
    def __init__(self, x):
        n, C, H, W = x.shape
        c = C // 4
        off = torch.empty(1, 2 * C, 1, 1)
        for ch in range(C):
            dh, dw = DIRS[ch // c]
            off[0, 2 * ch], off[0, 2 * ch + 1] = -dh, -dw
        self.off = off.repeat(n, 1, H + 2, W + 2).contiguous()
        self.w = torch.eye(C).reshape(C, C, 1, 1)

    def __call__(self, x):
        p = F.pad(x, [1, 1, 1, 1], mode="replicate")
        return deform_conv2d(p, offset=self.off, weight=self.w)[..., 1:-1, 1:-1]


class DWConv:
    def __init__(self, x):
        C = x.shape[1]
        c = C // 4
        w = torch.zeros(C, 1, 3, 3)
        for ch in range(C):
            dh, dw = DIRS[ch // c]
            w[ch, 0, 1 - dh, 1 - dw] = 1.0
        self.w = w

    def __call__(self, x):
        return F.conv2d(F.pad(x, [1, 1, 1, 1], mode="replicate"), self.w, groups=x.shape[1])


class Grid:
    def __init__(self, x):
        n, C, H, W = x.shape
        hc, wc = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
        self.grids = []
        for dh, dw in DIRS:
            g = torch.stack([2 * torch.clamp(wc - dw, 0, W - 1) / max(W - 1, 1) - 1,
                             2 * torch.clamp(hc - dh, 0, H - 1) / max(H - 1, 1) - 1], -1).float()
            self.grids.append(g.unsqueeze(0).expand(n, H, W, 2))

    def __call__(self, x):
        return torch.cat([F.grid_sample(t, g, mode="bilinear", align_corners=True)
                          for t, g in zip(x.chunk(4, 1), self.grids)], 1)


def median_us(fn, x, clock, min_time, repeats):
    """Median over `repeats` timings of a batch of calls; the batch is sized so that
    one timing lasts at least min_time / repeats seconds."""
    fn(x)
    calls = 1
    while True:
        t0 = clock()
        for _ in range(calls):
            fn(x)
        elapsed = clock() - t0
        if elapsed >= min_time / repeats:
            break
        calls *= 2
    samples = [elapsed / calls]
    for _ in range(repeats - 1):
        t0 = clock()
        for _ in range(calls):
            fn(x)
        samples.append((clock() - t0) / calls)
    return statistics.median(samples) * 1e6


def sweep_shapes(max_bytes):
    """The same channel counts as bench_shift's sweep_shapes()."""
    plane_bytes = 56 * 56 * 4
    shapes, size = [], 16384.0
    while size <= max_bytes * 1.0001:
        c = max(1, round(size / plane_bytes))
        if not shapes or shapes[-1] != c:
            shapes.append(c)
        size *= 2 ** 0.5
    return [f"1x{c}x56x56" for c in shapes]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--shapes", help="comma-separated NxCxHxW")
    what.add_argument("--sweep", type=float, help="max bytes of the size sweep (clone, slice)")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per implementation")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    rows = []
    shapes = sweep_shapes(args.sweep) if args.sweep else args.shapes.split(",")
    for text in shapes:
        x = torch.randn(*map(int, text.split("x")))
        ref = slice_shift(x)
        if args.sweep:
            impls = {"clone": torch.clone, "slice": slice_shift}
        else:
            impls = {"clone": torch.clone, "slice": slice_shift, "roll": roll_shift,
                     "deform_conv2d": Deform(x), "dwconv3x3": DWConv(x), "grid_sample": Grid(x)}
        row = {"shape": text, "bytes": x.numel() * x.element_size()}
        for name, fn in impls.items():
            if name != "clone":
                err = (fn(x) - ref).abs().max().item()
                assert err < 1e-4, (name, text, err)
            row[name] = median_us(fn, x, clock, args.min_time, args.repeats)
        rows.append(row)
    print(json.dumps({"threads": args.threads, "torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
