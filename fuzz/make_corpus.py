#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (fuzz/corpus/*), so the committed files can be
regenerated: python3 fuzz/make_corpus.py. Standard library only.

corpus/safetensors/: valid F32, BF16 and F16 files and a few broken ones.
corpus/model_loader/: model JSON, a NUL byte, then the safetensors file (the split
fuzz_model_loader.cpp expects).
"""
import json
import math
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def values(count, seed):
    """Deterministic floats in [-1, 1]."""
    return [math.sin(seed * 7.3 + i * 1.7) for i in range(count)]


def f32_bytes(xs):
    return struct.pack("<%df" % len(xs), *xs)


def bf16_bytes(xs):
    # Truncated float32: the top 16 bits.
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", x))[0])[2:]
                    for x in xs)


def f16_bytes(xs):
    return struct.pack("<%de" % len(xs), *xs)


def safetensors(tensors, metadata=None, align=8):
    """tensors: [(name, dtype, shape, data bytes)], laid out in the order given."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * ((align - (8 + len(text)) % align) % align)
    return struct.pack("<Q", len(text)) + text + data


def f32_tensor(name, shape, seed):
    count = math.prod(shape)
    return (name, "F32", shape, f32_bytes(values(count, seed)))


def safetensors_seeds():
    special_f16 = [1.0, -2.0, 2.0 ** -24, -(2.0 ** -24), 65504.0, math.inf, -math.inf, -0.0]
    valid = {
        "f32.safetensors": safetensors([f32_tensor("conv.weight", [4, 2, 1, 1], 1),
                                        f32_tensor("conv.bias", [4], 2)]),
        "bf16.safetensors": safetensors(
            [("w", "BF16", [2, 3], bf16_bytes(values(6, 3)))], metadata={"format": "pt"}),
        "f16.safetensors": safetensors([("h", "F16", [8], f16_bytes(special_f16))]),
        "mixed_unaligned.safetensors": safetensors(
            [("a", "F16", [3], f16_bytes([0.5, -0.25, 3.0])),
             ("b", "F32", [2], f32_bytes([1.5, -7.0])),
             ("c", "BF16", [1], bf16_bytes([-3.0]))], align=1),
        "zero_element.safetensors": safetensors([("z", "F32", [0, 4], b""),
                                                 ("s", "F32", [], f32_bytes([2.0]))]),
        "empty.safetensors": safetensors([]),
    }
    good = valid["f32.safetensors"]
    header_len = struct.unpack("<Q", good[:8])[0]

    def with_header(header):
        text = json.dumps(header).encode()
        return struct.pack("<Q", len(text)) + text + b"\0" * 16

    broken = {
        "broken_truncated.safetensors": good[:-3],
        "broken_header_length.safetensors": struct.pack("<Q", header_len + 100) + good[8:],
        "broken_json.safetensors": struct.pack("<Q", 9) + b'{"a": [1,' + b"\0" * 8,
        "broken_overlap.safetensors": with_header(
            {"p": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "q": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}),
        "broken_dtype.safetensors": with_header(
            {"i": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}),
        "broken_shape.safetensors": with_header(
            {"n": {"dtype": "F32", "shape": [-2, 1], "data_offsets": [0, 8]}}),
    }
    return {**valid, **broken}


def model(inputs, outputs, nodes):
    return {"format_version": 1, "inputs": [{"name": n, "shape": s} for n, s in inputs],
            "outputs": outputs, "nodes": nodes}


def node(name, op, inputs, attrs=None, weights=None):
    n = {"name": name, "op": op, "inputs": inputs, "outputs": [name]}
    if attrs:
        n["attrs"] = attrs
    if weights:
        n["weights"] = weights
    return n


