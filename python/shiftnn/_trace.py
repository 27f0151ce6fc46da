"""Tracing a model into a functional graph of ATen operators (make_fx + functionalize,
with the real example input), every node tagged with where it comes from: the module
path and type, and the innermost line of user code."""
import contextlib
import os
import traceback

import torch
from torch.fx.experimental import proxy_tensor

from . import _shift

try:  # torch >= 2: torch.func; torch 1.13: functorch
    from torch.func import functionalize as _functionalize
except ImportError:  # pragma: no cover - depends on the torch version
    from functorch import functionalize as _functionalize

_HERE = os.path.dirname(os.path.abspath(__file__))
_TORCH = os.path.dirname(os.path.abspath(torch.__file__))
_INTERNAL = (_TORCH, os.path.join(os.path.dirname(_TORCH), "functorch"),
             os.path.join(os.path.dirname(_TORCH), "torchvision"))
_MODELS = os.path.join(_HERE, "models") + os.sep


def _internal(filename):
    """Frames of torch, functorch, torchvision and this package (but not its models)."""
    if filename.startswith("<"):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_INTERNAL) or "contextlib.py" in path:
        return True
    return path.startswith(_HERE + os.sep) and not path.startswith(_MODELS)


def _user_frame():
    """The innermost frame of user code (not torch, not this package's machinery)."""
    for frame in reversed(traceback.extract_stack()):
        if _internal(frame.filename):
            continue
        return "%s:%d: %s" % (frame.filename, frame.lineno, (frame.line or "").strip())
    return None


class _Scope:
    """Module call stack, kept by global forward hooks during tracing."""

    def __init__(self, model):
        self.names = {id(m): name for name, m in model.named_modules()}
        self.stack = []

    def pre(self, module, inputs):
        self.stack.append((self.names.get(id(module)), type(module).__name__))

    def post(self, module, inputs, output):
        if self.stack:
            self.stack.pop()

    def where(self):
        for name, kind in reversed(self.stack):
            if name is not None:
                return name, kind
        return None, None


@contextlib.contextmanager
def _tagging(scope):
    tracer_cls = proxy_tensor.PythonKeyTracer
    original = tracer_cls.create_node

    def create_node(self, *args, **kwargs):
        node = original(self, *args, **kwargs)
        name, kind = scope.where()
        node.meta["shiftnn_module"] = name
        node.meta["shiftnn_module_type"] = kind
        node.meta["shiftnn_frame"] = _user_frame()
        return node

    tracer_cls.create_node = create_node
    h1 = torch.nn.modules.module.register_module_forward_pre_hook(scope.pre)
    h2 = torch.nn.modules.module.register_module_forward_hook(scope.post)
    _shift._TRACING[0] += 1
    try:
        yield
    finally:
        _shift._TRACING[0] -= 1
        h1.remove()
        h2.remove()
        tracer_cls.create_node = original


class ExportError(Exception):
    """The model uses something the runtime cannot run; the message names it and where."""


def _where_failed(scope, exc):
    parts = []
    name, kind = scope.where()
    if name is not None:
        parts.append("in module '%s' (%s)" % (name or "<model>", kind))
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if _internal(frame.filename):
            continue
        parts.append("at %s:%d: %s" % (frame.filename, frame.lineno, (frame.line or "").strip()))
        break
    return ", ".join(parts)


def trace(model, inputs):
    """fx.GraphModule of functional ATen ops for model(*inputs) (real tensors)."""
    scope = _Scope(model) if isinstance(model, torch.nn.Module) else _Scope(torch.nn.Module())

    def run(*xs):
        return model(*xs)

    try:
        with _tagging(scope), torch.no_grad():
            return proxy_tensor.make_fx(_functionalize(run))(*inputs)
    except Exception as e:  # noqa: BLE001 - reported with where it happened
        raise ExportError("tracing the model failed: %s: %s %s" % (
            type(e).__name__, e, _where_failed(scope, e))) from e


def location(node):
    """Human-readable origin of a traced node."""
    parts = []
    name = node.meta.get("shiftnn_module")
    if name is not None:
        kind = node.meta.get("shiftnn_module_type")
        parts.append("in module '%s' (%s)" % (name or "<model>", kind))
    frame = node.meta.get("shiftnn_frame")
    if frame:
        parts.append("at " + frame)
    return ", ".join(parts) if parts else "at an unknown place in the model"
