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

The code is in shiftnn._export: files.export traces the model, converter.Converter walks
the graph and calls the handler registry.HANDLERS holds for each operator (ops_views,
ops_elementwise, ops_layers, ops_spatial), cleanup merges Slices and drops unread nodes,
and files writes NAME.json and NAME.safetensors.
"""
from ._export.files import export
from ._trace import ExportError

__all__ = ["export", "ExportError"]