def conv_attrs(groups=1, activation=""):
    a = {"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "groups": groups}
    if activation:
        a["activation"] = activation
    return a


def model_seed(graph, tensors):
    return json.dumps(graph).encode() + b"\0" + safetensors(tensors)


def model_loader_seeds():
    # Shift block: conv 1x1 -> GELU -> shift -> conv 1x1 -> residual add.
    shift_block = model(
        [("x", [1, 4, 5, 5])], ["y"],
        [node("fc1", "Conv2d", ["x"], conv_attrs(), {"weight": "fc1.weight", "bias": "fc1.bias"}),
         node("act", "GELU", ["fc1"]),
         node("shift", "Shift", ["act"], {"pattern": "quad", "boundary": "zero"}),
         node("fc2", "Conv2d", ["shift"], conv_attrs(), {"weight": "fc2.weight"}),
         node("y", "Add", ["x", "fc2"])])
    shift_weights = [f32_tensor("fc1.weight", [8, 4, 1, 1], 1), f32_tensor("fc1.bias", [8], 2),
                     f32_tensor("fc2.weight", [4, 8, 1, 1], 3)]

    # Depthwise 3x3 with padding, BatchNorm, ReLU; pooled classifier head.
    head = model(
        [("x", [2, 3, 4, 4])], ["p"],
        [node("dw", "Conv2d", ["x"], {**conv_attrs(groups=3), "padding": [1, 1]},
              {"weight": "dw.weight"}),
         node("bn", "BatchNorm", ["dw"], {"eps": 1e-5},
              {"weight": "bn.weight", "bias": "bn.bias", "running_mean": "bn.mean",
               "running_var": "bn.var"}),
         node("relu", "ReLU", ["bn"]),
         node("pool", "GlobalAvgPool", ["relu"]),
         node("flat", "Flatten", ["pool"]),
         node("fc", "Linear", ["flat"], None, {"weight": "fc.weight", "bias": "fc.bias"}),
         node("p", "Softmax", ["fc"], {"axis": 1})])
    head_weights = [f32_tensor("dw.weight", [3, 1, 3, 3], 4), f32_tensor("bn.weight", [3], 5),
                    f32_tensor("bn.bias", [3], 6), f32_tensor("bn.mean", [3], 7),
                    ("bn.var", "F32", [3], f32_bytes([0.5, 1.0, 2.0])),
                    f32_tensor("fc.weight", [5, 3], 8), f32_tensor("fc.bias", [5], 9)]

    # Norms, slicing, concat and grid sampling; weights in BF16 and F16.
    misc = model(
        [("x", [1, 4, 4, 4]), ("grid", [1, 2, 2, 2])], ["out"],
        [node("gn", "GroupNorm", ["x"], {"groups": 2}, {"weight": "gn.weight", "bias": "gn.bias"}),
         node("ln", "LayerNorm", ["x"], None, {"weight": "ln.weight", "bias": "ln.bias"}),
         node("prod", "Mul", ["gn", "ln"]),
         node("half", "Slice", ["prod"],
              {"starts": [0, 0, 0, 0], "stops": [1, 4, 4, 4], "steps": [1, 1, 2, 2]}),
         node("sampled", "GridSample", ["x", "grid"],
              {"mode": "bilinear", "padding_mode": "zeros", "align_corners": 0}),
         node("shifted", "Shift", ["sampled"], {"pattern": "axial:1:h", "boundary": "zero"}),
         node("cat", "Concat", ["shifted", "half"], {"axis": 1}),
         node("out", "GELU", ["cat"])])
    misc_weights = [("gn.weight", "BF16", [4], bf16_bytes([1.0, 0.5, -1.0, 2.0])),
                    ("gn.bias", "BF16", [4], bf16_bytes([0.0, 0.25, 0.0, -0.5])),
                    ("ln.weight", "F16", [4], f16_bytes([1.0, 1.0, 0.5, 2.0])),
                    ("ln.bias", "F16", [4], f16_bytes([0.0, -1.0, 0.0, 1.0]))]

    no_weights = model([("x", [1, 2, 3, 3])], ["y"], [node("y", "ReLU", ["x"])])
    missing_weight = model([("x", [1, 4, 5, 5])], ["c"],
                           [node("c", "Conv2d", ["x"], conv_attrs(), {"weight": "absent"})])
    return {
        "shift_block.bin": model_seed(shift_block, shift_weights),
        "classifier_head.bin": model_seed(head, head_weights),
        "norms_grid_concat.bin": model_seed(misc, misc_weights),
        "no_weights.bin": model_seed(no_weights, []),
        "broken_missing_weight.bin": model_seed(missing_weight, []),
        "broken_json.bin": b'{"format_version": 1, "inputs": [' + b"\0" + safetensors([]),
    }


def write(directory, files):
    path = os.path.join(HERE, "corpus", directory)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in files.items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("safetensors", safetensors_seeds())
    write("model_loader", model_loader_seeds())
