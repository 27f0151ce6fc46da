"""shiftnn.export: a PyTorch model -> NAME.json + NAME.safetensors for the graph runtime
(docs/model-format.md).

The model is traced with the real example input (make_fx over a functionalized model:
Python control flow, torch.chunk loops, x.shape[...] and slice assignment all run as
written), constants are folded (anything that does not depend on the input), shift
idioms are recognised (shiftnn._fit) and every remaining ATen operator is mapped to a
runtime node. The runtime keeps N, C, H, W tensors; a traced tensor is tracked as a view
of one of them (permuted and reshaped), so channels-last code (permute -> LayerNorm /
Linear -> permute back, flatten + Linear heads) maps to the runtime's ops without
copies.
"""
import json
import os

import numpy as np
import torch

from . import _fit
from . import patterns as P
from . import safetensors
from ._trace import ExportError, location, trace

BIG = 2147483647  # a Slice stop that covers any batch size (stops clamp)


# ---------------------------------------------------------------------------------------
# Tensors of the runtime graph as seen from PyTorch.


class Act:
    """A traced tensor t that is a view of runtime tensor `name` (R, logical N,C,H,W):
    t == R.permute(perm).reshape(tshape). rank is the runtime rank (2 after Flatten or
    Linear, else 4)."""

    __slots__ = ("name", "rshape", "rank", "perm", "tshape")

    def __init__(self, name, rshape, rank=4, perm=(0, 1, 2, 3), tshape=None):
        self.name = name
        self.rshape = tuple(int(d) for d in rshape)
        self.rank = rank
        self.perm = tuple(perm)
        self.tshape = tuple(int(d) for d in (tshape if tshape is not None else rshape))

    def view(self, tshape):
        return Act(self.name, self.rshape, self.rank, self.perm, tshape)

    def groups(self):
        """For each torch dim, the tuple of R dims (of size > 1) it spans, in order; None when
        a torch dim splits an R dim (a reshape that is not a merge)."""
        pdims = [r for r in self.perm if self.rshape[r] != 1]
        out, i = [], 0
        for size in self.tshape:
            if size == 1:
                out.append(())
                continue
            group, prod = [], 1
            while prod < size and i < len(pdims):
                group.append(pdims[i])
                prod *= self.rshape[pdims[i]]
                i += 1
            if prod != size:
                return None
            out.append(tuple(group))
        return out

    def axis_of(self, dim):
        """The R dim of torch dim `dim` (None when it spans several or none)."""
        g = self.groups()
        if g is None:
            return None
        dim = dim % len(self.tshape)
        if len(g[dim]) == 1:
            return g[dim][0]
        return None

    def layout(self):
        """'nchw' or 'nhwc' when the torch tensor is R in that order (4-D), else None."""
        if len(self.tshape) != 4:
            return None
        g = self.groups()
        if g is None:
            return None
        for name, order in (("nchw", (0, 1, 2, 3)), ("nhwc", (0, 2, 3, 1))):
            if self.tshape == tuple(self.rshape[r] for r in order) and all(
                    gi in ((), (r,)) for gi, r in zip(g, order)):
                return name
        return None


class Lazy:
    """Pieces of torch.split / chunk / unbind: materialised as Slices when used."""

    def __init__(self, act, dim, starts, sizes, squeeze=False):
        self.act, self.dim, self.starts, self.sizes, self.squeeze = act, dim, starts, sizes, squeeze


class Unavailable:
    """A secondary output (e.g. LayerNorm's mean) that the runtime does not compute."""

    def __init__(self, what):
        self.what = what


def _inverse(p):
    inv = [0] * len(p)
    for i, d in enumerate(p):
        inv[d] = i
    return tuple(inv)


def _f32(t):
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().to(torch.float64).numpy()
    return np.ascontiguousarray(np.asarray(t, dtype=np.float32))


# ---------------------------------------------------------------------------------------
# The converter.


