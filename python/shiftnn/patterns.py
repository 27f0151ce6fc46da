"""SPEC §1 shift patterns: a pattern string and a channel count -> per-channel (dh, dw).

Mirrors the C++ parser (engine/src/patterns.cpp) exactly, errors included: displacements
are float32 (as the engine carries them), integers are digit strings of at most 9
characters, numbers are what C strtod reads in full and finite.
"""
import math
import re

import numpy as np

BOUNDARIES = ("zero", "replicate", "keep", "circular")
MAX_DISPLACEMENT = 16777216.0  # beyond 2^24 float32 integers are no longer exact


class PatternError(ValueError):
    """A pattern or boundary that does not fit the tensor (SPEC §1: a clear error)."""


def _fail(pattern, why):
    raise PatternError("bad pattern '%s': %s" % (pattern, why))


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")


def _number(pattern, text, what):
    """C strtod over the whole text (leading white space allowed), finite, no range error."""
    body = text.lstrip(" \t\n\v\f\r")
    value = None
    if text and _DECIMAL.fullmatch(body):
        value = float(body)
        mantissa = re.split(r"[eE]", body)[0]
        if value == 0.0 and any(ch in "123456789" for ch in mantissa):
            value = None  # underflow: strtod sets ERANGE
    elif text and _HEX.fullmatch(body):
        try:
            hexbody = body if re.search(r"[pP]", body) else body + "p0"
            value = float.fromhex(hexbody)
        except (OverflowError, ValueError):
            value = None
    if value is None or not math.isfinite(value):
        _fail(pattern, "%s '%s' is not a number" % (what, text))
    return float(np.float32(value))


def _integer(pattern, text, what):
    digits = text[1:] if text.startswith("-") else text
    if not text or len(text) > 9 or text == "-" or not digits.isdigit() or not digits.isascii():
        _fail(pattern, "%s '%s' is not an integer" % (what, text))
    return int(text)


def _axis(pattern, text):
    if text not in ("h", "w"):
        _fail(pattern, "axis '%s' must be h or w" % text)
    return text


def _expect(pattern, parts, lo, hi, usage):
    if not lo <= len(parts) <= hi:
        _fail(pattern, "expected " + usage)


def check_boundary(boundary):
    if boundary not in BOUNDARIES:
        raise PatternError("unknown boundary '%s' (expected zero, replicate, keep or circular)"
                           % (boundary,))
    return boundary


