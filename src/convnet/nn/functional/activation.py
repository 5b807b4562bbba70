"""Activations and the softmax family, each with its derivative beside it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _ops, kernels
from ..._tensor import Tensor, _norm_dim
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...errors import ConvnetValueError, ShapeError
from ._checks import float_arg, number_arg, tensor_arg


def _inplace_ok(x: Tensor) -> bool:
    """In-place is only an optimisation here: used when no gradient has to flow through x."""
    return not (x.requires_grad and is_grad_enabled())


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). Its gradient is 1 where x > 0 and 0 elsewhere.

    ``inplace=True`` overwrites the input when no gradient flows through it (inference);
    otherwise it computes a new tensor, which gives the same result.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.relu(cn.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """
    tensor_arg(input, "relu")
    if inplace and _inplace_ok(input):
        np.maximum(input.data, 0, out=input.data)
        return input
    return _ops.ReLU.apply(input)


class LeakyReLUFn(Function):
    def forward(self, x: np.ndarray, slope: float) -> np.ndarray:
        self.pos, self.slope = x > 0, slope
        return np.where(self.pos, x, x * x.dtype.type(slope))

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.where(self.pos, g, g * g.dtype.type(self.slope))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    tensor_arg(input, "leaky_relu")
    slope = number_arg(negative_slope, "leaky_relu", "negative_slope")
    if inplace and _inplace_ok(input):
        np.multiply(input.data, slope, out=input.data, where=input.data < 0)
        return input
    return LeakyReLUFn.apply(input, slope=slope)


class ELUFn(Function):
    def forward(self, x: np.ndarray, alpha: float) -> np.ndarray:
        self.pos, self.alpha = x > 0, alpha
        self.neg_out = alpha * np.expm1(np.minimum(x, 0))          # alpha (e^x - 1) for x <= 0
        return np.where(self.pos, x, self.neg_out).astype(x.dtype, copy=False)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.where(self.pos, g, g * (self.neg_out + self.alpha)).astype(g.dtype, copy=False)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (e^x - 1)."""
    tensor_arg(input, "elu")
    float_arg(input, "elu")
    alpha = number_arg(alpha, "elu", "alpha")
    out = ELUFn.apply(input, alpha=alpha)
    if inplace and _inplace_ok(input):
        input.data[...] = out.data
        return input
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, to about 1e-15, computed in float64 without SciPy.

    |x| < 3: its Maclaurin series 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1));
    beyond: 1 - erfc(x), with erfc from its continued fraction (evaluated from the tail).
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = a < 3.0
    out = np.empty_like(x)
    xs = np.where(small, x, 0.0)
    term, total, x2 = xs.copy(), xs.copy(), xs * xs
    for n in range(1, 60):
        term = term * (-x2) / n
        total = total + term / (2 * n + 1)
    out[small] = (2.0 / math.sqrt(math.pi)) * total[small]
    big = ~small
    if big.any():
        z = a[big]
        frac = np.zeros_like(z)
        for k in range(60, 0, -1):  # erfc(z) = e^-z^2 / sqrt(pi) / (z + (1/2)/(z + 1/(z + ...)))
            frac = (k / 2.0) / (z + frac)
        erfc = np.exp(-z * z) / math.sqrt(math.pi) / (z + frac)
        out[big] = np.sign(x[big]) * (1.0 - erfc)
    return out


class GELUFn(Function):
    """x * Phi(x), Phi the standard normal CDF; d/dx = Phi(x) + x * phi(x)."""

    def forward(self, x: np.ndarray, approximate: str) -> np.ndarray:
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            c = math.sqrt(2.0 / math.pi)
            self.t = np.tanh(c * (x + 0.044715 * x ** 3))
            return (0.5 * x * (1 + self.t)).astype(x.dtype, copy=False)
        self.cdf = 0.5 * (1.0 + erf(x / math.sqrt(2.0)))
        return (x * self.cdf).astype(x.dtype, copy=False)

    def backward(self, g: np.ndarray) -> np.ndarray:
        x = self.x
        if self.approximate == "tanh":
            c = math.sqrt(2.0 / math.pi)
            dt = (1 - self.t ** 2) * c * (1 + 3 * 0.044715 * x ** 2)
            d = 0.5 * (1 + self.t) + 0.5 * x * dt
        else:
            d = self.cdf + x * np.exp(-0.5 * x.astype(np.float64) ** 2) / math.sqrt(2 * math.pi)
        return (g * d).astype(g.dtype, copy=False)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); ``approximate="tanh"`` uses the tanh formula."""
    tensor_arg(input, "gelu")
    float_arg(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ConvnetValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELUFn.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    tensor_arg(input, "silu")
    return input * input.sigmoid()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x); derivative y (1 - y)."""
    tensor_arg(input, "sigmoid")
    return _ops.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent; derivative 1 - y^2."""
    tensor_arg(input, "tanh")
    return _ops.Tanh.apply(input)


def _softmax_dim(input: Tensor, dim: int | None, op: str) -> int:
    tensor_arg(input, op)
    float_arg(input, op)
    if dim is None:  # PyTorch's legacy choice when no dim is given
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return _norm_dim(dim, input.ndim)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along `dim`: non-negative, sums to one.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.softmax(cn.tensor([[1.0, 1.0]]), dim=1)
    tensor([[0.5, 0.5]])
    """
    d = _softmax_dim(input, dim, "softmax")
    x = input if dtype is None else input.to(dtype)
    return _ops.Softmax.apply(x, dim=d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably (no overflow for logits of 1e4)."""
    d = _softmax_dim(input, dim, "log_softmax")
    x = input if dtype is None else input.to(dtype)
    return _ops.LogSoftmax.apply(x, dim=d)


class DropoutFn(Function):
    def forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.mask = mask
        return x * mask

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.mask


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, op: str,
             mask_shape: tuple[int, ...]) -> Tensor:
    tensor_arg(input, op)
    p = number_arg(p, op, "p", 0.0, 1.0)
    if not training or p == 0.0:
        return input
    float_arg(input, op)
    from ...random import default_generator

    seed = int(default_generator().integers(0, 1 << 63))     # one draw per call: reproducible
    mask = kernels.active().dropout_mask(mask_shape, p, seed, input.dtype)  # 1/(1-p) kept, 0 dropped
    if inplace and _inplace_ok(input):
        input.data *= mask
        return input
    return DropoutFn.apply(input, mask=mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p while training, scaling the rest by 1 / (1 - p).

    Draws from convnet's seeded generator (`convnet.manual_seed`). Identity when not training.
    """
    return _dropout(input, p, training, inplace, "dropout", input.shape if
                    isinstance(input, Tensor) else ())


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p while training."""
    shape = (*input.shape[:2], 1, 1) if isinstance(input, Tensor) and input.ndim == 4 else ()
    if isinstance(input, Tensor) and input.ndim != 4:
        raise ShapeError(f"dropout2d expects a 4-D input (N, C, H, W), got shape {input.shape}")
    return _dropout(input, p, training, inplace, "dropout2d", shape)
