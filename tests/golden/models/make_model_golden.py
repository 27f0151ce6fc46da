"""Golden models for the graph runtime (docs/model-format.md), made by PyTorch itself.

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14, numpy):
    /usr/bin/python3 tests/golden/models/make_model_golden.py [OUT_DIR]
    /usr/bin/python3 tests/golden/models/make_model_golden.py --large DIR

Every model is written in plain PyTorch the way its paper's code writes it (slice
assignment for S2-MLP, pad + chunk + roll + narrow for AS-MLP, deform_conv2d with fixed
offsets for CycleMLP's CycleFC, a zero-padded per-channel window for Shift/ShiftResNet),
NOT with shiftnn's own shift code: the point is an independent check of the runtime.
Each module is then mapped by hand to nodes of NAME.json, its parameters written to
NAME.safetensors (by hand: 8-byte LE header length, JSON header, raw F32 data), and the
model is run in eval mode on a fixed random input: NAME.input.npy, NAME.output.npy
(float32). Seeds are fixed; the files are reproducible on this machine's torch.

The default OUT_DIR is this script's directory (tests/golden/models/). `--large DIR`
writes the S2-MLP and AS-MLP blocks at 1x96x56x56 instead (for profiling; not committed).
"""
import argparse
import collections
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.ops


# ---------------------------------------------------------------------------------------
# Shifts, the papers' way.


