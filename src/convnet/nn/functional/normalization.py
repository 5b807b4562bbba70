"""Batch normalisation and local response normalisation (AlexNet)."""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ._checks import float_arg, int_arg, number_arg, tensor_arg


def _per_channel(a: np.ndarray) -> tuple[np.ndarray, bool]:
    """`a` (N, C, ...) as a (C, rows) view when its memory is channel-major (as convolution
    outputs are), else as (N, C, rest); the flag says which."""
    if a.ndim > 2 and a.strides[1] > a.strides[0]:
        moved = a.swapaxes(0, 1)
        if moved.flags.c_contiguous:
            return moved.reshape(a.shape[1], -1), True
    return a.reshape(a.shape[0], a.shape[1], -1), False


def _channel_sum(a: np.ndarray, rows: bool) -> np.ndarray:
    return a.sum(axis=1) if rows else a.sum(axis=(0, 2))


def _channel_dot(a: np.ndarray, b: np.ndarray, rows: bool) -> np.ndarray:
    """Sum over everything but the channel of a * b, without a temporary the size of a."""
    return np.einsum("cm,cm->c", a, b) if rows else np.einsum("ncm,ncm->c", a, b)


def _per_channel_affine(a: np.ndarray, scale: np.ndarray, shift: np.ndarray | None, rows: bool) -> np.ndarray:
    """a * scale + shift per channel, in two passes (shapes as `_per_channel` gives them)."""
    s, t = (scale[:, None], None if shift is None else shift[:, None]) if rows else \
        (scale[None, :, None], None if shift is None else shift[None, :, None])
    out = np.multiply(a, s)
    if t is not None:
        out += t
    return out


class BatchNormFn(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (dimension 1).

    Training uses the batch's mean and (biased) variance, so the gradient also flows through
    them: dx = invstd / M * (M * gxhat - sum(gxhat) - xhat * sum(gxhat * xhat)), with
    gxhat = g * weight and M the number of values per channel. Both directions are written as
    one per-channel affine map (out = a * x + b), two passes over the data, on a (C, rows) view
    of the input when its memory allows it.
    """

    def forward(self, x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None,
                running_mean: np.ndarray | None, running_var: np.ndarray | None,
                training: bool, momentum: float, eps: float) -> np.ndarray:
        view, rows = _per_channel(x)
        c = x.shape[1]
        m = x.size // c
        if training:
            mean = _channel_sum(view, rows) / m
            centred = view - (mean[:, None] if rows else mean[None, :, None])
            var = _channel_dot(centred, centred, rows) / m
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += momentum * var * (m / (m - 1))       # running var is unbiased
        else:
            mean, var = running_mean, running_var
            centred = None
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        scale = invstd if w is None else invstd * w
        if training:
            out = _per_channel_affine(centred, scale, b, rows)
        else:
            out = _per_channel_affine(view, scale, (-mean * scale) + (0 if b is None else b), rows)
        self.centred, self.invstd, self.w, self.training, self.rows = centred, invstd, w, training, rows
        self.x = view if not training else None
        self.mean = mean.astype(x.dtype) if not training else None
        return _shape_back(out, x.shape, rows)

    def backward(self, g: np.ndarray) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad
        shape = g.shape
        view, rows = _per_channel(g)
        if rows != self.rows:                                      # match the saved layout
            view = np.ascontiguousarray(g.swapaxes(0, 1)).reshape(shape[1], -1) if self.rows else \
                np.ascontiguousarray(g).reshape(shape[0], shape[1], -1)
        m = g.size // shape[1]
        invstd = self.invstd
        gsum = _channel_sum(view, self.rows)
        if self.training:
            g_centred = _channel_dot(view, self.centred, self.rows)     # sum of g * (x - mean)
        else:
            g_centred = _channel_dot(view, self.x, self.rows) - gsum * self.mean
        gw = (g_centred * invstd).astype(g.dtype) if need_w else None  # sum of g * xhat
        gb = gsum if need_b else None
        gx = None
        if need_x:
            scale = invstd if self.w is None else invstd * self.w
            if self.training:
                # dx = scale * (g - gsum/M - (x - mean) * invstd^2 * sum(g (x - mean)) / M)
                gx = _per_channel_affine(view, scale, -scale * gsum / m, self.rows)
                k = (-scale * invstd * invstd * g_centred / m).astype(g.dtype)
                gx += self.centred * (k[:, None] if self.rows else k[None, :, None])
            else:
                gx = _per_channel_affine(view, scale, None, self.rows)
            gx = _shape_back(gx, shape, self.rows)
        return gx, gw, gb


def _shape_back(a: np.ndarray, shape: tuple[int, ...], rows: bool) -> np.ndarray:
    """Undo `_per_channel`: (C, rows) or (N, C, rest) back to `shape`, as a view."""
    if rows:
        return a.reshape(shape[1], shape[0], *shape[2:]).swapaxes(0, 1)
    return a.reshape(shape)


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
        raise ValueError(f"{op} expects (N, C) or (N, C, ...), got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        tensor_arg(t, op, name, optional=True)
        if t is not None and t.shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},) for {c} channels, "
                             f"got {tuple(t.shape)}")
    if training and input.numel() // c <= 1:
        raise ValueError(
            f"{op}: training needs more than one value per channel to compute a variance, "
            f"got input of shape {tuple(input.shape)}; use a batch larger than 1 or eval mode"
        )
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{op}: evaluation mode needs running_mean and running_var")
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
        raise ValueError(f"{op} expects at least 3 dimensions (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    size = int_arg(size, op, "size", 1)
    return LocalResponseNormFn.apply(input, size=size, alpha=number_arg(alpha, op, "alpha"),
                                     beta=number_arg(beta, op, "beta"), k=number_arg(k, op, "k"))