class _Converter:
    def __init__(self, gm, inputs, model_name):
        self.gm = gm
        self.inputs = inputs
        self.model_name = model_name
        self.nodes = []            # emitted runtime nodes (dicts)
        self.weights = {}
        self.names = set()
        self.info = {}             # tensor name -> {"rshape", "rank"}
        self.rep = {}              # traced node -> Act / Lazy / tuple / Unavailable
        self.graph_inputs = []
        self.const_cache = {}

    # -- errors -------------------------------------------------------------------------

    def fail(self, node, why, hint=""):
        raise ExportError("%s %s%s" % (why, location(node), hint))

    def unsupported(self, node, hint=""):
        name = _fit.op_name(node)
        short = name.split(".")[1] if name.count(".") >= 1 else name
        self.fail(node, "unsupported operation '%s' (%s)" % (short, name), hint)

    # -- emission -----------------------------------------------------------------------

    def _unique(self, base):
        base = base.replace("/", ".") or "node"
        name, k = base, 1
        while name in self.names:
            k += 1
            name = "%s_%d" % (base, k)
        self.names.add(name)
        return name

    def node_name(self, node, op):
        mod = node.meta.get("shiftnn_module") if node is not None else None
        kind = node.meta.get("shiftnn_module_type") if node is not None else None
        same = {"Conv2d": "Conv2d", "Linear": "Linear", "BatchNorm2d": "BatchNorm",
                "BatchNorm1d": "BatchNorm", "GroupNorm": "GroupNorm", "LayerNorm": "LayerNorm",
                "GELU": "GELU", "ReLU": "ReLU", "Shift": "Shift", "Softmax": "Softmax",
                "Flatten": "Flatten", "AdaptiveAvgPool2d": "GlobalAvgPool"}
        if mod:
            if same.get(kind) == op:
                return self._unique(mod)
            return self._unique("%s.%s" % (mod, op.lower()))
        return self._unique(op.lower())

    def emit(self, node, op, inputs, rshape, rank=4, attrs=None, weights=None, name=None):
        name = name or self.node_name(node, op)
        entry = {"name": name, "op": op, "inputs": list(inputs), "outputs": [name]}
        if attrs:
            entry["attrs"] = attrs
        if weights:
            roles = {}
            for role, value in weights.items():
                key = "%s.%s" % (name, role)
                self.weights[key] = _f32(value)
                roles[role] = key
            entry["weights"] = roles
        self.nodes.append(entry)
        self.info[name] = {"rshape": tuple(int(d) for d in rshape), "rank": rank}
        return name

    # -- helpers over Acts ----------------------------------------------------------------

    def nchw(self, node, act, what="input"):
        """act as a canonical N,C,H,W tensor (its runtime name)."""
        if not isinstance(act, Act):
            self.fail(node, "the %s must be a tensor computed from the model input" % what)
        if act.layout() != "nchw":
            self.fail(node, "the %s (shape %s) must be an N, C, H, W tensor (it is a permuted "
                      "or reshaped view the runtime cannot pass to this operation)"
                      % (what, list(act.tshape)))
        if act.rank != 4:
            self.fail(node, "the %s is 2-D in the runtime; this operation needs N, C, H, W"
                      % what)
        return act.name

    def constant(self, value):
        """A batch-invariant constant K x H x W as a runtime tensor N x K x H x W: a
        Constant node repeated over the first input's batch."""
        value = _f32(value)
        key = (value.shape, value.tobytes())
        if key in self.const_cache:
            return self.const_cache[key]
        k, h, w = value.shape
        x = self.graph_inputs[0]
        n = self.info[x]["rshape"][0]
        name = self.emit(None, "Constant", [x], (n, k, h, w), 4, None,
                         {"value": value[None].copy()}, name=self._unique("const.tensor"))
        self.const_cache[key] = name
        return name

    def to_r(self, act, value):
        """A constant broadcast to act's torch shape, in act's R space: N x C x H x W."""
        t = torch.as_tensor(value, dtype=torch.float64)
        t = torch.broadcast_to(t, act.tshape)
        permuted = tuple(act.rshape[p] for p in act.perm)
        return t.reshape(permuted).permute(_inverse(act.perm))

    def affine(self, node, act, scale=None, offset=None):
        """act * scale + offset with constants broadcast over act."""
        parts = []
        for v in (scale, offset):
            if v is None:
                parts.append(None)
                continue
            r = self.to_r(act, v)
            if not bool((r == r[:1]).all()):
                self.fail(node, "a constant that differs between batch elements cannot be "
                          "exported (the runtime batch size is free)")
            parts.append(r[0])
        s, o = parts
        if s is not None and bool((s == 1).all()):
            s = None
        if o is not None and bool((o == 0).all()):
            o = None
        if s is None and o is None:
            return act
        C, H, W = act.rshape[1:]
        per_channel = all(p is None or bool((p == p[:, :1, :1]).all()) for p in (s, o))
        if per_channel:
            sv = np.ones(C, np.float32) if s is None else _f32(s[:, 0, 0])
            ov = None if o is None else _f32(o[:, 0, 0])
            if act.rank == 4:
                weights = {"weight": sv.reshape(C, 1, 1, 1)}
                if ov is not None:
                    weights["bias"] = ov
                name = self.emit(node, "Conv2d", [act.name], act.rshape, 4, {"groups": C}, weights)
            else:
                weights = {"weight": np.diag(sv)}
                if ov is not None:
                    weights["bias"] = ov
                name = self.emit(node, "Linear", [act.name], act.rshape, act.rank, None, weights)
            return Act(name, act.rshape, act.rank if act.rank == 2 else 4, act.perm, act.tshape)
        cur = act
        if s is not None:
            cur = self.binary_runtime(node, "Mul", cur, self.constant(s), act.rshape)
        if o is not None:
            cur = self.binary_runtime(node, "Add", cur, self.constant(o), act.rshape)
        return cur

    def binary_runtime(self, node, op, act, other_name, other_rshape):
        name = self.emit(node, op, [act.name, other_name], act.rshape, 4)
        return Act(name, act.rshape, 4, act.perm, act.tshape)

    # -- the walk -----------------------------------------------------------------------

    def convert(self):
        gm = self.gm
        graph = gm.graph
        placeholders = [n for n in graph.nodes if n.op == "placeholder"]
        output = [n for n in graph.nodes if n.op == "output"][0]
        # Values of the real run.
        values = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                v = super().run_node(n)
                values[n] = v
                return v

        with torch.no_grad():
            Recorder(gm).run(*self.inputs)
        # Reachable nodes, dependence on the input.
        reach, stack = set(), list(output.all_input_nodes)
        while stack:
            n = stack.pop()
            if n in reach:
                continue
            reach.add(n)
            stack.extend(n.all_input_nodes)
        order = [n for n in graph.nodes if n in reach]
        dynamic = {}
        independent = {"aten.zeros_like.default", "aten.ones_like.default", "aten.empty_like.default",
                       "aten.full_like.default", "aten.new_zeros.default", "aten.new_ones.default",
                       "aten.new_empty.default", "aten.new_full.default", "aten.fill.Scalar",
                       "aten.zero.default", "aten.new_empty_strided.default",
                       "aten.empty_strided.default", "aten.scalar_tensor.default"}
        for n in order:
            if n.op == "placeholder":
                dynamic[n] = True
            elif n.op == "call_function" and _fit.op_name(n) not in independent:
                dynamic[n] = any(dynamic.get(a, False) for a in n.all_input_nodes)
            else:
                dynamic[n] = False
        users = {n: [u for u in n.users if u in reach] for n in order}
        self.an = _fit.Analysis([n for n in order if n.op == "call_function"], values, dynamic,
                                users)
        self.values = values
        self.dynamic = dynamic
        # Inputs.
        for i, ph in enumerate(placeholders):
            v = values[ph]
            name = "x" if len(placeholders) == 1 else "x%d" % i
            self.names.add(name)
            self.graph_inputs.append(name)
            self.info[name] = {"rshape": tuple(v.shape), "rank": 4}
            self.rep[ph] = Act(name, v.shape)
        # Shifts written as PyTorch code.
        self.regions = _fit.find_shift_regions(self.an)
        self.member_of = {}
        for y, (x, region, fit) in self.regions.items():
            for n in region:
                self.member_of.setdefault(n, []).append(y)
        self.accepted = {}
        for n in order:
            if n.op != "call_function" or not dynamic[n] or n in self.rep:
                continue
            if n in self.regions and self.region_decision(n):
                self.rep[n] = self.emit_region(n)
                continue
            if any(y is not n and self.region_decision(y) for y in self.member_of.get(n, ())):
                continue  # inside a shift: exported on its own only if something else reads it
            self.rep[n] = self.convert_node(n)
        outs = output.args[0]
        if isinstance(outs, torch.fx.Node) or not isinstance(outs, (list, tuple)):
            outs = [outs]
        out_names = []
        for o in outs:
            if not isinstance(o, torch.fx.Node) or not dynamic.get(o):
                raise ExportError("model output %r does not depend on the input" % (o,))
            out_names.append(self.output_name(o, self.arg(o)))
        return out_names

    def region_decision(self, y):
        if y in self.accepted:
            return self.accepted[y]
        x, region, fit = self.regions[y]
        act = self.arg(x)
        ok = False
        if isinstance(act, Act):
            layout = act.layout()
            if layout is not None and layout != fit.layout:
                alt = _fit.fit_region(self.an, region, x, y, layout)
                if alt is not None:
                    self.regions[y] = (x, region, alt)
                    fit = alt
            ok = layout == fit.layout and (act.rank == 4 or fit.pattern == "uniform:0,0")
        self.accepted[y] = ok
        return ok

    def emit_region(self, y):
        x, region, fit = self.regions[y]
        act = self.arg(x)
        if fit.pattern == "uniform:0,0":
            return act.view(tuple(self.values[y].shape))
        # Name the node after the module holding most of the region.
        mods = [n.meta.get("shiftnn_module") for n in region if n.meta.get("shiftnn_module")]
        anchor = y
        if mods:
            best = max(set(mods), key=mods.count)
            for n in region:
                if n.meta.get("shiftnn_module") == best:
                    anchor = n
                    break
        name = self.emit(anchor, "Shift", [act.name], act.rshape, 4,
                         {"pattern": fit.pattern, "boundary": fit.boundary},
                         name=self._unique((anchor.meta.get("shiftnn_module") or "") +
                                           (".shift" if anchor.meta.get("shiftnn_module") else
                                            "shift")))
        return Act(name, act.rshape, 4, act.perm, act.tshape)

    def output_name(self, node, act):
        if not isinstance(act, Act):
            self.fail(node, "a model output must be a tensor")
        t = act.tshape
        if act.layout() == "nchw" and act.rank == 4:
            return act.name
        g = act.groups()
        if len(t) == 2 and g is not None and g[0] in ((), (0,)):
            n, c, h, w = act.rshape
            if act.rank == 2 and tuple(g[1]) in ((1,), ()):
                return act.name
            if h * w == 1 or tuple(g[1]) == tuple(r for r in (1, 2, 3) if act.rshape[r] != 1):
                return self.emit(node, "Flatten", [act.name], (n, c * h * w, 1, 1), 2)
        self.fail(node, "a model output must be N x C x H x W or N x M in the runtime's order; "
                  "this one (shape %s) is not" % list(t))

    # -- operators ------------------------------------------------------------------------

    def arg(self, a):
        if isinstance(a, torch.fx.Node):
            if self.dynamic.get(a):
                if a not in self.rep:  # skipped as part of a shift, needed after all
                    self.rep[a] = self.convert_node(a)
                return self.rep[a]
            return self.values[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.arg(v) for v in a)
        return a

    def convert_node(self, node):
        name = _fit.op_name(node)
        handler = _HANDLERS.get(name)
        if handler is None:
            hint = _HINTS.get(name, "")
            self.unsupported(node, hint)
        return handler(self, node)


