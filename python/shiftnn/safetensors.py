"""Minimal safetensors writer and reader (F32 only): 8-byte little-endian header length,
a JSON header {name: {"dtype", "shape", "data_offsets"}}, then the raw data."""
import json
import struct

import numpy as np


def to_bytes(weights):
    """weights: {name: array} (any float array; written as little-endian F32)."""
    header, offset, blobs = {}, 0, []
    for name, array in weights.items():
        data = np.ascontiguousarray(np.asarray(array, dtype="<f4")).tobytes()
        header[name] = {"dtype": "F32", "shape": [int(d) for d in np.shape(array)],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data 8-byte aligned, as safetensors does
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def save(weights, path):
    with open(path, "wb") as f:
        f.write(to_bytes(weights))


def load(path):
    """{name: float32 array} of an F32 safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError("%s: only F32 is read here, not %s" % (name, info["dtype"]))
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a:8 + n + b], "<f4").reshape(info["shape"]).copy()
    return out
