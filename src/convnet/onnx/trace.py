"""Record what a model's forward pass computes: every operation, with all its arguments.

Every operation in convnet goes through ``Function.apply(*inputs, **options)``. While
`record` is active, that one entry point also appends a `Call` to a list: the Function class,
its positional inputs (tensors, arrays, numbers, None), its keyword options (stride, padding,
eps, ...), its output, and the module that was running. That list is the whole computation,
in execution order, whatever Python the forward methods contain (residual additions,
concatenated branches, slicing, padding); the exporter turns it into an ONNX graph.

The autograd graph alone would not do: it keeps neither the options of each operation nor
the inputs that need no gradient (batch-norm statistics, constants).

>>> import convnet as cn, convnet.nn as nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
>>> trace = record(model, cn.zeros(1, 1, 5, 5))
>>> [(c.function.__name__, c.scope) for c in trace.calls]
[('Conv2dFn', '0'), ('ReLU', '1')]
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._tensor import Tensor
from ..autograd import enable_grad
from ..autograd.function import Function
from ..errors import ConvnetTypeError
from ..nn import Module


@dataclass
class Call:
    """One operation as it ran: ``function.apply(*inputs, **options) -> output``."""

    function: type[Function]
    inputs: tuple[Any, ...]
    options: dict[str, Any]
    output: Tensor
    scope: str                       # dotted name of the innermost module running ("" = model)


@dataclass
class Trace:
    """The calls of one forward pass, the input it started from and what it returned.

    The calls hold every tensor they saw, so ``id()`` identifies a tensor while it lives.
    """

    input: Tensor
    calls: list[Call]
    outputs: list[Tensor]


_lock = threading.Lock()


@contextmanager
def _recording(calls: list[Call], scopes: list[str]) -> Iterator[None]:
    """Route Function.apply through a recorder for this thread, for the duration of the block."""
    original = Function.__dict__["apply"]
    thread = threading.get_ident()

    def apply(cls: type[Function], *inputs: Any, **options: Any) -> Any:
        result = original.__func__(cls, *inputs, **options)
        if threading.get_ident() == thread:
            out = result[0] if isinstance(result, tuple) else result
            calls.append(Call(cls, inputs, options, out, scopes[-1] if scopes else ""))
        return result

    with _lock:
        Function.apply = classmethod(apply)  # type: ignore[method-assign, assignment]
        try:
            yield
        finally:
            Function.apply = original  # type: ignore[method-assign]


@contextmanager
def _scopes(model: Module, stack: list[str]) -> Iterator[None]:
    """Keep `stack` holding the names of the modules currently running, innermost last."""
    def leave(module: Module, args: tuple, out: Any) -> None:
        stack.pop()

    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(lambda m, args, name=name: stack.append(name)))
        handles.append(module.register_forward_hook(leave))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def record(model: Module, example: Tensor) -> Trace:
    """Run ``model(example)`` once in eval mode and return every operation it performed.

    During the run the example requires grad and the parameters do not, so the tensors that
    depend on the input are exactly those with a ``grad_fn`` (operations never take their
    in-place shortcuts on them), while computations on parameters alone stay constants. The
    model's training mode and ``requires_grad`` flags are restored afterwards.
    """
    was_training = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    calls: list[Call] = []
    scopes: list[str] = []
    x = Tensor(example.data.copy(), requires_grad=True)
    model.eval()
    try:
        for p, _ in flags:
            p.requires_grad = False
        with enable_grad(), _scopes(model, scopes), _recording(calls, scopes):
            out = model(x)
    finally:
        for p, flag in flags:
            p.requires_grad = flag
        model.train(was_training)
    outputs = list(out) if isinstance(out, tuple | list) else [out]
    if not all(isinstance(o, Tensor) for o in outputs):
        kinds = ", ".join(type(o).__name__ for o in outputs)
        raise ConvnetTypeError(f"the model returned {kinds}; only a tensor or a tuple of tensors can be exported")
    return Trace(x, calls, outputs)
