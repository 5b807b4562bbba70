"""Argument checks shared by the functional operations: fail early, name the numbers."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

from ..._tensor import Tensor
from ...errors import ConvnetTypeError, ConvnetValueError, ShapeError


def tensor_arg(x: Any, op: str, name: str = "input", optional: bool = False) -> Tensor | None:
    if x is None and optional:
        return None
    if not isinstance(x, Tensor):
        raise ConvnetTypeError(f"{op}: {name} must be a convnet Tensor, got {type(x).__name__}")
    return x


def float_arg(x: Tensor, op: str, name: str = "input") -> None:
    if x.dtype.kind != "f":
        raise ConvnetTypeError(
            f"{op}: {name} has dtype {x.dtype}, but this operation needs floating-point "
            f"data; convert it with .float()"
        )


def same_dtype(a: Tensor, b: Tensor | None, op: str, names: tuple[str, str]) -> None:
    if b is not None and a.dtype != b.dtype:
        raise ConvnetTypeError(
            f"{op}: {names[0]} is {a.dtype} but {names[1]} is {b.dtype}; make them the same "
            "(call .float() or .double() on one of them, or model.double())"
        )


def operands(input: Any, weight: Any, bias: Any, op: str) -> None:
    """The input, weight and optional bias of a layer: tensors, floating point, one dtype."""
    tensor_arg(input, op)
    tensor_arg(weight, op, "weight")
    tensor_arg(bias, op, "bias", optional=True)
    float_arg(input, op)
    float_arg(weight, op, "weight")
    same_dtype(input, weight, op, ("input", "weight"))
    same_dtype(input, bias, op, ("input", "bias"))

def ndim_arg(x: Tensor, ndim: int, op: str, layout: str, name: str = "input") -> None:
    if x.ndim == ndim:
        return
    hint = ""
    if x.ndim == ndim - 1 and name == "input":
        hint = (f"; a batch dimension is expected: for a single example use "
                f"x.unsqueeze(0) to get shape {(1, *x.shape)}")
    raise ShapeError(
        f"{op} expects a {ndim}-D {name} {layout}, got {x.ndim}-D shape {tuple(x.shape)}{hint}"
    )


def int_arg(v: Any, op: str, name: str, minimum: int) -> int:
    if isinstance(v, float) and math.isnan(v):
        raise ConvnetValueError(f"{op}: {name} is NaN; it must be an integer >= {minimum}")
    if isinstance(v, bool):
        raise ConvnetTypeError(f"{op}: {name} must be an integer, got {v!r}")
    try:
        x = operator.index(v)
    except TypeError:
        raise ConvnetTypeError(f"{op}: {name} must be an integer, got {v!r}") from None
    if x < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise ConvnetValueError(f"{op}: {name} must be {what}, got {x}")
    return x


def pair_arg(v: Any, op: str, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints as (height, width), each checked against `minimum`."""
    if isinstance(v, Sequence) and not isinstance(v, str):
        if len(v) != 2:
            raise ConvnetValueError(f"{op}: {name} must be an int or a pair (h, w), got {tuple(v)!r}")
        return int_arg(v[0], op, name, minimum), int_arg(v[1], op, name, minimum)
    x = int_arg(v, op, name, minimum)
    return x, x


def ntuple_arg(v: Any, n: int, op: str, name: str, minimum: int) -> tuple[int, ...]:
    """An int or a sequence of `n` ints (one per spatial axis), each checked against `minimum`."""
    if isinstance(v, Sequence) and not isinstance(v, str):
        if len(v) != n:
            raise ConvnetValueError(f"{op}: {name} must be an int or {n} ints (one per spatial axis), got {tuple(v)!r}")
        return tuple(int_arg(x, op, name, minimum) for x in v)
    return (int_arg(v, op, name, minimum),) * n


def number_arg(v: Any, op: str, name: str, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False) -> float:
    """A finite real number in [lo, hi] (or (lo, hi] with lo_open)."""
    if isinstance(v, bool) or not isinstance(v, int | float) and not hasattr(v, "__float__"):
        raise ConvnetTypeError(f"{op}: {name} must be a number, got {v!r}")
    x = float(v)
    if math.isnan(x):
        raise ConvnetValueError(f"{op}: {name} is NaN; give a number")
    if lo is not None and (x < lo or (lo_open and x == lo)) or hi is not None and x > hi:
        lo_s = "(" if lo_open else "["
        raise ConvnetValueError(f"{op}: {name} must be in {lo_s}{lo}, {hi}], got {x}")
    return x


def reduction_arg(reduction: str, op: str) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ConvnetValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction
