"""Handlers of elementwise operators: activations and arithmetic with tensors or constants."""
import torch

from .registry import handles, out_shape
from .tensors import Act


@handles("aten.relu.default")
def _relu(cv, node):
    x = cv.arg(node.args[0])
    name = cv.emit(node, "ReLU", [x.name], x.rshape, x.rank)
    return Act(name, x.rshape, x.rank, x.perm, x.tshape)


@handles("aten.gelu.default")
def _gelu(cv, node):
    approx = node.kwargs.get("approximate", node.args[1] if len(node.args) > 1 else "none")
    if approx != "none":
        cv.fail(node, "GELU with approximate='%s' is not supported: the runtime's GELU is the "
                "erf form (approximate='none')" % approx)
    x = cv.arg(node.args[0])
    name = cv.emit(node, "GELU", [x.name], x.rshape, x.rank)
    return Act(name, x.rshape, x.rank, x.perm, x.tshape)


def _broadcast_ok(a, b):
    """Runtime broadcast of Act b into Act a (same view of R, b 1x1 pixels)."""
    if a.perm != b.perm and not (a.layout() and a.layout() == b.layout()):
        ga, gb = a.groups(), b.groups()
        if ga is None or gb is None:
            return False
    if b.rshape == a.rshape:
        return a.tshape == b.tshape and (a.perm == b.perm or a.groups() == b.groups())
    n, c, h, w = b.rshape
    if not (c == a.rshape[1] and h == 1 and w == 1 and n in (a.rshape[0], 1)):
        return False
    # torch broadcasting of b over a must be over a's H, W (and maybe N) only.
    ga = a.groups()
    if ga is None or len(b.tshape) > len(a.tshape):
        return False
    tb = (1,) * (len(a.tshape) - len(b.tshape)) + tuple(b.tshape)
    for i, (sa, sb) in enumerate(zip(a.tshape, tb)):
        if sa != sb and sb != 1:
            return False
        if sa != sb and not set(ga[i]) <= {0, 2, 3}:
            return False
        if sa == sb and sa != 1 and 1 in ga[i] and len(ga[i]) != 1:
            return False
    return True


def _binary(cv, node, op):
    a, b = cv.arg(node.args[0]), cv.arg(node.args[1])
    alpha = node.kwargs.get("alpha", 1)
    if op == "sub":
        if isinstance(b, Act):
            b = cv.affine(node, b, scale=-alpha) if alpha else None
            op = "add"
        else:
            b = -alpha * torch.as_tensor(b, dtype=torch.float64)
            op = "add"
    elif op == "add" and alpha != 1:
        if isinstance(b, Act):
            b = cv.affine(node, b, scale=alpha)
        else:
            b = alpha * torch.as_tensor(b, dtype=torch.float64)
    if op == "div":
        if isinstance(b, Act):
            cv.fail(node, "division by a computed tensor is not supported")
        b = 1.0 / torch.as_tensor(b, dtype=torch.float64)
        op = "mul"
    if isinstance(a, Act) and isinstance(b, Act):
        rt = {"add": "Add", "mul": "Mul"}[op]
        out = out_shape(cv, node)
        if tuple(a.tshape) != out:
            a, b = b, a
        if tuple(a.tshape) != out or not _broadcast_ok(a, b):
            cv.fail(node, "%s of tensors %s and %s: the runtime adds/multiplies equal shapes or "
                    "broadcasts an N x C x 1 x 1 operand only" % (op, list(a.tshape),
                                                                    list(b.tshape)))
        name = cv.emit(node, rt, [a.name, b.name], a.rshape, max(a.rank, b.rank)
                       if a.rank == b.rank else 4)
        return Act(name, a.rshape, a.rank if a.rank == b.rank else 4, a.perm, a.tshape)
    if not isinstance(a, Act):
        a, b = b, a
    if not isinstance(a, Act):
        cv.fail(node, "operation on constants only")
    if tuple(a.tshape) != out_shape(cv, node):
        cv.fail(node, "a constant operand that broadcasts the computed tensor %s to %s is not "
                "supported" % (list(a.tshape), list(out_shape(cv, node))))
    if op == "add":
        return cv.affine(node, a, offset=b)
    return cv.affine(node, a, scale=b)


@handles("aten.add.Tensor", "aten.add.Scalar")
def _add(cv, node):
    return _binary(cv, node, "add")


@handles("aten.sub.Tensor", "aten.sub.Scalar")
def _sub(cv, node):
    return _binary(cv, node, "sub")


@handles("aten.rsub.Scalar", "aten.rsub.Tensor")
def _rsub(cv, node):
    a, b = cv.arg(node.args[0]), cv.arg(node.args[1])
    alpha = node.kwargs.get("alpha", 1)
    if not isinstance(a, Act) or isinstance(b, Act):
        cv.unsupported(node)
    return cv.affine(node, a, scale=-alpha, offset=b)


@handles("aten.mul.Tensor", "aten.mul.Scalar")
def _mul(cv, node):
    return _binary(cv, node, "mul")


@handles("aten.div.Tensor", "aten.div.Scalar")
def _div(cv, node):
    if node.kwargs.get("rounding_mode") is not None:
        cv.unsupported(node)
    return _binary(cv, node, "div")


@handles("aten.neg.default")
def _neg(cv, node):
    return cv.affine(node, cv.arg(node.args[0]), scale=-1.0)
