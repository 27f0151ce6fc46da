"""Handlers of layers: convolution, linear, normalisation, softmax and pooling."""
import numpy as np
import torch

from .. import _fit
from .registry import handles, out_shape
from .tensors import Act, Unavailable


@handles("aten.convolution.default")
def _convolution(cv, node):
    x, w, b, stride, padding, dilation, transposed, out_pad, groups = [cv.arg(a)
                                                                      for a in node.args[:9]]
    if isinstance(w, Act) or isinstance(b, Act):
        cv.fail(node, "a convolution whose weight depends on the input is not supported")
    if transposed:
        cv.fail(node, "transposed convolution (conv_transpose) is not supported")
    if w.dim() != 4:
        cv.fail(node, "only 2-D convolutions are supported (weight of %d dimensions)" % w.dim())
    name = cv.nchw(node, x)
    out = out_shape(cv, node)
    attrs = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation),
             "groups": int(groups)}
    defaults = {"stride": [1, 1], "padding": [0, 0], "dilation": [1, 1], "groups": 1}
    attrs = {k: v for k, v in attrs.items() if v != defaults[k]}
    weights = {"weight": w}
    if b is not None:
        weights["bias"] = b
    y = cv.emit(node, "Conv2d", [name], out, 4, attrs, weights)
    return Act(y, out)


def _linear(cv, node, x, weight, bias):
    """x (2-D torch tensor) @ weight.T + bias."""
    if not isinstance(x, Act):
        cv.fail(node, "matrix product of constants")
    if len(x.tshape) != 2:
        cv.fail(node, "a matrix product needs a 2-D input, got %s" % list(x.tshape))
    g = x.groups()
    o, i = weight.shape
    n, c, h, w = x.rshape
    if g is not None and g[1] in ((1,), ()) and x.tshape[1] == c and set(g[0]) <= {0, 2, 3}:
        # Channels last (or N x C): a 1x1 convolution over the channels.
        weights = {"weight": weight}
        if bias is not None:
            weights["bias"] = bias
        if h * w == 1:
            y = cv.emit(node, "Linear", [x.name], (n, o, 1, 1), 2, None, weights)
            return Act(y, (n, o, 1, 1), 2, x.perm, (x.tshape[0], o))
        weights["weight"] = weight.reshape(o, i, 1, 1)
        y = cv.emit(node, "Conv2d", [x.name], (n, o, h, w), 4, None, weights)
        return Act(y, (n, o, h, w), 4, x.perm, (x.tshape[0], o))
    if g is not None and g[0] in ((0,), ()) and x.tshape[0] == n and list(g[1]) == [
            r for r in (1, 2, 3) if x.rshape[r] != 1]:
        src = x.name
        if h * w > 1:
            src = cv.emit(node, "Flatten", [x.name], (n, c * h * w, 1, 1), 2)
        weights = {"weight": weight}
        if bias is not None:
            weights["bias"] = bias
        y = cv.emit(node, "Linear", [src], (n, o, 1, 1), 2, None, weights)
        return Act(y, (n, o, 1, 1), 2, (0, 1, 2, 3), (n, o))
    cv.fail(node, "a linear layer over this view (shape %s) of an N,C,H,W tensor is not "
            "supported: use it on N x features (after flatten) or on channels-last tensors"
            % list(x.tshape))


@handles("aten.addmm.default")
def _addmm(cv, node):
    bias, x, wt = cv.arg(node.args[0]), cv.arg(node.args[1]), cv.arg(node.args[2])
    beta = node.kwargs.get("beta", 1)
    alpha = node.kwargs.get("alpha", 1)
    if isinstance(wt, Act) or isinstance(bias, Act):
        cv.fail(node, "a linear layer whose weight depends on the input is not supported")
    weight = wt.t() * alpha
    b = torch.as_tensor(bias) * beta
    if b.dim() == 2 and b.shape[0] == 1:
        b = b[0]
    if b.dim() == 0:
        b = b.expand(weight.shape[0])
    if b.dim() != 1:
        cv.fail(node, "a linear layer with a per-row bias is not supported")
    return _linear(cv, node, x, weight, b)


@handles("aten.mm.default")
def _mm(cv, node):
    x, wt = cv.arg(node.args[0]), cv.arg(node.args[1])
    if isinstance(wt, Act):
        cv.fail(node, "a matrix product of two computed tensors is not supported")
    return _linear(cv, node, x, wt.t(), None)


@handles("aten.linear.default")
def _linear_op(cv, node):
    x, w = cv.arg(node.args[0]), cv.arg(node.args[1])
    b = cv.arg(node.args[2]) if len(node.args) > 2 else None
    if isinstance(w, Act) or isinstance(b, Act):
        cv.fail(node, "a linear layer whose weight depends on the input is not supported")
    if len(x.tshape) == 2:
        return _linear(cv, node, x, w, b)
    rows = x.view((int(np.prod(x.tshape[:-1])), x.tshape[-1]))
    y = _linear(cv, node, rows, w, b)
    return y.view(out_shape(cv, node))


def _channel_dim_ok(x, dim):
    return x.axis_of(dim) == 1 or (x.rshape[1] == 1 and x.tshape[dim] == 1)