def s2mlp_quad_shift(x):
    """S2-MLP's spatial_shift, out of place into a zeros tensor (zero fill).

    S2-MLP's code (channels last, dims named b, w, h, c) is
        x[:, 1:, :, :c/4]        = x[:, :w-1, :, :c/4]        # along w, content +1
        x[:, :w-1, :, c/4:c/2]   = x[:, 1:, :, c/4:c/2]       # along w, content -1
        x[:, :, 1:, c/2:c*3/4]   = x[:, :, :h-1, c/2:c*3/4]   # along h, content +1
        x[:, :, :h-1, 3*c/4:]    = x[:, :, 1:, 3*c/4:]        # along h, content -1
    which is SPEC's `quad` order: [b0,b1) (0,+1) right, [b1,b2) (0,-1) left,
    [b2,b3) (+1,0) down, [b3,b4) (-1,0) up, with b_k = (k*C)//4. Here in NCHW, written
    into zeros so uncovered border pixels are 0 (boundary "zero"; the in-place original
    would be "keep").
    """
    n, c, h, w = x.shape
    b = [(k * c) // 4 for k in range(5)]
    out = torch.zeros_like(x)
    out[:, b[0]:b[1], :, 1:] = x[:, b[0]:b[1], :, :w - 1]   # (dh, dw) = (0, +1)
    out[:, b[1]:b[2], :, :w - 1] = x[:, b[1]:b[2], :, 1:]   # (0, -1)
    out[:, b[2]:b[3], 1:, :] = x[:, b[2]:b[3], :h - 1, :]   # (+1, 0)
    out[:, b[3]:b[4], :h - 1, :] = x[:, b[3]:b[4], 1:, :]   # (-1, 0)
    return out


def asmlp_axial_shift(x, shift_size, dim):
    """AS-MLP's AxialShift.shift (Lian et al., 2021): zero pad, chunk the channels into
    shift_size pieces, roll piece i by i - pad along dim (2: h, 3: w), concatenate, crop.
    Equals SPEC `axial:S:h` (dim 2) / `axial:S:w` (dim 3), boundary zero: torch.chunk
    makes pieces of ceil(C/S) channels (possibly fewer than S pieces, zip then stops
    early), i.e. displacement c // ceil(C/S) - S//2, and roll by +k moves content by +k;
    the zero pad of S//2 >= |k| makes every uncovered pixel 0."""
    _, _, h, w = x.shape
    pad = shift_size // 2
    x = F.pad(x, (pad, pad, pad, pad), "constant", 0)
    xs = torch.chunk(x, shift_size, 1)
    x_shift = [torch.roll(x_c, shift, dim) for x_c, shift in zip(xs, range(-pad, pad + 1))]
    x_cat = torch.cat(x_shift, 1)
    x_cat = torch.narrow(x_cat, 2, pad, h)
    x_cat = torch.narrow(x_cat, 3, pad, w)
    return x_cat


def grouped_shift(x, k):
    """Shift (Wu et al., CVPR 2018) as ShiftResNet uses it, kernel k: every channel takes
    one position of a k x k window over its zero-padded input, i.e. y[.., p] = x[.., p + o].
    The channel -> offset assignment is SPEC's interleaved `grouped:K` (the CUDA shift of
    the paper's code assigns contiguous channel groups to kernel positions instead; the
    runtime implements SPEC, so this golden uses SPEC's order): for c < (C//k^2)*k^2,
    ow = (c % k) - k//2, oh = ((c // k) % k) - k//2; the remaining channels stay."""
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


class CycleFC(nn.Module):
    """CycleMLP's CycleFC (Chen et al., 2022): a 1x1 deformable convolution whose fixed
    offsets give channel i the sample offset (i + K//2) % K - K//2 along the axis of the
    non-1 kernel dimension: kernel (1, K) samples along w (SPEC `cycle:K:w`), (K, 1)
    along h (`cycle:K:h`). Offsets outside the image read 0 (bilinear, zero padding)."""

    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        self.in_channels = in_channels
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.empty(out_channels))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        bound = 1 / in_channels ** 0.5
        nn.init.uniform_(self.bias, -bound, bound)
        self.register_buffer("offset", self.gen_offset())

    def gen_offset(self):  # CycleMLP's code
        offset = torch.empty(1, self.in_channels * 2, 1, 1)
        start_idx = (self.kernel_size[0] * self.kernel_size[1]) // 2
        assert self.kernel_size[0] == 1 or self.kernel_size[1] == 1, self.kernel_size
        for i in range(self.in_channels):
            if self.kernel_size[0] == 1:
                offset[0, 2 * i + 0] = 0
                offset[0, 2 * i + 1] = (i + start_idx) % self.kernel_size[1] - (
                    self.kernel_size[1] // 2)
            else:
                offset[0, 2 * i + 0] = (i + start_idx) % self.kernel_size[0] - (
                    self.kernel_size[0] // 2)
                offset[0, 2 * i + 1] = 0
        return offset

    def forward(self, x):  # x: N, C, H, W
        b, _, h, w = x.size()
        return torchvision.ops.deform_conv2d(x, self.offset.expand(b, -1, h, w), self.weight,
                                             self.bias, stride=1, padding=0, dilation=1)

    def pattern(self):
        k = max(self.kernel_size)
        return "cycle:%d:%s" % (k, "w" if self.kernel_size[0] == 1 else "h")


# ---------------------------------------------------------------------------------------
# The papers' shifts against SPEC §1's formulas, y[n,c,h,w] = x[n,c,h-dh[c],w-dw[c]] (0
# outside): run on every invocation, so a golden file never encodes a misread pattern.


def spec_shift(x, dh, dw):
    n, c, h, w = x.shape
    y = np.zeros_like(x)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                hs, ws = i - dh[ch], j - dw[ch]
                if 0 <= hs < h and 0 <= ws < w:
                    y[:, ch, i, j] = x[:, ch, hs, ws]
    return y


def check_against_spec():
    rng = np.random.default_rng(0)
    for c, h, w in ((8, 5, 5), (42, 4, 6), (16, 3, 7), (24, 5, 4), (17, 6, 5)):
        x = rng.standard_normal((2, c, h, w)).astype(np.float32)
        tx = torch.from_numpy(x)
        b = [(k * c) // 4 for k in range(5)]
        quad = [(0, 1)] * (b[1] - b[0]) + [(0, -1)] * (b[2] - b[1]) + \
            [(1, 0)] * (b[3] - b[2]) + [(-1, 0)] * (b[4] - b[3])
        cases = [("quad", s2mlp_quad_shift(tx), quad)]
        for s in (3, 5):
            g = -(-c // s)
            d = [ch // g - s // 2 for ch in range(c)]
            cases.append(("axial:%d:h" % s, asmlp_axial_shift(tx, s, 2), [(v, 0) for v in d]))
            cases.append(("axial:%d:w" % s, asmlp_axial_shift(tx, s, 3), [(0, v) for v in d]))
        full = (c // 9) * 9
        grouped = [(-(((ch // 3) % 3) - 1), -((ch % 3) - 1)) if ch < full else (0, 0)
                   for ch in range(c)]
        cases.append(("grouped:3", grouped_shift(tx, 3), grouped))
        cyc = [-((ch + 1) % 3 - 1) for ch in range(c)]
        with torch.no_grad():
            for kernel, axis in (((3, 1), "h"), ((1, 3), "w")):
                fc = CycleFC(c, c, kernel)
                fc.weight.copy_(torch.eye(c)[:, :, None, None])
                fc.bias.zero_()
                d = [(v, 0) if axis == "h" else (0, v) for v in cyc]
                cases.append((fc.pattern(), fc(tx), d))
        for pattern, got, d in cases:
            want = spec_shift(x, [p[0] for p in d], [p[1] for p in d])
            assert np.array_equal(got.numpy(), want), "%s differs from SPEC at C=%d" % (pattern, c)


# ---------------------------------------------------------------------------------------
# Blocks.


class S2MLPBlock(nn.Module):
    """x + fc2(shift(GELU(fc1(x)))), fc1/fc2 1x1 convolutions with bias."""

    def __init__(self, c, hidden, fused_gelu=False):
        super().__init__()
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, c, 1)
        self.fused_gelu = fused_gelu  # export only: GELU as a node or as fc1's activation

    def forward(self, x):
        return x + self.fc2(s2mlp_quad_shift(F.gelu(self.fc1(x))))

    def export(self, e, x):
        if self.fused_gelu:
            t = e.conv("fc1", self.fc1, x, activation="gelu")
        else:
            t = e.op("gelu", "GELU", [e.conv("fc1", self.fc1, x)])
        t = e.shift("shift", t, "quad")
        return e.op("residual", "Add", [x, e.conv("fc2", self.fc2, t)])


class ASMLPBlock(nn.Module):
    """x + proj(GELU(conv_h(shift_h(t)) + conv_w(shift_w(t)))), t = conv1(GroupNorm(1, C)(x))."""

    def __init__(self, c, shift_size):
        super().__init__()
        self.shift_size = shift_size
        self.norm = nn.GroupNorm(1, c)
        self.conv1 = nn.Conv2d(c, c, 1)
        self.conv_h = nn.Conv2d(c, c, 1)
        self.conv_w = nn.Conv2d(c, c, 1)
        self.proj = nn.Conv2d(c, c, 1)
        with torch.no_grad():  # non-trivial affine GroupNorm
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.normal_(0, 0.3)

    def forward(self, x):
        t = self.conv1(self.norm(x))
        th = self.conv_h(asmlp_axial_shift(t, self.shift_size, 2))
        tw = self.conv_w(asmlp_axial_shift(t, self.shift_size, 3))
        return x + self.proj(F.gelu(th + tw))

    def export(self, e, x):
        t = e.conv("conv1", self.conv1, e.group_norm("norm", self.norm, x))
        th = e.conv("conv_h", self.conv_h, e.shift("shift_h", t, "axial:%d:h" % self.shift_size))
        tw = e.conv("conv_w", self.conv_w, e.shift("shift_w", t, "axial:%d:w" % self.shift_size))
        t = e.op("gelu", "GELU", [e.op("add_hw", "Add", [th, tw])])
        return e.op("residual", "Add", [x, e.conv("proj", self.proj, t)])


class CycleMLPBlock(nn.Module):
    """CycleMLP's CycleBlock without the split-attention reweighting, channels last as in
    its code: x = x + proj(sfc_h(n) + sfc_w(n) + mlp_c(n)), n = LayerNorm(x);
    x = x + fc2(GELU(fc1(LayerNorm(x)))). Takes and returns N, C, H, W."""

    def __init__(self, c, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(c)
        self.sfc_h = CycleFC(c, c, (3, 1))  # along h: cycle:3:h
        self.sfc_w = CycleFC(c, c, (1, 3))  # along w: cycle:3:w
        self.mlp_c = nn.Linear(c, c)
        self.proj = nn.Linear(c, c)
        self.norm2 = nn.LayerNorm(c)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)
        with torch.no_grad():
            for norm in (self.norm1, self.norm2):
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.normal_(0, 0.3)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)  # N, H, W, C
        n = self.norm1(x).permute(0, 3, 1, 2)
        h = self.sfc_h(n).permute(0, 2, 3, 1)
        w = self.sfc_w(n).permute(0, 2, 3, 1)
        c = self.mlp_c(n.permute(0, 2, 3, 1))
        x = x + self.proj(h + w + c)
        x = x + self.fc2(F.gelu(self.fc1(self.norm2(x))))
        return x.permute(0, 3, 1, 2)

    def export(self, e, x):
        n = e.layer_norm("norm1", self.norm1, x)
        h = e.conv_from("sfc_h", self.sfc_h.weight, self.sfc_h.bias,
                        e.shift("shift_h", n, self.sfc_h.pattern()))
        w = e.conv_from("sfc_w", self.sfc_w.weight, self.sfc_w.bias,
                        e.shift("shift_w", n, self.sfc_w.pattern()))
        c = e.linear_as_conv("mlp_c", self.mlp_c, n)
        t = e.op("add_hwc", "Add", [e.op("add_hw", "Add", [h, w]), c])
        x = e.op("residual1", "Add", [x, e.linear_as_conv("proj", self.proj, t)])
        t = e.linear_as_conv("fc1", self.fc1, e.layer_norm("norm2", self.norm2, x))
        t = e.linear_as_conv("fc2", self.fc2, e.op("gelu", "GELU", [t]))
        return e.op("residual2", "Add", [x, t])


def random_batch_norm(bn, generator):
    """Eval-mode BatchNorm with running statistics far from (0, 1)."""
    c = bn.num_features
    with torch.no_grad():
        bn.weight.copy_(torch.rand(c, generator=generator) + 0.5)
        bn.bias.copy_(torch.randn(c, generator=generator) * 0.3)
        bn.running_mean.copy_(torch.randn(c, generator=generator) * 0.5)
        # Log-uniform in [0.005, 2]: the small ones make eps (1e-3 in bn1) matter.
        bn.running_var.copy_(torch.exp(torch.rand(c, generator=generator) * 6 - 5.3))


class ShiftResNet(nn.Module):
    """A small ShiftResNet-style classifier: stem conv3x3 + BN + ReLU; one residual block
    (conv1x1 + BN + ReLU, grouped:3 shift, conv1x1 + BN, add the stem's output, ReLU as
    in ResNet); global average pool, flatten, linear -> 10, softmax."""

    def __init__(self, cin=3, width=16, mid=24, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(cin, width, 3, stride=2, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(width)
        self.conv1 = nn.Conv2d(width, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self.conv2 = nn.Conv2d(mid, width, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, classes)
        g = torch.Generator().manual_seed(7)
        for bn in (self.bn0, self.bn1, self.bn2):
            random_batch_norm(bn, g)
        with torch.no_grad():  # logits spread over ~5 units: softmax neither flat nor saturated
            self.fc.weight.mul_(0.5)

    def forward(self, x):
        s = F.relu(self.bn0(self.stem(x)))
        t = F.relu(self.bn1(self.conv1(s)))
        t = self.bn2(self.conv2(grouped_shift(t, 3)))
        t = F.relu(t + s)
        t = F.adaptive_avg_pool2d(t, 1).flatten(1)
        return F.softmax(self.fc(t), dim=1)

    def export(self, e, x):
        s = e.op("relu0", "ReLU", [e.batch_norm("bn0", self.bn0, e.conv("stem", self.stem, x))])
        t = e.op("relu1", "ReLU", [e.batch_norm("bn1", self.bn1, e.conv("conv1", self.conv1, s))])
        t = e.batch_norm("bn2", self.bn2, e.conv("conv2", self.conv2, e.shift("shift", t, "grouped:3")))
        t = e.op("relu2", "ReLU", [e.op("residual", "Add", [t, s])])
        t = e.op("flatten", "Flatten", [e.op("pool", "GlobalAvgPool", [t])])
        return e.op("softmax", "Softmax", [e.linear("fc", self.fc, t)], {"axis": 1})


# ---------------------------------------------------------------------------------------
# Export: modules -> nodes (docs/model-format.md) and weights.


def f32(t):
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))


class Exporter:
    def __init__(self):
        self.nodes = []
        self.weights = collections.OrderedDict()

    def op(self, name, op, inputs, attrs=None, weights=None):
        node = {"name": name, "op": op, "inputs": list(inputs), "outputs": [name]}
        if attrs:
            node["attrs"] = attrs
        if weights:
            roles = {}
            for role, value in weights.items():
                key = "%s.%s" % (name, role)
                self.weights[key] = f32(value)
                roles[role] = key
            node["weights"] = roles
        self.nodes.append(node)
        return name

    def conv(self, name, m, x, activation=None):
        attrs = {"stride": list(m.stride), "padding": list(m.padding),
                 "dilation": list(m.dilation), "groups": m.groups}
        if activation:
            attrs["activation"] = activation
        weights = {"weight": m.weight}
        if m.bias is not None:
            weights["bias"] = m.bias
        return self.op(name, "Conv2d", [x], attrs, weights)

    def conv_from(self, name, weight, bias, x):  # a 1x1 convolution from raw parameters
        return self.op(name, "Conv2d", [x], None, {"weight": weight, "bias": bias})

    def linear_as_conv(self, name, m, x):  # nn.Linear on channels-last = 1x1 convolution
        return self.op(name, "Conv2d", [x], None,
                       {"weight": m.weight[:, :, None, None], "bias": m.bias})

    def linear(self, name, m, x):
        return self.op(name, "Linear", [x], None, {"weight": m.weight, "bias": m.bias})

    def batch_norm(self, name, m, x):
        return self.op(name, "BatchNorm", [x], {"eps": float(m.eps)},
                       {"weight": m.weight, "bias": m.bias, "running_mean": m.running_mean,
                        "running_var": m.running_var})

    def group_norm(self, name, m, x):
        return self.op(name, "GroupNorm", [x], {"groups": m.num_groups, "eps": float(m.eps)},
                       {"weight": m.weight, "bias": m.bias})

    def layer_norm(self, name, m, x):
        return self.op(name, "LayerNorm", [x], {"eps": float(m.eps)},
                       {"weight": m.weight, "bias": m.bias})

    def shift(self, name, x, pattern, boundary="zero"):
        return self.op(name, "Shift", [x], {"pattern": pattern, "boundary": boundary})


def safetensors_bytes(weights):
    header, offset, blobs = {}, 0, []
    for name, array in weights.items():
        data = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data 8-byte aligned, as safetensors does
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def graph_json(graph):
    """The graph with one line per input and per node."""
    one = lambda v: json.dumps(v, separators=(", ", ": "))
    lines = ['{"format_version": %d,' % graph["format_version"],
             ' "inputs": [%s],' % ", ".join(one(i) for i in graph["inputs"]),
             ' "outputs": %s,' % one(graph["outputs"]), ' "nodes": [']
    lines += ["  %s%s" % (one(n), "," if i + 1 < len(graph["nodes"]) else "")
              for i, n in enumerate(graph["nodes"])]
    return "\n".join(lines) + "\n]}\n"


def write_model(out_dir, name, module, shape, seed):
    module.eval()
    e = Exporter()
    y_name = module.export(e, "x")
    graph = {"format_version": 1, "inputs": [{"name": "x", "shape": list(shape)}],
             "outputs": [y_name], "nodes": e.nodes}
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        y = module(torch.from_numpy(x))
    base = os.path.join(out_dir, name)
    with open(base + ".json", "w") as f:
        f.write(graph_json(graph))
    with open(base + ".safetensors", "wb") as f:
        f.write(safetensors_bytes(e.weights))
    np.save(base + ".input.npy", x)
    np.save(base + ".output.npy", f32(y))
    print("%-22s in %-16s out %-16s %d nodes, %d weights" %
          (name, "x".join(map(str, x.shape)), "x".join(map(str, y.shape)), len(e.nodes),
           len(e.weights)))


def build(kind, seed, *args, **kwargs):
    torch.manual_seed(seed)
    return kind(*args, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--large", metavar="DIR",
                        help="write the S2-MLP and AS-MLP blocks at 1x96x56x56 to DIR instead")
    args = parser.parse_args()
    torch.set_num_threads(1)
    check_against_spec()
    if args.large:
        os.makedirs(args.large, exist_ok=True)
        write_model(args.large, "s2mlp_large", build(S2MLPBlock, 101, 96, 96), (1, 96, 56, 56), 1)
        write_model(args.large, "asmlp_large", build(ASMLPBlock, 102, 96, 3), (1, 96, 56, 56), 2)
        return
    out = args.out_dir
    os.makedirs(out, exist_ok=True)
    write_model(out, "s2mlp", build(S2MLPBlock, 1, 32, 64), (1, 32, 14, 14), 11)
    # hidden 42: quad bounds 0, 10, 21, 31, 42 (unequal groups); GELU fused by attribute.
    write_model(out, "s2mlp_odd", build(S2MLPBlock, 2, 16, 42, fused_gelu=True), (2, 16, 9, 7), 12)
    write_model(out, "asmlp_s3", build(ASMLPBlock, 3, 32, 3), (1, 32, 14, 14), 13)
    # C 16, S 5: torch.chunk makes 4 pieces of 4 (shifts -2..1), as SPEC's g = ceil(C/S).
    write_model(out, "asmlp_s5", build(ASMLPBlock, 4, 16, 5), (2, 16, 9, 7), 14)
    write_model(out, "shiftresnet", build(ShiftResNet, 5), (2, 3, 16, 16), 15)
    write_model(out, "cyclemlp", build(CycleMLPBlock, 6, 16, 32), (2, 16, 9, 7), 16)


if __name__ == "__main__":
    main()
