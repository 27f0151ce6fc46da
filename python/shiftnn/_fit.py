"""Recognising shifts written in plain PyTorch.

A *region* is a connected set of traced data-movement operators (slicing, slice
assignment, pad, roll, chunk, cat, narrow, one-hot depthwise convolution, grid_sample
or deform_conv2d with constant grids/offsets, ...) that reads exactly one tensor X and
produces one tensor Y of X's shape. Whether Y is a SPEC §1 shift of X is decided by
running the region on probe inputs: an index-coded image (integer shifts: each output
names its source pixel), a centred impulse (fractional shifts: the centre of mass of the
response is the displacement), then verified on random data against shiftnn's own shift
(bit exact for integer shifts). A region that is a shift becomes one Shift node with the
named pattern that gives the same displacements, else a `list:` pattern."""
import operator

import numpy as np
import torch

from . import patterns as P
from ._shift import shift_by


def op_name(node):
    t = node.target
    if t is operator.getitem:
        return "getitem"
    return str(t)


# Operators that only move (or zero) data, read when recognising shift regions.
_LAYOUT = {
    "aten.clone.default", "aten.alias.default", "aten.view.default", "aten._reshape_alias.default",
    "aten._unsafe_view.default", "aten.reshape.default", "aten.permute.default",
    "aten.transpose.int", "aten.unsqueeze.default", "aten.squeeze.dim", "aten.squeeze.default",
    "aten.squeeze.dims", "aten.expand.default", "aten.detach.default", "aten.lift_fresh_copy.default",
    "aten._to_copy.default", "aten.view_copy.default", "aten.contiguous.default",
}
_MOVES = {
    "aten.slice.Tensor", "aten.slice_scatter.default", "aten.select.int",
    "aten.select_scatter.default", "aten.cat.default", "aten.split.Tensor",
    "aten.split_with_sizes.default", "aten.roll.default", "aten.constant_pad_nd.default",
    "aten.replication_pad2d.default", "aten.reflection_pad2d.default", "aten.flip.default",
    "aten.index.Tensor", "aten.index_select.default", "aten.copy.default", "getitem",
    "aten.unbind.int", "aten.narrow.default", "aten.pad.default", "aten.where.self",
    "aten.mul.Tensor", "aten.add.Tensor", "aten.gather.default",
}


class Analysis:
    """What the converter knows about the traced graph."""

    def __init__(self, nodes, values, dynamic, users):
        self.nodes = nodes          # reachable call nodes in topological order
        self.values = values        # node -> value of the real run
        self.dynamic = dynamic      # node -> depends on the model input
        self.users = users          # node -> reachable users
        self.order = {n: i for i, n in enumerate(nodes)}


def _dyn_inputs(an, node):
    out = []
    for a in node.all_input_nodes:
        if an.dynamic.get(a):
            out.append(a)
    return out


def is_movement(an, node):
    """Whether a dynamic node may belong to a shift region."""
    name = op_name(node)
    if name == "getitem":  # a piece of torch.chunk / split / unbind
        src = node.args[0]
        return isinstance(src, torch.fx.Node) and op_name(src) in (
            "aten.split.Tensor", "aten.split_with_sizes.default", "aten.unbind.int")
    if name in _LAYOUT or name in _MOVES:
        if name == "aten.mul.Tensor":  # a mask or a scale: one operand constant
            return len(_dyn_inputs(an, node)) == 1
        if name in ("aten.add.Tensor",):
            return len(node.args) < 3 and node.kwargs.get("alpha", 1) == 1
        if name == "aten.where.self":
            return not an.dynamic.get(node.args[0], False)
        if name in ("aten.index.Tensor", "aten.index_select.default", "aten.gather.default"):
            return len(_dyn_inputs(an, node)) == 1 and node.args[0] in _dyn_inputs(an, node)
        return True
    if name == "aten.convolution.default":
        x, w = node.args[0], node.args[1]
        if an.dynamic.get(w) or (node.args[2] is not None and an.dynamic.get(node.args[2])):
            return False
        wv = an.values[w]
        xv = an.values[x]
        groups = node.args[8]
        return (not node.args[6] and wv.dim() == 4 and xv.dim() == 4 and
                groups == xv.shape[1] == wv.shape[0] and wv.shape[1] == 1)
    if name in ("aten.grid_sampler_2d.default", "aten.grid_sampler.default"):
        return not an.dynamic.get(node.args[1], False) and an.dynamic.get(node.args[0], False)
    if name == "torchvision.deform_conv2d.default":
        return _dyn_inputs(an, node) == [node.args[0]]
    return False


