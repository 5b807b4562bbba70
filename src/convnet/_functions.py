"""Module-level tensor functions, as in ``torch.*``: creation, joining, selection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _ops
from ._dtypes import get_default_dtype, int64
from ._tensor import Tensor, _norm_dim, _shape_arg, tensor
from .errors import ConvnetTypeError, ShapeError
from .random import default_generator


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``convnet.zeros(2, 3)`` or ``convnet.zeros((2, 3))``."""
    return _make(np.zeros(_shape_arg(size), _dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape_arg(size), _dtype(dtype)), requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`."""
    return _make(np.full(tuple(size), fill_value, _dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here, for repeatability)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(t.shape, t.dtype if dtype is None else dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(t.shape, t.dtype if dtype is None else dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.full(t.shape, fill_value, t.dtype if dtype is None else dtype), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, end); integers unless a float is involved."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = int64 if is_int else get_default_dtype()
    return _make(np.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _make(np.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from convnet's seeded generator."""
    data = default_generator().random(_shape_arg(size), dtype=np.float64).astype(_dtype(dtype))
    return _make(data, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from convnet's seeded generator."""
    data = default_generator().standard_normal(_shape_arg(size)).astype(_dtype(dtype))
    return _make(data, requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None) -> Tensor:
    """Random integers in [low, high) (or [0, low) when high is omitted)."""
    if high is None:
        low, high = 0, low
    data = default_generator().integers(low, high, size=tuple(size))
    return Tensor(np.asarray(data, dtype=int64 if dtype is None else dtype))


def rand_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def _as_tensors(tensors: Sequence[Any], what: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise ConvnetTypeError(f"{what} expects a non-empty list or tuple of tensors")
    return [t if isinstance(t, Tensor) else tensor(t) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; all other dimensions must match.

    >>> import convnet as cn
    >>> cn.cat([cn.zeros(2, 3), cn.ones(1, 3)]).shape
    (3, 3)
    """
    ts = _as_tensors(tensors, "cat")
    d = _norm_dim(dim, ts[0].ndim)
    ref = ts[0].shape
    for i, t in enumerate(ts):
        if t.ndim != len(ref) or t.shape[:d] + t.shape[d + 1:] != ref[:d] + ref[d + 1:]:
            raise ShapeError(
                f"cat along dim {dim}: tensor {i} has shape {t.shape}, which does not match "
                f"tensor 0's shape {ref} outside dimension {d}"
            )
    return _ops.Cat.apply(*ts, dim=d)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    ts = _as_tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(
                f"stack: tensor {i} has shape {t.shape} but tensor 0 has {ts[0].shape}; "
                "all must have the same shape"
            )
    return _ops.Stack.apply(*ts, dim=_norm_dim(dim, ts[0].ndim + 1))


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elements of `input` where `condition` holds, else of `other` (differentiable in both)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a = input if isinstance(input, Tensor) else np.asarray(input)
    b = other if isinstance(other, Tensor) else np.asarray(other)
    return _ops.Where.apply(cond.astype(bool, copy=False), a, b)


def _method(name: str, doc: str) -> Any:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if not isinstance(input, Tensor):
            raise ConvnetTypeError(f"convnet.{name} expects a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


exp = _method("exp", "Elementwise e**x.")
log = _method("log", "Elementwise natural logarithm.")
sqrt = _method("sqrt", "Elementwise square root.")
abs = _method("abs", "Elementwise absolute value.")  # noqa: A001
tanh = _method("tanh", "Elementwise hyperbolic tangent.")
sigmoid = _method("sigmoid", "Elementwise logistic function 1 / (1 + e**-x).")
relu = _method("relu", "Elementwise max(x, 0).")
clamp = _method("clamp", "Limit values to [min, max].")
sum = _method("sum", "Sum over all elements or over `dim`.")  # noqa: A001
mean = _method("mean", "Mean over all elements or over `dim`.")
max = _method("max", "Largest value, or (values, indices) along `dim`.")  # noqa: A001
min = _method("min", "Smallest value, or (values, indices) along `dim`.")  # noqa: A001
amax = _method("amax", "Largest values over `dim` (ties share the gradient).")
argmax = _method("argmax", "Index of the largest value (along `dim`).")
argmin = _method("argmin", "Index of the smallest value (along `dim`).")
reshape = _method("reshape", "The same data with a new shape.")
flatten = _method("flatten", "Merge dimensions start_dim..end_dim into one.")
transpose = _method("transpose", "Swap two dimensions.")
permute = _method("permute", "Reorder the dimensions.")
squeeze = _method("squeeze", "Remove dimensions of size one.")
unsqueeze = _method("unsqueeze", "Insert a dimension of size one.")
matmul = _method("matmul", "Matrix product with NumPy's broadcasting rules.")
softmax = _method("softmax", "Softmax along `dim`.")
log_softmax = _method("log_softmax", "Log-softmax along `dim`.")
var = _method("var", "Variance (unbiased by default).")
std = _method("std", "Standard deviation (unbiased by default).")
