"""What the rules of `convnet.onnx.ops` share: the node as a load function sees it
(`NodeInfo`), the module for nodes without learnable state (`OnnxOp`), the exception that
says what cannot be converted (`Unsupported`), and readers of small constant inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import nn
from .._tensor import Tensor


class Unsupported(Exception):
    """This operation or node cannot be converted; the message says which part and why."""


class OnnxOp(nn.Module):
    """One ONNX node with no learnable state, run with convnet's tensor operations.

    >>> import convnet as cn
    >>> OnnxOp("Add", lambda a, b: a + b)(cn.ones(2), cn.ones(2)).tolist()
    [2.0, 2.0]
    """

    def __init__(self, op_type: str, fn: Callable[..., Any], **attributes: Any) -> None:
        super().__init__()
        self.op_type, self.fn, self.attributes = op_type, fn, attributes

    def forward(self, *inputs: Any) -> Any:
        return self.fn(*inputs)

    def _get_name(self) -> str:
        return self.op_type

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.attributes.items())


@dataclass(frozen=True)
class NodeInfo:
    """What a load function sees of one ONNX node (built by `convnet.onnx.load`)."""

    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    opset: int
    constants: dict[str, np.ndarray] = field(repr=False)
    ranks: dict[str, int] = field(repr=False)
    used: set[str] = field(repr=False)
    types: dict[str, int] = field(default_factory=dict, repr=False)    # value -> ONNX element type

    def has_input(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] != ""

    def const(self, i: int) -> np.ndarray | None:
        """The value of input i when it is known before running (an initializer or a Constant)."""
        return self.constants.get(self.inputs[i]) if self.has_input(i) else None

    def rank(self, i: int) -> int | None:
        return self.ranks.get(self.inputs[i]) if self.has_input(i) else None

    def is_float(self, i: int) -> bool:
        """Is input i of a floating-point type (or of a type nobody can tell)?"""
        from onnx import TensorProto

        kind = self.types.get(self.inputs[i]) if self.has_input(i) else None
        return kind is None or kind in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16)

    def uses_output(self, i: int) -> bool:
        return i < len(self.outputs) and self.outputs[i] in self.used


def ints(t: Any) -> list[int]:
    """The integer values of a (shape-like) input, given as a Tensor or an array."""
    return [int(v) for v in np.asarray(t.data if isinstance(t, Tensor) else t).reshape(-1)]


def floats(t: Tensor | None) -> list[float] | None:
    """The values of an optional float input (scales, roi); None when absent or empty."""
    return None if t is None or t.data.size == 0 else [float(v) for v in t.data.reshape(-1)]


def choice(node: NodeInfo, name: str, allowed: Sequence[str]) -> str:
    """The node's string attribute `name`, or `Unsupported` listing the values convnet reads."""
    value = node.attrs[name]
    if value not in allowed:
        raise Unsupported(f"{name}={value!r} is not supported; supported: {', '.join(allowed)}")
    return value
