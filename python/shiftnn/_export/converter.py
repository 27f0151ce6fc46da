"""The converter: walks the traced graph and emits runtime nodes, one handler per operator."""
import numpy as np
import torch

from .. import _fit
from .._trace import ExportError, location
from .registry import HANDLERS, HINTS
from .tensors import Act, f32, inverse


class Converter:
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
                self.weights[key] = f32(value)
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
        value = f32(value)
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
        return t.reshape(permuted).permute(inverse(act.perm))

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
            sv = np.ones(C, np.float32) if s is None else f32(s[:, 0, 0])
            ov = None if o is None else f32(o[:, 0, 0])
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
        independent = {"aten.zeros_like.default", "aten.ones_like.default",
                       "aten.empty_like.default", "aten.full_like.default",
                       "aten.new_zeros.default", "aten.new_ones.default",
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
        handler = HANDLERS.get(name)
        if handler is None:
            hint = HINTS.get(name, "")
            self.unsupported(node, hint)
        return handler(self, node)
