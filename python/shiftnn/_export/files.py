"""export(): trace, convert and clean up a model, then write NAME.json and NAME.safetensors."""
import json
import os

import torch

from .. import safetensors
from .._trace import ExportError, trace
from .cleanup import merge_slices, prune
from .converter import Converter


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
        cv = Converter(gm, inputs, os.path.basename(path))
        outputs = cv.convert()
    finally:
        if isinstance(model, torch.nn.Module) and training:
            model.train()
    nodes = merge_slices(cv.nodes, cv.info, outputs)
    nodes = prune(nodes, outputs)
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
