"""The differentiable primitives behind Tensor's methods: arithmetic, math, reductions, shapes.

Each class computes its output in ``forward`` and, right below, how the gradient of the
loss flows back to its inputs in ``backward``. Broadcasting is undone in backward by
summing over the broadcast axes (`unbroadcast`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import kernels
from .autograd.function import Function
from .errors import ConvnetValueError, ShapeError


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


# ------------------------------------------------------------------ arithmetic
class Add(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.shapes = np.shape(a), np.shape(b)
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype:
            return kernels.active().add(a, b)           # a residual connection, say
        return np.add(a, b)

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.shapes[0]) if na else None,
                unbroadcast(g, self.shapes[1]) if nb else None)


class Sub(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.shapes = np.shape(a), np.shape(b)
        return np.subtract(a, b)

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        return (unbroadcast(g, self.shapes[0]) if na else None,
                unbroadcast(-g, self.shapes[1]) if nb else None)


class Mul(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.multiply(a, b)

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        return (unbroadcast(g * self.b, np.shape(self.a)) if na else None,
                unbroadcast(g * self.a, np.shape(self.b)) if nb else None)


class Div(Function):
    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.divide(a, b)
        return self.out

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        ga = g / self.b
        return (unbroadcast(ga, np.shape(self.a)) if na else None,
                unbroadcast(-ga * self.out, np.shape(self.b)) if nb else None)  # d(a/b)/db = -out/b


class Neg(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return -g


class Pow(Function):
    """a ** b. d/da = b a^(b-1); d/db = a^b log a (0 where a = 0 and b >= 0, as PyTorch)."""

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if na:
            if np.ndim(b) == 0 and b == 2:
                ga = g * (2 * a)
            else:
                ga = unbroadcast(g * (b * np.power(a, np.subtract(b, 1))), np.shape(a))
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = self.out * np.log(a)
            d = np.where((np.asarray(a) == 0) & (np.asarray(b) >= 0), 0, d)
            gb = unbroadcast(g * d, np.shape(b))
        return ga, gb


class MatMul(Function):
    """a @ b with NumPy's rules (1-D operands, batched broadcasting)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ConvnetValueError("matmul: both operands need at least one dimension (use * for scalars)")
        ka, kb = np.shape(a)[-1], np.shape(b)[-2 if np.ndim(b) > 1 else 0]
        if ka != kb:
            raise ShapeError(
                f"matmul: shapes {np.shape(a)} and {np.shape(b)} do not fit: the last "
                f"dimension of the first ({ka}) must equal the "
                f"{'second-to-last' if np.ndim(b) > 1 else 'only'} dimension of the second ({kb})"
            )
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, g: np.ndarray) -> tuple:
        a, b = self.a, self.b
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if na else None), (a.T @ g if nb else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g  # put back the dimensions a 1-D operand dropped: b's last, then a's row
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        ga = gb = None
        if na:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if nb:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb


class Cast(Function):
    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g.astype(self.src)


class Clone(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.array(a)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g


# ------------------------------------------------------------------ elementwise math
class Exp(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.out


class Log(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return g / self.a


class Sqrt(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            self.out = np.sqrt(a)
        return self.out

    def backward(self, g: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return g / (2 * self.out)


class Abs(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * np.sign(self.a)


class Tanh(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.tanh(a)
        return self.out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * (1 - self.out * self.out)


def sigmoid_array(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-a), computed without overflow for large |a|."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


class Sigmoid(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = sigmoid_array(a)
        return self.out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.out * (1 - self.out)


class ReLU(Function):
    """max(x, 0); the gradient passes where x > 0, read off the output (no mask is kept)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.kernels = kernels.active()
        self.out = self.kernels.relu(a)
        return self.out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return self.kernels.relu_backward(g, self.out)


class Clamp(Function):
    def forward(self, a: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        self.keep = np.ones(a.shape, dtype=bool)
        if lo is not None:
            self.keep &= a >= lo
        if hi is not None:
            self.keep &= a <= hi
        return np.clip(a, lo, hi)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.keep


class Where(Function):
    def forward(self, cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        self.cond, self.shapes = cond, (np.shape(a), np.shape(b))
        return np.where(cond, a, b)

    def backward(self, g: np.ndarray) -> tuple:
        _, na, nb = self.needs_input_grad
        zero = np.zeros((), g.dtype)
        return (None,
                unbroadcast(np.where(self.cond, g, zero), self.shapes[0]) if na else None,
                unbroadcast(np.where(self.cond, zero, g), self.shapes[1]) if nb else None)


class Softmax(Function):
    """exp(x - max) / sum(exp(x - max)) along `dim`; backward: y * (g - sum(g * y))."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        e = np.exp(a - a.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        self.out = e
        return e

    def backward(self, g: np.ndarray) -> np.ndarray:
        y = self.out
        return y * (g - (g * y).sum(axis=self.dim, keepdims=True))


class LogSoftmax(Function):
    """x - max - log(sum(exp(x - max))) along `dim`; stable for logits of any magnitude."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        shifted = a - a.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.out = out
        return out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g - np.exp(self.out) * g.sum(axis=self.dim, keepdims=True)


# ------------------------------------------------------------------ reductions
class Sum(Function):
    def forward(self, a: np.ndarray, dim: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        return np.sum(a, axis=dim, keepdims=keepdim)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.dim is not None and not self.keepdim:
            g = np.expand_dims(g, self.dim)
        return np.broadcast_to(g, self.shape)


class Mean(Function):
    def forward(self, a: np.ndarray, dim: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        self.count = a.size if dim is None else int(np.prod([a.shape[d] for d in dim]))
        return np.mean(a, axis=dim, keepdims=keepdim)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.dim is not None and not self.keepdim:
            g = np.expand_dims(g, self.dim)
        return np.broadcast_to(g / self.count, self.shape)


class AllExtreme(Function):
    """max() or min() over all elements; tied elements share the gradient evenly (as PyTorch)."""

    def forward(self, a: np.ndarray, largest: bool) -> np.ndarray:
        out = a.max() if largest else a.min()
        self.mask = a == out
        return np.asarray(out)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return self.mask * (g / self.mask.sum())


class DimExtreme(Function):
    """max(dim) or min(dim): the gradient goes to the element whose index is returned."""

    def forward(self, a: np.ndarray, dim: int, keepdim: bool, largest: bool) -> np.ndarray:
        idx = (np.argmax if largest else np.argmin)(a, axis=dim, keepdims=True)
        self.idx, self.shape, self.dim, self.keepdim = idx, a.shape, dim, keepdim
        out = np.take_along_axis(a, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if not self.keepdim:
            g = np.expand_dims(g, self.dim)
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.put_along_axis(grad, self.idx, g, axis=self.dim)
        return grad


class Amax(Function):
    """amax/amin over dims; tied elements share the gradient evenly."""

    def forward(self, a: np.ndarray, dim: tuple[int, ...] | None, keepdim: bool,
                largest: bool) -> np.ndarray:
        out = (np.max if largest else np.min)(a, axis=dim, keepdims=True)
        self.mask = a == out
        self.dim, self.keepdim = dim, keepdim
        if keepdim:
            return out
        return out.reshape(()) if dim is None else np.squeeze(out, axis=dim)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.dim is None:
            g = np.reshape(g, (1,) * self.mask.ndim)
        elif not self.keepdim:
            g = np.expand_dims(g, self.dim)
        count = self.mask.sum(axis=self.dim, keepdims=True)
        return self.mask * (g / count)


# ------------------------------------------------------------------ shapes
class Reshape(Function):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g.reshape(self.shape)


class Permute(Function):
    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g.transpose(self.inverse)


class Expand(Function):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ShapeError(f"expand: cannot expand shape {a.shape} to {shape}") from None

    def backward(self, g: np.ndarray) -> np.ndarray:
        return unbroadcast(g, self.shape)


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, int | slice | np.integer)
               for i in items)


class Index(Function):
    """a[index]; backward scatters the gradient back (adding where an index repeats)."""

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"index {index!r} does not fit a tensor of shape {a.shape}: {e}") from None

    def backward(self, g: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=g.dtype)
        if _is_basic_index(self.index):
            grad[self.index] = g
        else:
            np.add.at(grad, self.index, g)
        return grad


class Cat(Function):
    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        self.splits = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, g: np.ndarray) -> tuple:
        return tuple(np.split(g, self.splits, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g: np.ndarray) -> tuple:
        return tuple(np.moveaxis(g, self.dim, 0))
