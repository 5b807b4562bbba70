"""`Tensor`: a NumPy array that remembers how it was computed, so gradients can flow back.

>>> import convnet as cn
>>> w = cn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> loss.backward()
>>> w.grad
tensor([2., 4., 6.])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._dtypes import bool_, float16, float32, float64, get_default_dtype, int32, int64
from .errors import ConvnetTypeError, ConvnetValueError, ShapeError


def _infer_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """NumPy array for `data`, with PyTorch's dtype rules: Python floats become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype), copy=copy)
    if isinstance(data, np.ndarray | np.generic):
        return np.array(data, copy=copy)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        return arr.astype(get_default_dtype(), copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(int64, copy=False)
    if arr.dtype.kind not in "b":
        raise ConvnetTypeError(
            f"cannot make a tensor from {type(data).__name__} data of dtype {arr.dtype}; "
            "pass numbers, nested lists of numbers, or a NumPy array"
        )
    return arr


def _check_float_for_grad(dtype: np.dtype) -> None:
    if dtype.kind != "f":
        raise ConvnetTypeError(
            f"only floating-point tensors can require gradients, this one is {dtype}; "
            "make it with dtype=convnet.float32 (or call .float() first)"
        )


class MaxResult(NamedTuple):
    """What `Tensor.max(dim)` and `Tensor.min(dim)` return, as in PyTorch."""

    values: Tensor
    indices: Tensor


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Build one with `convnet.tensor(...)`; ``.data`` is the NumPy array (no copy),
    ``.grad`` the accumulated gradient (a Tensor, or None before any backward()).
    """

    __slots__ = ("data", "requires_grad", "grad", "_grad_fn", "_hooks", "_retains_grad",
                 "__weakref__")
    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, _grad_fn: Any = None) -> None:
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)
        self.data: np.ndarray = data
        if requires_grad:
            _check_float_for_grad(data.dtype)
        self.requires_grad: bool = requires_grad
        self.grad: Tensor | None = None
        self._grad_fn = _grad_fn
        self._hooks: list[Callable[[Tensor], Tensor | None]] = []
        self._retains_grad = False

    # ---------------------------------------------------------------- basic facts
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> Any:
        """The shape, or its length along `dim` (PyTorch's Tensor.size)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise ConvnetTypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an operation that records gradients)."""
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Any:
        return self._grad_fn

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    # ---------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with exactly one element, this one has shape "
                f"{self.shape} ({self.data.size} elements)"
            )
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise ConvnetTypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ConvnetValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()).item())

    def to(self, dtype: Any) -> Tensor:
        """This tensor converted to `dtype` (differentiable between floating types)."""
        dt = np.dtype(dtype)
        if dt == self.dtype:
            return self
        if dt.kind != "f" or self.dtype.kind != "f":
            return Tensor(self.data.astype(dt))  # integer and bool results carry no gradient
        return _ops.Cast.apply(self, dtype=dt)

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def half(self) -> Tensor:
        return self.to(float16)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def cpu(self) -> Tensor:
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut off from the graph."""
        return Tensor(self.data)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (its gradient flows back to this one)."""
        return _ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self if self.data.flags.c_contiguous else self.clone()

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        With no argument the tensor must hold a single value (a loss); otherwise pass the
        gradient of some scalar with respect to this tensor, of the same shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() was called on a tensor that does not require grad: none of the "
                "tensors it was computed from had requires_grad=True (or it was computed "
                "inside no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() with no gradient needs a single-value tensor (a loss); this "
                    f"one has shape {self.shape}. Reduce it first (.sum() or .mean()) or pass "
                    "a gradient of the same shape"
                )
            g = np.ones_like(self.data)
        else:
            g = _infer_array(gradient, dtype=self.dtype, copy=False)
            if g.shape != self.shape:
                raise ShapeError(
                    f"backward(): the gradient has shape {g.shape} but the tensor has shape "
                    f"{self.shape}; they must match"
                )
        from .autograd.function import run_backward

        run_backward(self, g, retain_graph=retain_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad:
            _check_float_for_grad(self.dtype)
        if not self.is_leaf and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use .detach() to cut it off instead"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep .grad on this non-leaf tensor after backward() (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new one.

        Returns a function that removes the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        self._hooks.append(hook)
        return lambda: self._hooks.remove(hook) if hook in self._hooks else None

    # ---------------------------------------------------------------- in-place
    def _check_inplace(self, what: str) -> None:
        if self.requires_grad and is_grad_enabled():
            kind = "a leaf tensor" if self.is_leaf else "a tensor that is part of a graph"
            raise RuntimeError(
                f"{what}: in-place change of {kind} that requires grad would corrupt its "
                "gradient; do it inside `with convnet.no_grad():` (as optimizers do) or on "
                "a .detach()ed copy"
            )

    def _operand(self, value: Any) -> np.ndarray | Any:
        return value.data if isinstance(value, Tensor) else value

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        self.data[_index_array(index)] = self._operand(value)

    def zero_(self) -> Tensor:
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value: Any) -> Tensor:
        self._check_inplace("fill_")
        self.data[...] = self._operand(value)
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy `src` into this tensor (shapes must match or broadcast)."""
        self._check_inplace("copy_")
        src_arr = np.asarray(self._operand(src))
        try:
            np.copyto(self.data, src_arr, casting="unsafe")
        except ValueError:
            raise ShapeError(
                f"copy_: cannot copy a source of shape {src_arr.shape} into a tensor of shape "
                f"{self.shape}"
            ) from None
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        self._check_inplace("add_")
        o = self._operand(other)
        self.data += o if alpha == 1 else alpha * o
        return self

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace("mul_")
        self.data *= self._operand(other)
        return self

    def div_(self, other: Any) -> Tensor:
        self._check_inplace("div_")
        self.data /= self._operand(other)
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        self._check_inplace("clamp_")
        np.clip(self.data, min, max, out=self.data)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with samples from U(a, b), drawn from convnet's seeded generator."""
        self._check_inplace("uniform_")
        draw = _random.default_generator().random(self.shape, dtype=_draw_dtype(self.dtype))
        draw *= b - a
        draw += a
        self.data[...] = draw
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with samples from N(mean, std^2), drawn from convnet's seeded generator."""
        self._check_inplace("normal_")
        draw = _random.default_generator().standard_normal(self.shape, dtype=_draw_dtype(self.dtype))
        draw *= std
        draw += mean
        self.data[...] = draw
        return self

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*_operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(*reversed(_operands(self, other)))

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*_operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(*reversed(_operands(self, other)))

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*_operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(*reversed(_operands(self, other)))

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*_operands(self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(*reversed(_operands(self, other)))

    def __pow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*_operands(self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.Pow.apply(*reversed(_operands(self, other)))

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(*_operands(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.MatMul.apply(*reversed(_operands(self, other)))

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    # comparisons give boolean tensors and are never differentiated
    def _compare(self, other: Any, op: Callable[[Any, Any], np.ndarray]) -> Tensor:
        return Tensor(op(self.data, other.data if isinstance(other, Tensor) else other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    __hash__ = object.__hash__
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self) -> Tensor:
        return Tensor(np.invert(self.data))

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_or)

    def any(self) -> Tensor:
        return Tensor(np.any(self.data))

    def all(self) -> Tensor:
        return Tensor(np.all(self.data))

    def isnan(self) -> Tensor:
        return Tensor(np.isnan(self.data))

    def isfinite(self) -> Tensor:
        return Tensor(np.isfinite(self.data))

    # ---------------------------------------------------------------- elementwise math
    def exp(self) -> Tensor:
        return _ops.Exp.apply(self)

    def log(self) -> Tensor:
        return _ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return _ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return _ops.Abs.apply(self)

    def tanh(self) -> Tensor:
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return _ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return _ops.ReLU.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise ConvnetValueError("clamp: give at least one of min and max")
        return _ops.Clamp.apply(self, lo=min, hi=max)

    clip = clamp

    def softmax(self, dim: int) -> Tensor:
        return _ops.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int) -> Tensor:
        return _ops.LogSoftmax.apply(self, dim=dim)

    # ---------------------------------------------------------------- reductions
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.Sum.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.Mean.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
        """Variance; unbiased (divide by n - 1) by default, as in PyTorch."""
        mu = self.mean(dim, keepdim=True)
        d = (self - mu) ** 2
        dims = _norm_dims(dim, self.ndim)
        n = self.numel() if dims is None else int(np.prod([self.shape[i] for i in dims]))
        return d.sum(dim, keepdim=keepdim) / (n - 1 if unbiased else n)

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
        return self.var(dim, unbiased=unbiased, keepdim=keepdim).sqrt()

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The largest value, or with `dim` the pair (values, indices) along that dimension."""
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The smallest value, or with `dim` the pair (values, indices) along that dimension."""
        return self._extreme(dim, keepdim, largest=False)

    def _extreme(self, dim: int | None, keepdim: bool, largest: bool) -> Any:
        if self.data.size == 0:
            raise ConvnetValueError("max()/min() of an empty tensor")
        if dim is None:
            return _ops.AllExtreme.apply(self, largest=largest)
        d = _norm_dim(dim, self.ndim)
        values = _ops.DimExtreme.apply(self, dim=d, keepdim=keepdim, largest=largest)
        pick = np.argmax if largest else np.argmin
        indices = pick(self.data, axis=d, keepdims=keepdim)
        return MaxResult(values, Tensor(indices.astype(int64)))

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Largest values over `dim`; ties share the gradient evenly."""
        return _ops.Amax.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim, largest=True)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops.Amax.apply(self, dim=_norm_dims(dim, self.ndim), keepdim=keepdim,
                               largest=False)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.array(np.argmax(self.data), dtype=int64))
        return Tensor(np.argmax(self.data, axis=_norm_dim(dim, self.ndim),
                                keepdims=keepdim).astype(int64))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor(np.array(np.argmin(self.data), dtype=int64))
        return Tensor(np.argmin(self.data, axis=_norm_dim(dim, self.ndim),
                                keepdims=keepdim).astype(int64))

    # ---------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        new = _shape_arg(shape)
        try:
            target = _resolve_shape(new, self)
        except ValueError as e:
            raise ShapeError(f"reshape: {e}") from None
        if target == self.shape:
            return self
        return _ops.Reshape.apply(self, shape=target)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _norm_dim(start_dim, self.ndim), _norm_dim(end_dim, self.ndim)
        if s > e:
            raise ConvnetValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        d = _norm_dim(dim, self.ndim)
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        d = _norm_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        d = _norm_dim(dim, self.ndim)
        if self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def permute(self, *dims: Any) -> Tensor:
        order = tuple(_norm_dim(d, self.ndim) for d in _shape_arg(dims))
        if sorted(order) != list(range(self.ndim)):
            raise ConvnetValueError(f"permute: {tuple(dims)} is not an ordering of {self.ndim} dimensions")
        return _ops.Permute.apply(self, dims=order)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        a, b = _norm_dim(dim0, self.ndim), _norm_dim(dim1, self.ndim)
        order[a], order[b] = order[b], order[a]
        return _ops.Permute.apply(self, dims=tuple(order))

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ConvnetValueError(f"t() expects a tensor of at most 2 dimensions, got {self.ndim}")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*reversed(range(self.ndim)))

    def expand(self, *sizes: Any) -> Tensor:
        shape = _shape_arg(sizes)
        full = tuple(self.shape[i - len(shape) + self.ndim] if s == -1 else s
                     for i, s in enumerate(shape))
        return _ops.Expand.apply(self, shape=full)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.Index.apply(self, index=_index_array(index))

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # ---------------------------------------------------------------- printing
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(",
                               precision=4, threshold=200, edgeitems=3)
        extras = []
        if self.dtype not in (float32, int64):
            extras.append(f"dtype=convnet.{self.dtype}")
        if self._grad_fn is not None:
            extras.append(f"grad_fn=<{self._grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _draw_dtype(dtype: np.dtype) -> np.dtype:
    """Random draws straight in float32 for float32 tensors (half the memory, twice as fast)."""
    return float32 if dtype == float32 else float64


def _operands(t: Tensor, other: Any) -> tuple[Any, Any]:
    """The two operands of `t <op> other`: tensors stay, arrays become constant tensors,
    Python numbers stay scalars (NumPy keeps the tensor's float dtype for them). An integer
    tensor meeting a Python float is promoted to the default float type first, as PyTorch."""
    if isinstance(other, np.ndarray):
        other = Tensor(other)
    elif not isinstance(other, Tensor | bool | int | float | np.generic):
        raise ConvnetTypeError(f"unsupported operand of type {type(other).__name__} for a tensor operation")
    if t.dtype.kind in "iub" and isinstance(other, float):
        t = Tensor(t.data.astype(get_default_dtype()))
    return t, other


def _norm_dim(dim: Any, ndim: int) -> int:
    d = int(dim)
    lo = -max(ndim, 1)
    if not lo <= d < max(ndim, 1):
        raise IndexError(
            f"dimension {dim} is out of range for a tensor of {ndim} dimensions "
            f"(valid: {lo} to {max(ndim, 1) - 1})"
        )
    return d % max(ndim, 1)


def _norm_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Reduction dims as a sorted tuple; None (or an empty tuple, as PyTorch) means all."""
    if dim is None or isinstance(dim, list | tuple) and len(dim) == 0:
        return None
    if isinstance(dim, list | tuple):
        return tuple(sorted({_norm_dim(d, ndim) for d in dim}))
    return (_norm_dim(dim, ndim),)


def _shape_arg(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], list | tuple):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def _resolve_shape(shape: tuple[int, ...], t: Tensor) -> tuple[int, ...]:
    if shape.count(-1) > 1:
        raise ShapeError(f"only one dimension can be -1, got {shape}")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if known == 0 or t.numel() % known:
            raise ShapeError(f"cannot view a tensor of shape {t.shape} as {shape}")
        shape = tuple(t.numel() // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != t.numel():
        raise ShapeError(
            f"cannot view a tensor of shape {t.shape} ({t.numel()} elements) as {shape} "
            f"({int(np.prod(shape))} elements)"
        )
    return shape


def _index_array(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new tensor holding a copy of `data` (numbers, nested lists, arrays or a Tensor).

    Python floats become float32 and Python ints int64; NumPy arrays keep their dtype
    unless `dtype` is given.

    >>> import convnet as cn
    >>> cn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True).shape
    (2, 2)
    """
    return Tensor(_infer_array(data, dtype), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise ConvnetTypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
    return Tensor(array)


# Imported last: these modules build Tensors themselves (see autograd/function.py).
from . import _ops, random as _random  # noqa: E402, I001
from .autograd.grad_mode import is_grad_enabled  # noqa: E402