@handles("aten.native_batch_norm.default", "aten._native_batch_norm_legit_no_training.default")
def _batch_norm(cv, node):
    legit = "legit" in _fit.op_name(node)
    args = [cv.arg(a) for a in node.args]
    x, w, b, rm, rv = args[:5]
    training = False if legit else args[5]
    eps = args[-1]
    if training:
        cv.fail(node, "BatchNorm in training mode (call model.eval(), and keep running "
                "statistics) cannot be exported")
    if rm is None or rv is None:
        cv.fail(node, "BatchNorm without running statistics cannot be exported")
    if not isinstance(x, Act) or len(x.tshape) < 2 or not _channel_dim_ok(x, 1):
        cv.fail(node, "BatchNorm over this tensor layout is not supported")
    C = x.rshape[1]
    w = torch.ones(C) if w is None else w
    b = torch.zeros(C) if b is None else b
    name = cv.emit(node, "BatchNorm", [x.name], x.rshape, x.rank, {"eps": float(eps)},
                   {"weight": w, "bias": b, "running_mean": rm, "running_var": rv})
    y = Act(name, x.rshape, x.rank, x.perm, x.tshape)
    return (y, Unavailable("batch mean"), Unavailable("batch variance"))


@handles("aten.native_group_norm.default")
def _group_norm(cv, node):
    x, w, b, N, C, HxW, group, eps = [cv.arg(a) for a in node.args]
    name = cv.nchw(node, x) if len(x.tshape) == 4 else None
    if name is None:
        cv.fail(node, "GroupNorm needs an N, C, H, W tensor")
    w = torch.ones(C) if w is None else w
    b = torch.zeros(C) if b is None else b
    y = cv.emit(node, "GroupNorm", [name], x.rshape, 4, {"groups": int(group), "eps": float(eps)},
                {"weight": w, "bias": b})
    return (Act(y, x.rshape), Unavailable("group mean"), Unavailable("group rstd"))


@handles("aten.native_layer_norm.default")
def _layer_norm(cv, node):
    x, shape, w, b, eps = [cv.arg(a) for a in node.args]
    g = x.groups() if isinstance(x, Act) else None
    k = len(shape)
    C = x.rshape[1]
    if g is None or sorted(r for gi in g[-k:] for r in gi) != ([1] if C != 1 else []) or \
            int(np.prod(shape)) != C:
        cv.fail(node, "LayerNorm must normalise over the channels only (nn.LayerNorm(C) on a "
                "channels-last tensor, e.g. x.permute(0, 2, 3, 1)); here it normalises the "
                "last %d dims of a tensor of shape %s" % (k, list(x.tshape)))
    w = torch.ones(C) if w is None else w.reshape(C)
    b = torch.zeros(C) if b is None else b.reshape(C)
    name = cv.emit(node, "LayerNorm", [x.name], x.rshape, x.rank, {"eps": float(eps)},
                   {"weight": w, "bias": b})
    return (Act(name, x.rshape, x.rank, x.perm, x.tshape), Unavailable("mean"),
            Unavailable("rstd"))


@handles("aten._softmax.default", "aten.softmax.int")
def _softmax(cv, node):
    x, dim = cv.arg(node.args[0]), node.args[1]
    if not _channel_dim_ok(x, dim) or x.rshape[1] == 1 and x.tshape[dim] != 1:
        cv.fail(node, "softmax is supported over the channels (dim 1 of N, C, ...) only")
    name = cv.emit(node, "Softmax", [x.name], x.rshape, x.rank, {"axis": 1})
    return Act(name, x.rshape, x.rank, x.perm, x.tshape)


def _global_pool(cv, node, x):
    n, c, h, w = x.rshape
    if x.rank != 4:
        cv.fail(node, "pooling of a 2-D tensor")
    name = cv.emit(node, "GlobalAvgPool", [x.name], (n, c, 1, 1), 4)
    return Act(name, (n, c, 1, 1), 4, x.perm, out_shape(cv, node))


@handles("aten.mean.dim")
def _mean(cv, node):
    x = cv.arg(node.args[0])
    dims = node.args[1]
    g = x.groups()
    if g is None:
        cv.unsupported(node)
    dims = [d % len(x.tshape) for d in (dims if dims is not None else range(len(x.tshape)))]
    axes = sorted(r for d in dims for r in g[d])
    spatial = [r for r in (2, 3) if x.rshape[r] != 1]
    if not axes:
        return x.view(out_shape(cv, node))
    if axes != spatial:
        cv.fail(node, "mean is supported over the spatial dims (H, W) only (global average "
                "pooling)")
    return _global_pool(cv, node, x)


@handles("aten._adaptive_avg_pool2d.default", "aten.adaptive_avg_pool2d.default")
def _adaptive_pool(cv, node):
    x = cv.arg(node.args[0])
    size = list(node.args[1])
    cv.nchw(node, x)
    if size == [x.rshape[2], x.rshape[3]]:
        return x
    if size != [1, 1]:
        cv.fail(node, "adaptive average pooling to %s is not supported (only to 1x1)" % size)
    return _global_pool(cv, node, x)


@handles("aten.avg_pool2d.default")
def _avg_pool(cv, node):
    x = cv.arg(node.args[0])
    cv.nchw(node, x)
    k = list(node.args[1])
    k = k * 2 if len(k) == 1 else k
    pad = list(node.args[3]) if len(node.args) > 3 else [0, 0]
    if tuple(out_shape(cv, node)[2:]) == (1, 1) and k == [x.rshape[2], x.rshape[3]] and \
            pad in ([0], [0, 0]):
        return _global_pool(cv, node, x)
    cv.fail(node, "average pooling is supported only over the whole image (global pooling)")
