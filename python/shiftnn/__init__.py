"""shiftnn: the spatial shift of SPEC §1 in PyTorch, and export of PyTorch models to the
shiftnn graph runtime (NAME.json + NAME.safetensors, docs/model-format.md)."""
from .patterns import BOUNDARIES, PatternError, displacements
from ._shift import Shift, shift, shift_by
from .exporter import ExportError, export

__all__ = ["BOUNDARIES", "PatternError", "displacements", "Shift", "shift", "shift_by",
           "export", "ExportError"]
