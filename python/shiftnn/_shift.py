"""The spatial shift of SPEC §1 in PyTorch: out of place, every pattern and boundary,
integer (pure copies, bit exact) and fractional (bilinear, each tap taking its own
boundary value)."""
import numpy as np
import torch
import torch.nn as nn

from .patterns import PatternError, check_boundary, displacement_arrays, is_integer


def _tap_index(idx, size, boundary):
    """(index into [0, size), inside mask) of source positions idx under `boundary`."""
    inside = (idx >= 0) & (idx < size)
    if boundary == "circular":
        return torch.remainder(idx, size), inside
    return idx.clamp(0, size - 1), inside  # replicate; zero and keep mask with `inside`


def _gather(flat, hi, wi, W):
    """flat: N x C x (H*W); hi: C x H x 1, wi: C x 1 x W source indices -> N x C x H x W."""
    N, C, _ = flat.shape
    H, Wo = hi.shape[1], wi.shape[2]
    idx = (hi * W + wi).reshape(1, C, H * Wo).expand(N, C, H * Wo)
    return flat.gather(2, idx).reshape(N, C, H, Wo)


def shift_by(x, dh, dw, boundary="zero"):
    """Shift x (N, C, H, W) by per-channel displacements dh, dw (sequences of C numbers,
    read as float32 like the engine)."""
    check_boundary(boundary)
    if x.dim() != 4:
        raise ValueError("shift takes an N, C, H, W tensor, got %d dimensions" % x.dim())
    N, C, H, W = x.shape
    dh = np.asarray(dh, np.float32).reshape(-1)
    dw = np.asarray(dw, np.float32).reshape(-1)
    if dh.shape[0] != C or dw.shape[0] != C:
        raise PatternError("shift spec has %d channels but the tensor has %d" % (dh.shape[0], C))
    integer = (np.floor(dh) == dh) & (np.floor(dw) == dw)
    if boundary == "keep" and not integer.all():
        raise PatternError("boundary keep requires integer displacements (the spec is "
                           "fractional)")
    dev = x.device
    flat = x.reshape(N, C, H * W)
    h = torch.arange(H, device=dev, dtype=torch.int64).reshape(1, H, 1)
    w = torch.arange(W, device=dev, dtype=torch.int64).reshape(1, 1, W)
    y = None
    if integer.any():
        ih = torch.from_numpy(np.where(integer, dh, 0).astype(np.int64)).to(dev).reshape(C, 1, 1)
        iw = torch.from_numpy(np.where(integer, dw, 0).astype(np.int64)).to(dev).reshape(C, 1, 1)
        hs, ws = h - ih, w - iw
        hi, in_h = _tap_index(hs, H, boundary)
        wi, in_w = _tap_index(ws, W, boundary)
        inside = in_h & in_w  # C x H x W
        if boundary == "keep":
            hi = torch.where(inside, hi.expand(C, H, W), h.expand(C, H, W))
            wi = torch.where(inside, wi.expand(C, H, W), w.expand(C, H, W))
            y = flat.gather(2, (hi * W + wi).reshape(1, C, H * W).expand(N, C, H * W))
            y = y.reshape(N, C, H, W)
        else:
            y = _gather(flat, hi.expand(C, H, 1), wi.expand(C, 1, W), W)
            if boundary == "zero":
                y = torch.where(inside.unsqueeze(0), y, torch.zeros((), dtype=x.dtype, device=dev))
    if not integer.all():
        # Bilinear at (h - dh, w - dw): the engine's reference computes the source in double,
        # the weights in float.
        hs = np.arange(H, dtype=np.float64)[None, :] - dh.astype(np.float64)[:, None]  # C x H
        ws = np.arange(W, dtype=np.float64)[None, :] - dw.astype(np.float64)[:, None]  # C x W
        h0, w0 = np.floor(hs), np.floor(ws)
        a = torch.from_numpy((hs - h0).astype(np.float32)).to(dev, x.dtype).reshape(1, C, H, 1)
        b = torch.from_numpy((ws - w0).astype(np.float32)).to(dev, x.dtype).reshape(1, C, 1, W)
        h0 = torch.from_numpy(h0.astype(np.int64)).to(dev).reshape(C, H, 1)
        w0 = torch.from_numpy(w0.astype(np.int64)).to(dev).reshape(C, 1, W)
        zero = torch.zeros((), dtype=x.dtype, device=dev)
        taps = []
        for th in (h0, h0 + 1):
            for tw in (w0, w0 + 1):
                hi, in_h = _tap_index(th, H, boundary)
                wi, in_w = _tap_index(tw, W, boundary)
                v = _gather(flat, hi, wi, W)
                if boundary == "zero":
                    v = torch.where((in_h & in_w).unsqueeze(0), v, zero)
                taps.append(v)
        v00, v01, v10, v11 = taps
        frac = (1 - a) * ((1 - b) * v00 + b * v01) + a * ((1 - b) * v10 + b * v11)
        if y is None:
            y = frac
        else:
            mask = torch.from_numpy(integer).to(dev).reshape(1, C, 1, 1)
            y = torch.where(mask, y, frac)
    return y


def shift(x, pattern, boundary="zero"):
    """SPEC §1: y[n,c,h,w] = x[n,c,h-dh[c],w-dw[c]], the pattern's displacements for x's C,
    outside sources per `boundary` (zero, replicate, keep, circular). Out of place."""
    check_boundary(boundary)
    dh, dw = displacement_arrays(pattern, x.shape[1])
    return shift_by(x, dh, dw, boundary)


# The operator as a leaf for export: shiftnn.export traces Shift modules as one call of
# torch.ops.shiftnn.shift, which becomes one Shift node.
_LIB = None
try:
    _LIB = torch.library.Library("shiftnn", "DEF")
    _LIB.define("shift(Tensor x, str pattern, str boundary) -> Tensor")
    _LIB.impl("shift", lambda x, pattern, boundary: shift(x, pattern, boundary), "CPU")
except Exception:  # noqa: BLE001 - an older torch or a second registration: no leaf op
    _LIB = None

_TRACING = [0]


def _leaf_op_available():
    return _LIB is not None


class Shift(nn.Module):
    """The spatial shift of SPEC §1 as a module.

    pattern: a SPEC §1 pattern string (quad[:D], grouped:K[:DIL], axial:S:AXIS[:DIL],
    cycle:K:AXIS, uniform:DH,DW, list:..., file:PATH); the displacement table is computed
    per SPEC for the channel count of the input at each forward.
    boundary: zero (default), replicate, keep or circular.
    """

    def __init__(self, pattern, boundary="zero"):
        super().__init__()
        check_boundary(boundary)
        if not isinstance(pattern, str):
            raise PatternError("a pattern is a string, not %r" % (pattern,))
        if pattern.split(":")[0] not in ("list", "file"):  # syntax checkable without C
            dh, dw = displacement_arrays(pattern, 1)
            if boundary == "keep" and not is_integer(dh, dw):
                raise PatternError("boundary keep requires integer displacements (the spec "
                                   "is fractional)")
        self.pattern = pattern
        self.boundary = boundary

    def forward(self, x):
        if _TRACING[0] and _LIB is not None:
            displacement_arrays(self.pattern, x.shape[1])  # errors at export, not at run
            return torch.ops.shiftnn.shift(x, self.pattern, self.boundary)
        return shift(x, self.pattern, self.boundary)

    def displacements(self, channels):
        from .patterns import displacements
        return displacements(self.pattern, channels)

    def extra_repr(self):
        return "pattern=%r, boundary=%r" % (self.pattern, self.boundary)