def displacement_arrays(pattern, channels):
    """(dh, dw) as float32 numpy arrays of length `channels` (SPEC §1)."""
    C = int(channels)
    if C <= 0:
        raise PatternError("cannot build a shift pattern for %d channels" % C)
    if not isinstance(pattern, str):
        raise PatternError("a pattern is a string, not %r" % (pattern,))
    dh = np.zeros(C, np.float32)
    dw = np.zeros(C, np.float32)
    kind, colon, rest = pattern.partition(":")
    parts = pattern.split(":")
    c = np.arange(C)
    if kind == "quad":
        _expect(pattern, parts, 1, 2, "quad[:D]")
        d = _number(pattern, parts[1], "D") if len(parts) == 2 else 1.0
        if d < 0:
            _fail(pattern, "D must not be negative")
        q = np.zeros(C, np.int64)
        for k in range(1, 4):
            q += c >= (k * C) // 4
        dh[:] = np.array([0, 0, d, -d], np.float32)[q]
        dw[:] = np.array([d, -d, 0, 0], np.float32)[q]
    elif kind == "grouped":
        _expect(pattern, parts, 2, 3, "grouped:K[:DIL]")
        k = _integer(pattern, parts[1], "K")
        dil = _integer(pattern, parts[2], "DIL") if len(parts) == 3 else 1
        if k <= 0 or k % 2 == 0:
            _fail(pattern, "K must be a positive odd integer")
        if dil <= 0:
            _fail(pattern, "DIL must be positive")
        covered = (C // (k * k)) * k * k
        cc = c[:covered]
        dw[:covered] = -dil * ((cc % k) - k // 2)
        dh[:covered] = -dil * (((cc // k) % k) - k // 2)
    elif kind == "axial":
        _expect(pattern, parts, 3, 4, "axial:S:AXIS[:DIL]")
        s = _integer(pattern, parts[1], "S")
        ax = _axis(pattern, parts[2])
        dil = _integer(pattern, parts[3], "DIL") if len(parts) == 4 else 1
        if s <= 0:
            _fail(pattern, "S must be positive")
        if dil <= 0:
            _fail(pattern, "DIL must be positive")
        g = (C + s - 1) // s
        (dh if ax == "h" else dw)[:] = (c // g - s // 2) * dil
    elif kind == "cycle":
        _expect(pattern, parts, 3, 3, "cycle:K:AXIS")
        k = _integer(pattern, parts[1], "K")
        ax = _axis(pattern, parts[2])
        if k <= 0:
            _fail(pattern, "K must be positive")
        (dh if ax == "h" else dw)[:] = -((c + k // 2) % k - k // 2)
    elif kind == "uniform":
        v = rest.split(",")
        if not colon or len(v) != 2:
            _fail(pattern, "expected uniform:DH,DW")
        dh[:] = _number(pattern, v[0], "DH")
        dw[:] = _number(pattern, v[1], "DW")
    elif kind == "list":
        pairs = rest.split(";")
        if not colon or len(pairs) != C:
            _fail(pattern, "list has %d pairs but the tensor has %d channels"
                  % (len(pairs) if colon else 0, C))
        for i, pair in enumerate(pairs):
            v = pair.split(",")
            if len(v) != 2:
                _fail(pattern, "pair %d is not DH,DW" % i)
            dh[i] = _number(pattern, v[0], "DH")
            dw[i] = _number(pattern, v[1], "DW")
    elif kind == "file":
        if not rest:
            _fail(pattern, "expected file:PATH")
        try:
            a = np.load(rest, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - any unreadable file is the pattern's error
            raise PatternError("bad pattern '%s': cannot read %s: %s" % (pattern, rest, e))
        if a.dtype not in (np.float32, np.float64):
            _fail(pattern, "file holds %s, expected float32 or float64" % a.dtype)
        if a.ndim != 2 or a.shape[0] != C or a.shape[1] != 2:
            _fail(pattern, "file holds shape (%s), expected (%d, 2)"
                  % (",".join(str(d) for d in a.shape), C))
        dh[:] = a[:, 0].astype(np.float32)
        dw[:] = a[:, 1].astype(np.float32)
    else:
        _fail(pattern, "unknown pattern '%s' (expected quad, grouped, axial, cycle, uniform, "
              "list or file)" % kind)
    for i in range(C):
        for v in (dh[i], dw[i]):
            if not np.isfinite(v) or abs(float(v)) > MAX_DISPLACEMENT:
                raise PatternError("displacement of channel %d is not a finite number within "
                                   "+-16777216" % i)
    return dh, dw


def displacements(pattern, channels):
    """SPEC §1: the (dh, dw) lists of `pattern` for a tensor of `channels` channels.

    dh[c], dw[c] move channel c's content down by dh rows and right by dw columns. Values
    are Python floats holding the engine's float32 values (integers for integer patterns).
    """
    dh, dw = displacement_arrays(pattern, channels)
    conv = lambda v: int(v) if float(v).is_integer() else float(v)  # noqa: E731
    return [conv(v) for v in dh], [conv(v) for v in dw]


def is_integer(dh, dw):
    return bool(np.all(np.floor(dh) == dh) and np.all(np.floor(dw) == dw))


def format_number(v):
    """The shortest text that the engine's strtod + float cast reads back as float32 v."""
    v = np.float32(v)
    if float(v).is_integer():
        return str(int(v))
    s = np.format_float_positional(v, unique=True, trim="-")
    if np.float32(float(s)) != v:
        s = repr(float(v))
    return s


def list_pattern(dh, dw):
    return "list:" + ";".join("%s,%s" % (format_number(a), format_number(b))
                              for a, b in zip(dh, dw))
