"""Handlers that move pixels: padding, grid_sample, Shift and deform_conv2d encoding a shift."""
import numpy as np
import torch

from .. import _fit
from .. import patterns as P
from .registry import handles, out_shape
from .tensors import BIG, Act


@handles("aten.constant_pad_nd.default")
def _pad(cv, node):
    x, pads = cv.arg(node.args[0]), list(node.args[1])
    value = node.args[2] if len(node.args) > 2 else 0
    if value != 0:
        cv.fail(node, "padding with the value %r is not supported (zero padding only, or a "
                "recognised shift)" % value)
    if x.rank != 4:
        cv.fail(node, "padding a 2-D tensor is not supported")
    before, after = [0] * 4, [0] * 4
    nd = len(x.tshape)
    for i in range(len(pads) // 2):
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if lo == 0 and hi == 0:
            continue
        dim = nd - 1 - i
        r = x.axis_of(dim)
        if r is None or r == 0:
            cv.fail(node, "padding dim %d of a tensor of shape %s is not supported"
                    % (dim, list(x.tshape)))
        before[r], after[r] = lo, hi
    n, c, h, w = x.rshape
    # A 1x1 convolution embeds the channels (and zero pads H, W symmetrically); a Slice
    # crops what is asymmetric or negative.
    cb, ca = max(before[1], 0), max(after[1], 0)
    ph = max(before[2], after[2], 0)
    pw = max(before[3], after[3], 0)
    co = c + cb + ca
    if cb or ca:
        weight = np.zeros((co, c, 1, 1), np.float32)
        weight[np.arange(c) + cb, np.arange(c), 0, 0] = 1
        attrs = {}
    else:
        weight = np.ones((c, 1, 1, 1), np.float32)
        attrs = {"groups": c}
    if ph or pw:
        attrs["padding"] = [ph, pw]
    conv_shape = (n, co, h + 2 * ph, w + 2 * pw)
    y = cv.emit(node, "Conv2d", [x.name], conv_shape, 4, attrs, {"weight": weight})
    starts = [0, cb - before[1], ph - before[2], pw - before[3]]
    sizes = [n, c + before[1] + after[1], h + before[2] + after[2], w + before[3] + after[3]]
    if any(s < 1 for s in sizes):
        cv.fail(node, "padding crops a dimension to nothing")
    rshape = tuple(sizes)
    if starts != [0, 0, 0, 0] or rshape != conv_shape:
        stops = [BIG] + [starts[i] + sizes[i] for i in (1, 2, 3)]
        y = cv.emit(node, "Slice", [y], rshape, 4,
                    {"starts": starts, "stops": stops, "steps": [1, 1, 1, 1]})
    return Act(y, rshape, 4, x.perm, out_shape(cv, node))


@handles("aten.grid_sampler_2d.default", "aten.grid_sampler.default")
def _grid_sample(cv, node):
    x, grid, mode, padding, align = [cv.arg(a) for a in node.args[:5]]
    name = cv.nchw(node, x)
    modes = {0: "bilinear", 1: "nearest"}
    pads = {0: "zeros", 1: "border", 2: "reflection"}
    if mode not in modes:
        cv.fail(node, "grid_sample mode 'bicubic' is not supported")
    n = x.rshape[0]
    if isinstance(grid, Act):
        g = grid.groups()
        if len(grid.tshape) != 4 or g is None or grid.rank != 4 or grid.layout() != "nhwc":
            cv.fail(node, "the grid must be an N x Ho x Wo x 2 view of a runtime tensor "
                    "N x 2 x Ho x Wo (e.g. t.permute(0, 2, 3, 1))")
        gname = grid.name
        ho, wo = grid.rshape[2], grid.rshape[3]
    else:
        t = torch.as_tensor(grid)
        if t.dim() != 4 or t.shape[3] != 2:
            cv.fail(node, "the grid must be N x Ho x Wo x 2")
        if not bool((t == t[:1]).all()):
            cv.fail(node, "a constant grid that differs between batch elements cannot be "
                    "exported (the runtime batch size is free)")
        gname = cv.constant(t[0].permute(2, 0, 1))
        ho, wo = t.shape[1], t.shape[2]
    out = (n, x.rshape[1], ho, wo)
    y = cv.emit(node, "GridSample", [name, gname], out, 4,
                {"mode": modes[mode], "padding_mode": pads[padding],
                 "align_corners": 1 if align else 0})
    return Act(y, out)


@handles("shiftnn.shift.default")
def _shift_op(cv, node):
    x = cv.arg(node.args[0])
    pattern, boundary = node.args[1], node.args[2]
    name = cv.nchw(node, x, "input of Shift")
    try:
        dh, dw = P.displacement_arrays(pattern, x.rshape[1])
        if boundary == "keep" and not P.is_integer(dh, dw):
            raise P.PatternError("boundary keep requires integer displacements")
    except P.PatternError as e:
        cv.fail(node, "Shift: %s" % e)
    if pattern.startswith("file:"):  # the model file must not depend on a path
        pattern = _fit.name_pattern(dh, dw, boundary, x.rshape[2], x.rshape[3])
    y = cv.emit(node, "Shift", [name], x.rshape, 4, {"pattern": pattern, "boundary": boundary})
    return Act(y, x.rshape)


@handles("torchvision.deform_conv2d.default")
def _deform_conv(cv, node):
    (x, weight, offset, mask, bias, sh, sw, ph, pw, dh_, dw_, wgroups, ogroups,
     use_mask) = [cv.arg(a) for a in node.args]
    what = "deform_conv2d is supported with constant offsets that encode a shift (1x1 kernel, " \
           "stride 1, no padding, no dilation, offsets equal over the batch and the image)"
    if any(isinstance(v, Act) for v in (weight, offset, mask, bias)):
        cv.fail(node, what + ": its offsets, weight or mask depend on the input")
    name = cv.nchw(node, x)
    if tuple(weight.shape[2:]) != (1, 1) or (sh, sw, ph, pw, dh_, dw_) != (1, 1, 0, 0, 1, 1):
        cv.fail(node, what)
    if use_mask and not bool((torch.as_tensor(mask) == 1).all()):
        cv.fail(node, what + " (a mask other than ones)")
    off = torch.as_tensor(offset)
    if not bool((off == off[:1, :, :1, :1]).all()):
        cv.fail(node, what + ": the offsets vary")
    n, C, H, W = x.rshape
    per_group = off[0, :, 0, 0].reshape(ogroups, 2)
    group_of = np.arange(C) // (C // ogroups)
    dh = (-per_group[:, 0].double().numpy()).astype(np.float32)[group_of]
    dw = (-per_group[:, 1].double().numpy()).astype(np.float32)[group_of]
    dh, dw = dh + 0, dw + 0  # no negative zeros
    cur = name
    if np.any(dh) or np.any(dw):
        pattern = _fit.name_pattern(dh, dw, "zero", H, W)
        cur = cv.emit(node, "Shift", [name], x.rshape, 4, {"pattern": pattern, "boundary": "zero"})
    O = weight.shape[0]
    identity = O == C and wgroups == 1 and torch.equal(
        weight.reshape(O, C), torch.eye(C, dtype=weight.dtype)) and (
        bias is None or not bool(torch.as_tensor(bias).any()))
    if identity:
        return Act(cur, x.rshape)
    weights = {"weight": weight}
    if bias is not None:
        weights["bias"] = bias
    attrs = {"groups": int(wgroups)} if wgroups != 1 else None
    out = (n, O, H, W)
    y = cv.emit(node, "Conv2d", [cur], out, 4, attrs, weights)
    return Act(y, out)
