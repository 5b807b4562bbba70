"""Batch normalisation and local response normalisation (AlexNet)."""

from __future__ import annotations

import numpy as np

from ... import kernels
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError, ShapeError
from ._checks import float_arg, int_arg, number_arg, tensor_arg


class BatchNormFn(Function):
    """y = (x - mean) * invstd * weight + bias per channel (dimension 1), invstd = 1/sqrt(var + eps).

    Training uses the batch's mean and (biased) variance, so the gradient also flows through
    them: dx = weight * invstd * (g - sum(g)/M - xhat * sum(g * xhat)/M), xhat = (x - mean) *
    invstd, M the number of values per channel. Two passes each way: the statistics (or the
    gradient's two sums), then one per-channel affine map.
    """

    def forward(self, x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None,
                running_mean: np.ndarray | None, running_var: np.ndarray | None,
                training: bool, momentum: float, eps: float) -> np.ndarray:
        k = self.kernels = kernels.active()
        m = x.size // x.shape[1]
        if training:
            mean, var = k.batch_norm_stats(x)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += momentum * var * (m / (m - 1))        # the running variance is unbiased
        else:
            mean, var = running_mean, running_var
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        scale = invstd if w is None else invstd * w
        shift = -mean * scale + (0 if b is None else b)
        self.x, self.mean, self.invstd, self.w, self.training = x, mean.astype(x.dtype), invstd, w, training
        return k.affine_channels(x, scale.astype(x.dtype), shift.astype(x.dtype))

    def backward(self, g: np.ndarray) -> tuple:
        need_x, _, _ = self.needs_input_grad
        return self.kernels.batch_norm_backward(g, self.x, self.mean, self.invstd, self.w, self.training, need_x)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1) of (N, C, ...) to zero mean and unit variance.

    Training: batch statistics, and the running ones are updated in place:
    running = (1 - momentum) * running + momentum * batch (variance unbiased).
    Evaluation: the running statistics are used.
    """
    op = "batch_norm"
    tensor_arg(input, op)
    float_arg(input, op)
    if input.ndim < 2:
        raise ShapeError(f"{op} expects (N, C) or (N, C, ...), got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        tensor_arg(t, op, name, optional=True)
        if t is not None and t.shape != (c,):
            raise ShapeError(f"{op}: {name} must have shape ({c},) for {c} channels, "
                             f"got {tuple(t.shape)}")
    if training and input.numel() // c <= 1:
        raise ShapeError(
            f"{op}: training needs more than one value per channel to compute a variance, "
            f"got input of shape {tuple(input.shape)}; use a batch larger than 1 or eval mode"
        )
    if not training and (running_mean is None or running_var is None):
        raise ConvnetValueError(f"{op}: evaluation mode needs running_mean and running_var")
    momentum = number_arg(momentum, op, "momentum", 0.0, 1.0)
    eps = number_arg(eps, op, "eps", 0.0, lo_open=True)
    return BatchNormFn.apply(
        input, weight, bias,
        running_mean=None if running_mean is None else running_mean.data,
        running_var=None if running_var is None else running_var.data,
        training=bool(training), momentum=momentum, eps=eps)


def _channel_window_sum(a: np.ndarray, before: int, after: int) -> np.ndarray:
    """s[:, c] = sum of a[:, c - before : c + after + 1] along dimension 1 (zeros outside)."""
    c = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (before + 1, after)
    cs = np.cumsum(np.pad(a, pad), axis=1)                          # (N, 1 + before + C + after, ...)
    return cs[:, before + 1 + after:before + 1 + after + c] - cs[:, :c]


class LocalResponseNormFn(Function):
    """y_c = x_c / D_c^beta with D_c = k + alpha / size * sum of x^2 over `size` channels around c.

    dx_j = g_j D_j^-beta - 2 alpha beta / size * x_j * sum over the c whose window holds j of
    g_c x_c D_c^(-beta - 1).
    """

    def forward(self, x: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
        before, after = size // 2, (size - 1) // 2
        d = k + (alpha / size) * _channel_window_sum(x * x, before, after)
        self.x, self.d, self.params = x, d, (size, alpha, beta)
        return x * d ** -beta

    def backward(self, g: np.ndarray) -> np.ndarray:
        size, alpha, beta = self.params
        x, d = self.x, self.d
        inner = g * x * d ** (-beta - 1)
        # channel c's window [c - size//2, c + (size-1)//2] holds j iff c is in
        # [j - (size-1)//2, j + size//2]: the mirrored window
        back = _channel_window_sum(inner, (size - 1) // 2, size // 2)
        return g * d ** -beta - (2 * alpha * beta / size) * x * back


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalise each value by the energy of `size` neighbouring channels (AlexNet's LRN)."""
    op = "local_response_norm"
    tensor_arg(input, op)
    float_arg(input, op)
    if input.ndim < 3:
        raise ShapeError(f"{op} expects at least 3 dimensions (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    size = int_arg(size, op, "size", 1)
    return LocalResponseNormFn.apply(input, size=size, alpha=number_arg(alpha, op, "alpha"),
                                     beta=number_arg(beta, op, "beta"), k=number_arg(k, op, "k"))