# ---------------------------------------------------------------------------------------
# Handlers: node -> Act (or tuple/Lazy), emitting runtime nodes.

_HANDLERS = {}
_HINTS = {
    "aten.roll.default": "; torch.roll is exported only as part of a recognised shift (this "
                         "one does not compute a SPEC §1 shift of a single tensor)",
    "aten.slice_scatter.default": "; slice assignment is exported only as part of a "
                                  "recognised shift",
    "aten.replication_pad2d.default": "; non-zero padding is exported only as part of a "
                                      "recognised shift",
    "aten.reflection_pad2d.default": "; reflection padding is not supported",
    "torchvision.deform_conv2d.default": "",
    "aten.max_pool2d_with_indices.default": "; the runtime has no max pooling",
    "aten.sigmoid.default": "; the runtime has no sigmoid",
}


def handles(*names):
    def deco(fn):
        for n in names:
            _HANDLERS[n] = fn
        return fn
    return deco


def _out_shape(cv, node):
    v = cv.values[node]
    return tuple(v.shape)


@handles("aten.clone.default", "aten.alias.default", "aten.detach.default",
         "aten.lift_fresh_copy.default", "aten.contiguous.default")
def _identity(cv, node):
    return cv.arg(node.args[0])


@handles("aten.copy.default")
def _copy(cv, node):  # functional form of dst.copy_(src): src broadcast into dst's shape
    src = cv.arg(node.args[1])
    if not isinstance(src, Act) or tuple(src.tshape) != _out_shape(cv, node):
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
    return x.view(_out_shape(cv, node))


