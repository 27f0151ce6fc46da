"""Golden files for the scalar layer reference (kernels/reference/layer_reference.hpp),
made by PyTorch itself; tests/test_layer_reference.cpp reads them.

Run from anywhere with Debian's /usr/bin/python3 (torch 1.13):
    /usr/bin/python3 tests/golden/layers/make_layer_golden.py [OUT_DIR]
Writes float32 <case>_<tensor>.npy files beside this script: inputs, weights, PyTorch's
outputs, and <case>_params.npy holding each case's integer settings as floats.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

EPS = 1e-5


class Writer:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)

    def __call__(self, name, array):
        if isinstance(array, torch.Tensor):
            array = array.detach().numpy()
        np.save(os.path.join(self.out_dir, name + ".npy"),
                np.ascontiguousarray(array, dtype=np.float32))


def randn(rng, *shape, scale=1.0, offset=0.0):
    return torch.from_numpy((rng.standard_normal(shape) * scale + offset).astype(np.float32))


def conv_cases(save, rng):
    # name: n, ic, ih, iw, oc, (kh, kw), (sh, sw), (ph, pw), (dh, dw), groups, bias
    cases = [
        ("conv_stride2", 2, 5, 9, 7, 7, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
        ("conv_dil2_groups3", 1, 6, 8, 9, 9, (3, 3), (1, 1), (2, 2), (2, 2), 3, True),
        ("conv_dw7", 1, 5, 9, 8, 5, (7, 7), (1, 1), (3, 3), (1, 1), 5, True),
        ("conv_1x1_spatial", 2, 4, 1, 1, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, False),
        ("conv_rect", 1, 3, 6, 10, 2, (2, 3), (1, 2), (1, 0), (2, 1), 1, False),
    ]
    for name, n, ic, ih, iw, oc, k, s, p, d, g, has_bias in cases:
        x = randn(rng, n, ic, ih, iw)
        w = randn(rng, oc, ic // g, *k, scale=0.5)
        b = randn(rng, oc) if has_bias else None
        y = F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        save(name + "_params", [n, ic, ih, iw, oc, *k, *s, *p, *d, g, int(has_bias)])
        save(name + "_x", x)
        save(name + "_weight", w)
        if has_bias:
            save(name + "_bias", b)
        save(name + "_y", y)


def linear_cases(save, rng):
    for name, n, fin, fout, has_bias in [("linear", 3, 17, 5, True),
                                         ("linear_nobias", 1, 4, 3, False)]:
        x, w = randn(rng, n, fin), randn(rng, fout, fin, scale=0.3)
        b = randn(rng, fout) if has_bias else None
        save(name + "_params", [n, fin, fout, int(has_bias)])
        save(name + "_x", x)
        save(name + "_weight", w)
        if has_bias:
            save(name + "_bias", b)
        save(name + "_y", F.linear(x, w, b))


def elementwise_cases(save, rng):
    x = randn(rng, 2, 3, 5, 7, scale=3.0)
    save("act_x", x)
    save("relu_y", F.relu(x))
    save("gelu_y", F.gelu(x))  # erf form (approximate="none")
    a = randn(rng, 2, 3, 4, 5)
    save("binary_a", a)
    for tag, shape in [("full", (2, 3, 4, 5)), ("nc", (2, 3, 1, 1)), ("c", (1, 3, 1, 1))]:
        b = randn(rng, *shape)
        save("binary_b_" + tag, b)
        save("add_" + tag, a + b)
        save("mul_" + tag, a * b)


def norm_cases(save, rng):
    x = randn(rng, 2, 5, 3, 4, offset=1.0)
    gamma, beta, mean = randn(rng, 5), randn(rng, 5), randn(rng, 5)
    var = torch.from_numpy(rng.uniform(0.2, 2.0, 5).astype(np.float32))
    save("batch_norm_x", x)
    save("batch_norm_gamma", gamma)
    save("batch_norm_beta", beta)
    save("batch_norm_mean", mean)
    save("batch_norm_var", var)
    save("batch_norm_y", F.batch_norm(x, mean, var, gamma, beta, training=False, eps=EPS))

    # name: groups, shape; an offset so the variance is not of data centred on 0.
    for name, groups, shape in [("group_norm_1", 1, (2, 7, 5, 3)), ("group_norm_3", 3, (1, 9, 4, 6)),
                                ("group_norm_c", 5, (2, 5, 3, 3)),
                                ("group_norm_1x1", 3, (2, 9, 1, 1))]:
        x = randn(rng, *shape, scale=2.0, offset=3.0)
        gamma, beta = randn(rng, shape[1]), randn(rng, shape[1])
        save(name + "_params", [groups])
        save(name + "_x", x)
        save(name + "_gamma", gamma)
        save(name + "_beta", beta)
        save(name + "_y", F.group_norm(x, groups, gamma, beta, eps=EPS))

    for name, shape in [("layer_norm", (2, 7, 3, 5)), ("layer_norm_1x1", (1, 5, 1, 1))]:
        x = randn(rng, *shape, offset=-2.0)
        gamma, beta = randn(rng, shape[1]), randn(rng, shape[1])
        y = F.layer_norm(x.permute(0, 2, 3, 1), (shape[1],), gamma, beta, eps=EPS)
        save(name + "_x", x)
        save(name + "_gamma", gamma)
        save(name + "_beta", beta)
        save(name + "_y", y.permute(0, 3, 1, 2))


def other_cases(save, rng):
    x = randn(rng, 2, 5, 3, 7)
    save("avg_pool_x", x)
    save("avg_pool_y", F.adaptive_avg_pool2d(x, 1))

    # Values near 100: exp overflows float unless the maximum is subtracted first.
    x = randn(rng, 2, 5, 3, 4, scale=10.0, offset=100.0)
    save("softmax_x", x)
    save("softmax_y", torch.softmax(x, dim=1))

    xs = [randn(rng, 2, c, 4, 5) for c in (3, 1, 5)]
    for i, t in enumerate(xs):
        save("concat_x%d" % i, t)
    save("concat_y", torch.cat(xs, dim=1))

    # name: shape, slices (start, stop, step) over N, C, H, W.
    cases = [("slice_odd", (2, 7, 6, 8), [(0, 2, 1), (1, 7, 2), (0, 6, 2), (1, 8, 3)]),
             ("slice_ranges", (2, 7, 6, 8), [(1, 2, 1), (2, 7, 1), (5, 100, 1), (0, 8, 4)]),
             ("slice_big_steps", (1, 3, 5, 4), [(0, 1, 1), (0, 3, 9), (1, 5, 7), (3, 4, 10)])]
    for name, shape, slices in cases:
        x = randn(rng, *shape)
        y = x[tuple(slice(a, b, s) for a, b, s in slices)]
        starts = [a for a, _, _ in slices]
        stops = [min(b, dim) for (_, b, _), dim in zip(slices, shape)]
        steps = [s for _, _, s in slices]
        save(name + "_params", [starts, stops, steps])
        save(name + "_x", x)
        save(name + "_y", y)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(20240612)
    save = Writer(out_dir)
    conv_cases(save, rng)
    linear_cases(save, rng)
    elementwise_cases(save, rng)
    norm_cases(save, rng)
    other_cases(save, rng)


if __name__ == "__main__":
    main()
