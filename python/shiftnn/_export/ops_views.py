"""Handlers that pass a tensor through, view, permute, slice, split or concatenate it."""
import torch

from .. import _fit
from .registry import handles, out_shape
from .tensors import BIG, Act, Lazy, Unavailable


@handles("aten.clone.default", "aten.alias.default", "aten.detach.default",
         "aten.lift_fresh_copy.default", "aten.contiguous.default")
def _identity(cv, node):
    return cv.arg(node.args[0])


@handles("aten.copy.default")
def _copy(cv, node):  # functional form of dst.copy_(src): src broadcast into dst's shape
    src = cv.arg(node.args[1])
    if not isinstance(src, Act) or tuple(src.tshape) != out_shape(cv, node):
        cv.unsupported(node, "; only a copy of a computed tensor of the same shape is supported")
    return src


@handles("aten._to_copy.default")
def _to_copy(cv, node):
    if node.kwargs.get("dtype") not in (None, torch.float32):
        cv.fail(node, "conversion to %s is not supported (the runtime is float32)"
                % node.kwargs.get("dtype"))
    return cv.arg(node.args[0])


@handles("aten.dropout.default", "aten.native_dropout.default", "aten.feature_dropout.default")
def _dropout(cv, node):
    train = node.args[2] if len(node.args) > 2 else node.kwargs.get("train", False)
    if train:
        cv.fail(node, "dropout in training mode cannot be exported")
    x = cv.arg(node.args[0])
    return (x, Unavailable("dropout mask")) if "native" in _fit.op_name(node) else x


@handles("aten.view.default", "aten._reshape_alias.default", "aten._unsafe_view.default",
         "aten.reshape.default", "aten.view_copy.default", "aten.unsqueeze.default",
         "aten.squeeze.dim", "aten.squeeze.default", "aten.squeeze.dims", "aten.flatten.using_ints",
         "aten._unsafe_view_copy.default")
def _reshape(cv, node):
    x = cv.arg(node.args[0])
    if not isinstance(x, Act):
        cv.fail(node, "reshape of a non-tensor")
    return x.view(out_shape(cv, node))


@handles("aten.expand.default")
def _expand(cv, node):
    x = cv.arg(node.args[0])
    if tuple(x.tshape) != out_shape(cv, node):
        cv.fail(node, "expand/broadcast of a computed tensor (%s -> %s) is not supported"
                % (list(x.tshape), list(out_shape(cv, node))))
    return x


def _permute_act(cv, node, x, dims):
    g = x.groups()
    if g is None:
        cv.fail(node, "permute after a reshape that splits a dimension (e.g. a channel "
                "shuffle) is not supported")
    dims = [d % len(x.tshape) for d in dims]
    order = [r for d in dims for r in g[d]]
    order += [r for r in range(4) if r not in order]
    return Act(x.name, x.rshape, x.rank, tuple(order), tuple(x.tshape[d] for d in dims))


@handles("aten.permute.default")
def _permute(cv, node):
    return _permute_act(cv, node, cv.arg(node.args[0]), node.args[1])


@handles("aten.transpose.int")
def _transpose(cv, node):
    x = cv.arg(node.args[0])
    d = list(range(len(x.tshape)))
    a, b = node.args[1] % len(d), node.args[2] % len(d)
    d[a], d[b] = d[b], d[a]
    return _permute_act(cv, node, x, d)


@handles("aten.t.default")
def _t(cv, node):
    x = cv.arg(node.args[0])
    return _permute_act(cv, node, x, [1, 0] if len(x.tshape) == 2 else [0])


@handles("aten.cat.default")
def _cat(cv, node):
    parts = cv.arg(node.args[0])
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    acts = [p for p in parts if isinstance(p, Act)]
    ref = acts[0]
    out = out_shape(cv, node)
    dim = dim % len(out)
    if ref.axis_of(dim) != 1 and not (ref.rshape[1] == 1 and ref.tshape[dim] == 1 and
                                      ref.layout()):
        cv.fail(node, "torch.cat is supported along the channels only (the runtime's Concat "
                "is axis 1), not along dim %d of a tensor of shape %s" % (dim, list(ref.tshape)))
    names, C = [], 0
    for p in parts:
        if isinstance(p, Act):
            if p.rank != ref.rank or p.perm != ref.perm and p.layout() != ref.layout() or \
                    (p.rshape[0], p.rshape[2], p.rshape[3]) != (ref.rshape[0], ref.rshape[2],
                                                               ref.rshape[3]):
                cv.fail(node, "torch.cat of tensors with different layouts or sizes")
            names.append(p.name)
            C += p.rshape[1]
        else:
            t = torch.as_tensor(p)
            if t.numel() == 0:
                continue
            like = Act(None, ref.rshape[:1] + (t.shape[dim],) + ref.rshape[2:], 4, ref.perm,
                       tuple(t.shape))
            r = cv.to_r(like, t)
            if not bool((r == r[:1]).all()):
                cv.fail(node, "a constant that differs between batch elements cannot be exported")
            names.append(cv.constant(r[0]))
            C += r.shape[1]
    rshape = (ref.rshape[0], C, ref.rshape[2], ref.rshape[3])
    if len(names) == 1:
        return Act(names[0], rshape, ref.rank, ref.perm, out)
    name = cv.emit(node, "Concat", names, rshape, ref.rank, {"axis": 1})
    return Act(name, rshape, ref.rank, ref.perm, out)