@handles("aten.expand.default")
def _expand(cv, node):
    x = cv.arg(node.args[0])
    if tuple(x.tshape) != _out_shape(cv, node):
        cv.fail(node, "expand/broadcast of a computed tensor (%s -> %s) is not supported"
                % (list(x.tshape), list(_out_shape(cv, node))))
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
        out = _out_shape(cv, node)
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
    if tuple(a.tshape) != _out_shape(cv, node):
        cv.fail(node, "a constant operand that broadcasts the computed tensor %s to %s is not "
                "supported" % (list(a.tshape), list(_out_shape(cv, node))))
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
    out = _out_shape(cv, node)
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
    return y.view(_out_shape(cv, node))


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
    return Act(name, (n, c, 1, 1), 4, x.perm, _out_shape(cv, node))


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
        return x.view(_out_shape(cv, node))
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
    if tuple(_out_shape(cv, node)[2:]) == (1, 1) and k == [x.rshape[2], x.rshape[3]] and \
            pad in ([0], [0, 0]):
        return _global_pool(cv, node, x)
    cv.fail(node, "average pooling is supported only over the whole image (global pooling)")


@handles("aten.cat.default")
def _cat(cv, node):
    parts = cv.arg(node.args[0])
    dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
    acts = [p for p in parts if isinstance(p, Act)]
    ref = acts[0]
    out = _out_shape(cv, node)
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
    return Act(y, rshape, 4, x.perm, _out_shape(cv, node))


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