def boundary_hints(an, region):
    """Boundary preference from the operators used (ties only: e.g. keep and replicate
    agree for |d| = 1)."""
    names = [op_name(n) for n in region]
    hints = []
    for n in region:
        name = op_name(n)
        if name == "aten.replication_pad2d.default":
            hints.append("replicate")
        elif name in ("aten.grid_sampler_2d.default", "aten.grid_sampler.default"):
            hints.append({0: "zero", 1: "replicate"}.get(n.args[3], "zero"))
    if "aten.constant_pad_nd.default" in names:
        hints.append("zero")
    scatters = [n for n in region if op_name(n) in ("aten.slice_scatter.default",
                                                    "aten.select_scatter.default")]
    if scatters:
        # Slice assignment into a fresh tensor (zeros) or into the data itself (keep).
        fresh = any(isinstance(n.args[0], torch.fx.Node) and not an.dynamic.get(n.args[0])
                    for n in scatters)
        hints.append("zero" if fresh else "keep")
    if "aten.roll.default" in names:
        hints.append("circular")
    if "aten.clone.default" in names:
        hints.append("keep")
    order = []
    for b in hints + ["zero", "replicate", "circular", "keep"]:
        if b not in order:
            order.append(b)
    return order


def region_of(an, y, opaque):
    """(region nodes, entry nodes) grown backwards from y through movement nodes. Region
    nodes may have readers outside the region (e.g. a pad shared by two shifts): the
    converter then also exports them on their own where they are needed."""
    region, entries, stack = set(), set(), [y]
    while stack:
        n = stack.pop()
        if n in region:
            continue
        region.add(n)
        for a in _dyn_inputs(an, n):
            if a in region:
                continue
            if a not in opaque and is_movement(an, a):
                stack.append(a)
            else:
                entries.add(a)
    return region, entries


class Fit:
    def __init__(self, layout, dh, dw, boundary, pattern):
        self.layout, self.dh, self.dw, self.boundary, self.pattern = layout, dh, dw, boundary, pattern


_LAYOUT_PERM = {"nchw": (0, 1, 2, 3), "nhwc": (0, 2, 3, 1)}


def _inverse(p):
    inv = [0] * len(p)
    for i, d in enumerate(p):
        inv[d] = i
    return tuple(inv)


class RegionFunction:
    """The region as a function of its entry (in the R = N,C,H,W space of a layout)."""

    def __init__(self, an, region, x, y, layout):
        self.an, self.x, self.y = an, x, y
        self.nodes = sorted(region, key=lambda n: an.order[n])
        self.perm = _LAYOUT_PERM[layout]
        shape = tuple(an.values[x].shape)
        inv = _inverse(self.perm)
        self.rshape = tuple(shape[inv[i]] for i in range(4))  # R dims from torch dims

    def __call__(self, r):
        env = {self.x: r.permute(self.perm).contiguous()}

        def arg(a):
            if isinstance(a, torch.fx.Node):
                return env[a] if a in env else self.an.values[a]
            return a

        for n in self.nodes:
            args = torch.fx.node.map_aggregate(n.args, arg)
            kwargs = torch.fx.node.map_aggregate(n.kwargs, arg)
            env[n] = n.target(*args, **kwargs)
        out = env[self.y]
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(
                self.an.values[self.x].shape):
            return None
        return out.permute(_inverse(self.perm))


def _expected_codes(dh, dw, boundary, H, W):
    """Index codes (1 + h*W + w of the source, 0 for zero) of integer shifts: dh, dw are
    per-channel int arrays (C,), the result C x H x W."""
    h = np.arange(H)[None, :, None]
    w = np.arange(W)[None, None, :]
    hs = h - np.asarray(dh)[:, None, None]
    ws = w - np.asarray(dw)[:, None, None]
    inside = (hs >= 0) & (hs < H) & (ws >= 0) & (ws < W)
    if boundary == "circular":
        hs, ws = np.mod(hs, H), np.mod(ws, W)
    elif boundary == "keep":
        hs = np.where(inside, hs, h)
        ws = np.where(inside, ws, w)
    else:
        hs, ws = np.clip(hs, 0, H - 1), np.clip(ws, 0, W - 1)
    codes = 1 + hs * W + ws
    if boundary == "zero":
        codes = np.where(inside, codes, 0)
    return codes