def _slice_act(cv, node, x, dim, start, end, step, squeeze=False):
    size = x.tshape[dim]
    start = 0 if start is None else start
    end = size if end is None else end
    start = start + size if start < 0 else start
    end = end + size if end < 0 else end
    start, end = max(0, min(start, size)), max(0, min(end, size))
    if step < 1:
        cv.fail(node, "slicing with step %d is not supported" % step)
    count = len(range(start, end, step))
    if count == 0:
        cv.fail(node, "an empty slice cannot be exported")
    tshape = list(x.tshape)
    tshape[dim] = count
    if squeeze:
        del tshape[dim]
    if count == size:
        return x.view(tuple(tshape))
    r = x.axis_of(dim)
    if r is None:
        cv.fail(node, "slicing dim %d of a tensor of shape %s: the dim is not one of N, C, H, "
                "W of the runtime tensor" % (dim, list(x.tshape)))
    if x.rank == 2 and r in (2, 3):
        cv.unsupported(node)
    starts, stops, steps = [0, 0, 0, 0], [BIG] + list(x.rshape[1:]), [1, 1, 1, 1]
    starts[r], stops[r], steps[r] = start, end, step
    rshape = list(x.rshape)
    rshape[r] = count
    name = cv.emit(node, "Slice", [x.name], rshape, x.rank,
                   {"starts": starts, "stops": stops, "steps": steps})
    return Act(name, rshape, x.rank, x.perm, tuple(tshape))


@handles("aten.slice.Tensor")
def _slice(cv, node):
    x = cv.arg(node.args[0])
    a = list(node.args) + [None] * (5 - len(node.args))
    dim = a[1] if a[1] is not None else node.kwargs.get("dim", 0)
    start = a[2] if len(node.args) > 2 else node.kwargs.get("start")
    end = a[3] if len(node.args) > 3 else node.kwargs.get("end")
    step = a[4] if len(node.args) > 4 else node.kwargs.get("step", 1)
    return _slice_act(cv, node, x, dim % len(x.tshape), start, end, step or 1)


@handles("aten.select.int")
def _select(cv, node):
    x, dim, index = cv.arg(node.args[0]), node.args[1], node.args[2]
    dim %= len(x.tshape)
    index = index + x.tshape[dim] if index < 0 else index
    return _slice_act(cv, node, x, dim, index, index + 1, 1, squeeze=True)


@handles("aten.split.Tensor", "aten.split_with_sizes.default")
def _split(cv, node):
    x = cv.arg(node.args[0])
    dim = (node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)) % len(x.tshape)
    size = x.tshape[dim]
    if _fit.op_name(node) == "aten.split.Tensor":
        step = node.args[1]
        sizes = [min(step, size - s) for s in range(0, size, step)]
    else:
        sizes = list(node.args[1])
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return Lazy(x, dim, starts, sizes)


@handles("aten.unbind.int")
def _unbind(cv, node):
    x = cv.arg(node.args[0])
    dim = (node.args[1] if len(node.args) > 1 else 0) % len(x.tshape)
    n = x.tshape[dim]
    return Lazy(x, dim, list(range(n)), [1] * n, squeeze=True)


@handles("getitem")
def _getitem(cv, node):
    src = cv.arg(node.args[0])
    i = node.args[1]
    if isinstance(src, Lazy):
        return _slice_act(cv, node, src.act, src.dim, src.starts[i],
                          src.starts[i] + src.sizes[i], 1, squeeze=src.squeeze)
    if isinstance(src, (tuple, list)):
        v = src[i]
        if isinstance(v, Unavailable):
            cv.fail(node, "the %s output is not computed by the runtime" % v.what)
        return v
    cv.unsupported(node)