# ---------------------------------------------------------------------------------------
# Clean-up passes and the files.


def _merge_slices(nodes, info, outputs):
    """Slice(Slice(x)) -> one Slice when the inner one has no other reader."""
    changed = True
    while changed:
        changed = False
        readers = {}
        for nd in nodes:
            for i in nd["inputs"]:
                readers[i] = readers.get(i, 0) + 1
        producer = {nd["outputs"][0]: nd for nd in nodes}
        for nd in nodes:
            if nd["op"] != "Slice":
                continue
            inner = producer.get(nd["inputs"][0])
            if inner is None or inner["op"] != "Slice" or readers.get(inner["name"], 0) != 1 or \
                    inner["name"] in outputs:
                continue
            base = info[inner["inputs"][0]]["rshape"]
            a, b = inner["attrs"], nd["attrs"]
            starts, stops, steps = [], [], []
            ok = True
            for r in range(4):
                s1, e1, t1 = a["starts"][r], a["stops"][r], a["steps"][r]
                s2, e2, t2 = b["starts"][r], b["stops"][r], b["steps"][r]
                if r == 0:
                    if (s1, t1, s2, t2) != (0, 1, 0, 1) or e1 != BIG or e2 != BIG:
                        ok = False
                    starts.append(0), stops.append(BIG), steps.append(1)
                    continue
                n1 = len(range(s1, min(e1, base[r]), t1))
                n2 = len(range(s2, min(e2, n1), t2))
                start, step = s1 + s2 * t1, t1 * t2
                starts.append(start)
                steps.append(step)
                stops.append(start + (n2 - 1) * step + 1)
            if not ok:
                continue
            nd["inputs"] = list(inner["inputs"])
            nd["attrs"] = {"starts": starts, "stops": stops, "steps": steps}
            nodes.remove(inner)
            changed = True
            break
    return nodes