def _fit_integer(f, rshape, prefs):
    N, C, H, W = rshape
    if H * W + 1 > (1 << 24):
        return None
    code = torch.arange(1, H * W + 1, dtype=torch.float32).reshape(1, 1, H, W)
    y = f(code.expand(N, C, H, W).contiguous())
    if y is None:
        return None
    y0 = y[0].double().numpy()
    if not np.all(np.isfinite(y0)) or np.any(y0 != np.round(y0)) or y0.min() < 0 or \
            y0.max() > H * W:
        return None
    y0 = y0.astype(np.int64)
    # Per channel, the most frequent (h - h_source, w - w_source) pairs are the candidates.
    src = y0 - 1
    valid = src >= 0
    dhm = np.arange(H)[None, :, None] - src // W
    dwm = np.arange(W)[None, None, :] - src % W
    K = (2 * H + 1) * (2 * W + 1)
    key = (dhm + H) * (2 * W + 1) + (dwm + W)
    chan = np.broadcast_to(np.arange(C)[:, None, None], (C, H, W))
    counts = np.bincount((chan * K + key)[valid], minlength=C * K).reshape(C, K)
    top = min(4, K)
    order = np.argsort(-counts, axis=1, kind="stable")[:, :top]
    cand = []
    for j in range(top):
        k = order[:, j]
        present = counts[np.arange(C), k] > 0
        ch = np.where(present, k // (2 * W + 1) - H, H if j == 0 else 0)
        cw = np.where(present, k % (2 * W + 1) - W, 0)
        cand.append((ch, cw))
    for b in prefs:
        chosen_h = np.zeros(C, np.int64)
        chosen_w = np.zeros(C, np.int64)
        done = np.zeros(C, bool)
        for ch, cw in cand:
            match = np.all(_expected_codes(ch, cw, b, H, W) == y0, axis=(1, 2)) & ~done
            chosen_h[match], chosen_w[match] = ch[match], cw[match]
            done |= match
        if done.all():
            return chosen_h.astype(np.float32), chosen_w.astype(np.float32), b
    return None


def _snap(d):
    r = np.round(d * 1e4) / 1e4
    return np.where(np.abs(d - r) < 2e-5, r, d).astype(np.float32)


def _fit_fractional(f, rshape, prefs, rand):
    N, C, H, W = rshape
    imp = torch.zeros(N, C, H, W)
    h0, w0 = H // 2, W // 2
    imp[:, :, h0, w0] = 1
    y = f(imp)
    if y is None:
        return None
    y0 = y[0].double().numpy()
    s = y0.sum(axis=(1, 2))
    if not np.all(np.isfinite(y0)) or np.any(np.abs(s - 1) > 1e-3) or y0.min() < -1e-6:
        return None
    com_h = (y0 * np.arange(H)[None, :, None]).sum(axis=(1, 2)) / s - h0
    com_w = (y0 * np.arange(W)[None, None, :]).sum(axis=(1, 2)) / s - w0
    ref = f(rand)
    scale = float(rand.abs().max())
    for dh, dw in ((_snap(com_h), _snap(com_w)), (com_h.astype(np.float32),
                                                  com_w.astype(np.float32))):
        integer = P.is_integer(dh, dw)
        for b in prefs:
            if b == "keep" and not integer:
                continue
            want = shift_by(rand, dh, dw, b)
            if torch.allclose(ref, want, rtol=0, atol=2e-6 * scale + 1e-7):
                return dh, dw, b
    return None


def _canon(d, size, boundary):
    d = d.astype(np.float64)
    if not P.is_integer(d, d):
        return d
    if boundary == "circular":
        return np.mod(d, size)
    if boundary == "replicate":
        return np.clip(d, -(size - 1), size - 1)
    if boundary == "keep":
        return np.where(np.abs(d) >= size, 0, d)
    return np.clip(d, -size, size)


def name_pattern(dh, dw, boundary, H, W):
    """The named SPEC pattern whose displacements equal (dh, dw) up to what the boundary
    cannot tell apart at this image size; else a list pattern."""
    C = len(dh)
    ch, cw = _canon(dh, H, boundary), _canon(dw, W, boundary)

    def same(pattern):
        try:
            a, b = P.displacement_arrays(pattern, C)
        except P.PatternError:
            return False
        return np.array_equal(_canon(a, H, boundary), ch) and np.array_equal(
            _canon(b, W, boundary), cw)

    fmt = P.format_number
    if np.all(dh == dh[0]) and np.all(dw == dw[0]):
        return "uniform:%s,%s" % (fmt(dh[0]), fmt(dw[0]))
    cands = []
    mags = sorted({abs(float(v)) for v in np.concatenate([dh, dw]) if v != 0})
    for m in mags[:1]:
        cands.append("quad" if m == 1 else "quad:" + fmt(m))
    ints = P.is_integer(dh, dw)
    if ints:
        dils = sorted({int(m) for m in mags})[:3] or [1]
        for axis, d, other in (("h", dh, dw), ("w", dw, dh)):
            if np.any(other != 0) or np.all(d == 0):
                continue
            for dil in dils:
                for s in range(1, C + 1):
                    g = (C + s - 1) // s
                    if np.array_equal((np.arange(C) // g - s // 2) * dil, d):
                        cands.append("axial:%d:%s" % (s, axis) + ("" if dil == 1 else ":%d" % dil))
            for k in range(1, C + 1):
                c = np.arange(C)
                if np.array_equal(-((c + k // 2) % k - k // 2), d):
                    cands.append("cycle:%d:%s" % (k, axis))
        k = 1
        while k * k <= C:
            for dil in dils:
                cands.append("grouped:%d" % k + ("" if dil == 1 else ":%d" % dil))
            k += 2
    for pattern in cands:
        if same(pattern):
            return pattern
    return P.list_pattern(dh, dw)


def fit_region(an, region, x, y, layout, seed=0):
    """A Fit when the region computes a SPEC shift of x in this layout, else None."""
    xv, yv = an.values[x], an.values[y]
    if not isinstance(xv, torch.Tensor) or not isinstance(yv, torch.Tensor):
        return None
    if xv.dim() != 4 or tuple(xv.shape) != tuple(yv.shape) or xv.dtype != torch.float32:
        return None
    with torch.no_grad():
        return _fit_region(an, region, x, y, layout, seed)


def _fit_region(an, region, x, y, layout, seed):
    f = RegionFunction(an, region, x, y, layout)
    prefs = boundary_hints(an, region)
    N, C, H, W = f.rshape
    g = torch.Generator().manual_seed(seed)
    rand = torch.randn(N, C, H, W, generator=g)
    try:
        found = _fit_integer(f, f.rshape, prefs)
        exact = found is not None
        if found is not None:
            want = f(rand)
            if want is None or not torch.equal(want, shift_by(rand, found[0], found[1], found[2])):
                found = None
        if found is None:
            found = _fit_fractional(f, f.rshape, prefs, rand)
            exact = False
    except Exception:  # noqa: BLE001 - a region that cannot run on probes is no shift
        return None
    if found is None:
        return None
    dh, dw, b = found
    if not np.any(dh) and not np.any(dw):
        pattern = "uniform:0,0"
    else:
        pattern = name_pattern(dh, dw, b, H, W)
    pdh, pdw = P.displacement_arrays(pattern, C)
    got = f(rand)
    want = shift_by(rand, pdh, pdw, b)
    ok = torch.equal(got, want) if exact else torch.allclose(
        got, want, rtol=0, atol=2e-6 * float(rand.abs().max()) + 1e-7)
    if not ok:
        pattern = P.list_pattern(dh, dw)
    return Fit(layout, dh, dw, b, pattern)


def find_shift_regions(an):
    """{y: (x, region, fit)} for every recognised shift region (maximal ones first)."""
    claimed = {}
    inside = set()
    tried = set()
    candidates = [n for n in reversed(an.nodes)
                  if an.dynamic.get(n) and is_movement(an, n) and
                  isinstance(an.values.get(n), torch.Tensor) and an.values[n].dim() == 4]
    changed = True
    while changed:
        changed = False
        for y in candidates:
            if y in claimed or y in inside:
                continue
            opaque = set(claimed)
            yshape = tuple(an.values[y].shape)
            region, entries = region_of(an, y, opaque)
            # Entry candidates: the region's own entry, then movement nodes of y's shape
            # inside it (earliest first: the largest region that is a shift wins).
            xs = list(entries) if len(entries) == 1 else []
            xs += sorted((n for n in region if n is not y and isinstance(
                an.values.get(n), torch.Tensor) and tuple(an.values[n].shape) == yshape),
                key=lambda n: an.order[n])
            for x in xs:
                if x in region:
                    reg, ent = region_of(an, y, opaque | {x})
                else:
                    reg, ent = region, entries
                if ent != {x}:
                    continue
                key = (y, x, frozenset(reg))
                if key in tried:
                    continue
                tried.add(key)
                if {op_name(n) for n in reg} <= _LAYOUT:
                    continue
                xv = an.values[x]
                if not isinstance(xv, torch.Tensor) or tuple(xv.shape) != yshape:
                    continue
                fit = None
                for layout in ("nchw", "nhwc"):
                    fit = fit_region(an, reg, x, y, layout)
                    if fit is not None:
                        break
                if fit is None:
                    continue
                claimed[y] = (x, reg, fit)
                inside |= reg - {y}
                changed = True
                break
    return claimed