def _prune(nodes, outputs):
    """Drop nodes nothing reads."""
    needed = set(outputs)
    producer = {nd["outputs"][0]: nd for nd in nodes}
    stack = list(outputs)
    while stack:
        t = stack.pop()
        nd = producer.get(t)
        if nd is None:
            continue
        for i in nd["inputs"]:
            if i not in needed:
                needed.add(i)
                stack.append(i)
    return [nd for nd in nodes if nd["outputs"][0] in needed]


def export(model, example_input, path):
    """Export `model` (an nn.Module or a function of tensors) to PATH.json and
    PATH.safetensors for the shiftnn graph runtime.

    example_input: an N x C x H x W float32 tensor (or a tuple of them); the model is
    traced with it (eval mode), and the graph declares its shape (N may differ at run
    time). Returns the graph (the JSON document as a dict). Raises ExportError naming the
    operation and where it is in the model when something cannot be exported.
    """
    inputs = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    inputs = tuple(inputs)
    for x in inputs:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.dtype != torch.float32:
            raise ExportError("example inputs must be float32 N x C x H x W tensors, got %s"
                              % (getattr(x, "shape", type(x)),))
    path = str(path)
    if path.endswith(".json"):
        path = path[:-5]
    training = getattr(model, "training", None)
    if isinstance(model, torch.nn.Module):
        model.eval()
    try:
        gm = trace(model, inputs)
        cv = _Converter(gm, inputs, os.path.basename(path))
        outputs = cv.convert()
    finally:
        if isinstance(model, torch.nn.Module) and training:
            model.train()
    nodes = _merge_slices(cv.nodes, cv.info, outputs)
    nodes = _prune(nodes, outputs)
    used = {w for nd in nodes for w in nd.get("weights", {}).values()}
    weights = {k: v for k, v in cv.weights.items() if k in used}
    graph = {"format_version": 1,
             "inputs": [{"name": name, "shape": list(cv.info[name]["rshape"])}
                        for name in cv.graph_inputs],
             "outputs": outputs,
             "nodes": nodes}
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    _write_atomically(path + ".safetensors", safetensors.to_bytes(weights))
    _write_atomically(path + ".json", _graph_text(graph).encode())
    return graph


def _graph_text(graph):
    one = lambda v: json.dumps(v, separators=(", ", ": "))  # noqa: E731
    lines = ['{"format_version": %d,' % graph["format_version"],
             ' "inputs": [%s],' % ", ".join(one(i) for i in graph["inputs"]),
             ' "outputs": %s,' % one(graph["outputs"]), ' "nodes": [']
    lines += ["  %s%s" % (one(n), "," if i + 1 < len(graph["nodes"]) else "")
              for i, n in enumerate(graph["nodes"])]
    return "\n".join(lines) + "\n]}\n"


def _write_atomically(path, data):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


__all__ = ["export", "ExportError"]
