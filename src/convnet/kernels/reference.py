"""The reference kernels: every primitive in plain NumPy, forward beside backward.

This is the definition of what each operation computes, written to be read: im2col and
col2im for the convolution, as the textbooks draw them, one strided view for the windows of
pooling, the batch-norm and cross-entropy formulas as printed. The native kernels
(`native.py`) must give the same results (the tests compare both with PyTorch); they are
faster, this is clearer. Works in any floating dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._paths import note
from .geometry import ConvGeometry, Pad2d, PoolGeometry

NAME = "reference"


# ------------------------------------------------------------------ windows
def pad(x: np.ndarray, padding: Pad2d, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) with `value` added around H and W."""
    (t, b), (l, r) = padding
    if not (t or b or l or r):
        return x
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def windows(xp: np.ndarray, kernel: tuple[int, int], out: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int]) -> np.ndarray:
    """A read-only view (N, C, KH, KW, OH, OW) of every kernel tap at every output position:
    element [n, c, i, j, y, x] is xp[n, c, y*stride + i*dilation, x*stride + j*dilation]."""
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (n, c, *kernel, *out),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]),
                      writeable=False)


def im2col(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The patch under every output position as a column: (N, G, C/G*KH*KW, OH*OW)."""
    view = windows(pad(x, g.padding), g.kernel, g.out_size, g.stride, g.dilation)
    n, oh, ow = g.batch, *g.out_size
    return view.reshape(n, g.groups, -1, oh * ow)          # copies: the columns


def col2im(cols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The inverse for gradients: add each column back onto the pixels its patch came from
    (overlapping patches add up), then drop the padding. cols: (N, C, KH, KW, OH, OW)."""
    (t, _), (l, _) = g.padding
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.out_size
    out = np.zeros((g.batch, g.in_channels, *g.padded_size), dtype=cols.dtype)
    for i in range(kh):                    # one strided addition per kernel tap
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return out[:, :, t:t + g.in_size[0], l:l + g.in_size[1]]


# ------------------------------------------------------------------ convolution
def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, g: ConvGeometry,
           relu: bool = False) -> np.ndarray:
    """out[n, o] = b[o] + W_o . (the patch at each position): one matrix product per group,
    (O/G, C/G*KH*KW) @ (C/G*KH*KW, OH*OW)."""
    w2 = w.reshape(g.groups, g.out_channels // g.groups, -1)           # (G, O/G, C/G*KH*KW)
    out = np.matmul(w2, im2col(x, g))                                  # (N, G, O/G, OH*OW)
    out = out.reshape(g.batch, g.out_channels, *g.out_size)
    if b is not None:
        out += b.reshape(-1, 1, 1)
    return np.maximum(out, 0, out=out) if relu else out


def conv2d_input_grad(gy: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Each column's gradient is W^T . dY at its position; col2im sends it to the pixels."""
    w2 = w.reshape(g.groups, g.out_channels // g.groups, -1)           # (G, O/G, C/G*KH*KW)
    gy2 = gy.reshape(g.batch, g.groups, g.out_channels // g.groups, -1)
    gcols = np.matmul(w2.transpose(0, 2, 1), gy2)                      # (N, G, C/G*KH*KW, P)
    return col2im(gcols.reshape(g.batch, g.in_channels, *g.kernel, *g.out_size), g)


def conv2d_weight_grad(gy: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The same kernel was used at every position: its gradient is summed over all of them
    (and over the batch): dW = sum over n of dY_n . cols_n^T."""
    gy2 = gy.reshape(g.batch, g.groups, g.out_channels // g.groups, -1)  # (N, G, O/G, P)
    gw = np.matmul(gy2, im2col(x, g).transpose(0, 1, 3, 2)).sum(axis=0)  # (G, O/G, C/G*KH*KW)
    return gw.reshape(g.out_channels, g.in_channels // g.groups, *g.kernel)


def channel_sum(gy: np.ndarray) -> np.ndarray:
    """Sum over everything but dimension 1: the gradient of a per-channel bias."""
    return gy.sum(axis=tuple(a for a in range(gy.ndim) if a != 1)) if gy.ndim > 1 else gy


# ------------------------------------------------------------------ pooling
def _taps(x: np.ndarray, g: PoolGeometry, value: float) -> np.ndarray:
    """(N, C, KH*KW, OH, OW): every window's taps, padding filled with `value`."""
    n, c = g.batch, g.channels
    view = windows(pad(x, g.padding, value), g.kernel, g.out_size, g.stride, g.dilation)
    return view.reshape(n, c, g.kernel[0] * g.kernel[1], *g.out_size)


def _tap_positions(g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (in the unpadded input) of tap t of the window at (y, x): (KH*KW, OH, OW)."""
    (t, _), (l, _) = g.padding
    i, j = np.divmod(np.arange(g.kernel[0] * g.kernel[1]), g.kernel[1])
    rows = np.arange(g.out_size[0])[None, :, None] * g.stride[0] - t + i[:, None, None] * g.dilation[0]
    cols = np.arange(g.out_size[1])[None, None, :] * g.stride[1] - l + j[:, None, None] * g.dilation[1]
    return np.broadcast_to(rows, (len(i), *g.out_size)), np.broadcast_to(cols, (len(i), *g.out_size))


def max_pool2d(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The largest value of each window (padding never wins) and where it is, as a flat
    index row * W + col into its input channel; the first maximum wins ties (NaN beats all)."""
    taps = _taps(x, g, -np.inf)
    rows, cols = _tap_positions(g)
    inside = (rows >= 0) & (rows < g.in_size[0]) & (cols >= 0) & (cols < g.in_size[1])
    best = np.argmax(taps, axis=2)                                    # (N, C, OH, OW)
    # a window of -inf values: its first tap inside the input, as PyTorch does
    best = np.where(inside[best, *np.indices(g.out_size)], best, np.argmax(inside, axis=0))
    out = np.take_along_axis(taps, best[:, :, None], axis=2)[:, :, 0]
    index = rows[best, *np.indices(g.out_size)] * g.in_size[1] + cols[best, *np.indices(g.out_size)]
    return out, index.astype(np.int64)


def max_pool2d_backward(gy: np.ndarray, index: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """Each window's gradient goes to its maximum (windows that overlap add up)."""
    n, c, (h, w) = g.batch, g.channels, g.in_size
    flat = index + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
    gx = np.bincount(flat.ravel(), weights=gy.ravel(), minlength=n * c * h * w)
    return gx.astype(gy.dtype).reshape(n, c, h, w)


def avg_pool2d(x: np.ndarray, g: PoolGeometry, divisors: np.ndarray) -> np.ndarray:
    """The sum of each window (padding counts as zero) over its divisor (OH, OW)."""
    taps = _taps(x, g, 0.0)
    total = taps[:, :, 0].copy()
    for t in range(1, taps.shape[2]):      # a fixed order of additions
        total += taps[:, :, t]
    return total / divisors


def avg_pool2d_backward(gy: np.ndarray, g: PoolGeometry, divisors: np.ndarray) -> np.ndarray:
    """Each window's gradient, over its divisor, spread evenly over the window's taps."""
    share = gy / divisors
    (t, b), (l, r) = g.padding
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.kernel, g.stride, g.dilation, g.out_size
    out = np.zeros((g.batch, g.channels, g.in_size[0] + t + b, g.in_size[1] + l + r), dtype=gy.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += share
    return out[:, :, t:t + g.in_size[0], l:l + g.in_size[1]]


# ------------------------------------------------------------------ elementwise
def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b (residual connections; gradients arriving at a tensor from several uses)."""
    return np.add(a, b)


def dropout_threshold(p: float) -> int:
    """Element i is kept when its 24-bit hash is at least p * 2^24."""
    return min(int(np.ceil(p * (1 << 24))), 1 << 24)


def dropout_scale(p: float) -> float:
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)


def _mix32(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def dropout_mask(shape: tuple[int, ...], p: float, seed: int, dtype: Any) -> np.ndarray:
    """Dropout's multiplier per element: 1/(1 - p) where kept, 0 where dropped. Element i is
    kept when a hash of (seed, i) reaches the threshold, so the mask is the same whoever
    draws it, element by element (the native kernels compute the same hash)."""
    i = np.arange(int(np.prod(shape)), dtype=np.uint32)
    u = _mix32(_mix32(i ^ np.uint32(seed & 0xFFFFFFFF)) + np.uint32(seed >> 32)) >> np.uint32(8)
    scale = np.asarray(dropout_scale(p), dtype=dtype)
    return np.where(u >= dropout_threshold(p), scale, np.zeros((), dtype)).astype(dtype).reshape(shape)


# ------------------------------------------------------------------ activations
def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, 0)


def relu_backward(gy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient passes where the output is positive (read off the output: no mask kept)."""
    return gy * (y > 0)


# ------------------------------------------------------------------ batch normalisation
def _channel_axes(x: np.ndarray) -> tuple[int, ...]:
    return tuple(a for a in range(x.ndim) if a != 1)


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean and (biased) variance over the batch and positions."""
    axes = _channel_axes(x)
    mean = x.mean(axis=axes)
    var = ((x - _per_channel(mean, x.ndim)) ** 2).mean(axis=axes)
    return mean.astype(x.dtype), var.astype(x.dtype)


def affine_channels(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, relu: bool = False) -> np.ndarray:
    """x * scale[c] + shift[c] per channel (batch norm once its statistics are known)."""
    out = x * _per_channel(scale, x.ndim) + _per_channel(shift, x.ndim)
    return np.maximum(out, 0, out=out) if relu else out


def batch_norm_backward(gy: np.ndarray, x: np.ndarray, mean: np.ndarray, invstd: np.ndarray,
                        weight: np.ndarray | None, training: bool, need_x: bool
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """With xhat = (x - mean) * invstd and y = xhat * weight + bias:
    dbias = sum(g), dweight = sum(g * xhat), and in training (mean and invstd depend on x)
    dx = weight * invstd * (g - sum(g)/M - xhat * sum(g * xhat)/M); in evaluation
    dx = weight * invstd * g."""
    axes, nd = _channel_axes(x), x.ndim
    m = x.size // x.shape[1]
    centred = x - _per_channel(mean, nd)
    gsum = gy.sum(axis=axes)
    gdot = (gy * centred).sum(axis=axes)                               # sum of g * (x - mean)
    gw, gb = (gdot * invstd).astype(gy.dtype), gsum.astype(gy.dtype)
    if not need_x:
        return None, gw, gb
    scale = invstd if weight is None else invstd * weight
    if not training:
        return gy * _per_channel(scale, nd), gw, gb
    k = invstd * invstd * gdot / m
    gx = _per_channel(scale, nd) * (gy - _per_channel(gsum / m, nd) - centred * _per_channel(k, nd))
    return gx.astype(gy.dtype), gw, gb


# ------------------------------------------------------------------ fully connected
def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """y = x W^T + b over the last dimension."""
    out = x @ w.T
    if b is not None:
        out += b
    return out


def linear_input_grad(gy: np.ndarray, w: np.ndarray) -> np.ndarray:
    return gy @ w


def linear_weight_grad(gy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dW = g^T x, summed over every row of the batch."""
    return gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])


# ------------------------------------------------------------------ cross-entropy
def cross_entropy(logits: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of (rows, classes) logits: loss = -sum_c q[c] * log softmax(x)[c], where q
    holds what each class's log-probability is worth (see nn.functional.loss). Also returns
    softmax(x), which the gradient needs."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    with np.errstate(invalid="ignore"):
        terms = np.where(q == 0, 0, q * logp)                          # 0 * log 0 counts as 0
    return -terms.sum(axis=1), np.exp(logp)


def cross_entropy_backward(probs: np.ndarray, q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """d loss_r / d x_r = softmax * sum(q_r) - q_r, times each row's upstream gradient."""
    return (probs * q.sum(axis=1, keepdims=True) - q) * scale[:, None]


# ------------------------------------------------------------------ optimizer updates
def _descent_direction(param: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """grad (negated to maximize) plus the L2 term weight_decay * param."""
    if weight_decay:
        d = np.multiply(param, weight_decay)
        return d - grad if maximize else d + grad
    return -grad if maximize else grad


def sgd_step(params: list[np.ndarray], grads: list[np.ndarray], bufs: list[np.ndarray | None],
             firsts: list[bool], lr: float, momentum: float, dampening: float, weight_decay: float,
             nesterov: bool, maximize: bool) -> None:
    """SGD with momentum, in place: buf = momentum * buf + (1 - dampening) * d (buf = d the
    first time), then p -= lr * (d + momentum * buf if nesterov else buf)."""
    for p, g, buf, first in zip(params, grads, bufs, firsts, strict=True):
        d = _descent_direction(p, g, weight_decay, maximize)
        if momentum:
            if first:
                buf[...] = d
            else:
                buf *= momentum
                buf += d if dampening == 0 else (1.0 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p -= lr * d


def adam_step(params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray],
              exp_avg_sqs: list[np.ndarray], max_exp_avg_sqs: list[np.ndarray] | None, lr: float,
              beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool,
              amsgrad: bool, maximize: bool, step: int) -> None:
    """Adam, in place: m += (1 - beta1)(g - m), v = beta2 v + (1 - beta2) g^2,
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""
    for k, (p, g, m, v) in enumerate(zip(params, grads, exp_avgs, exp_avg_sqs, strict=True)):
        wd = weight_decay
        if wd and decoupled:
            p *= 1.0 - lr * wd
            wd = 0.0
        d = _descent_direction(p, g, wd, maximize)
        w = 1.0 - beta1                      # m = lerp(m, d, w), rounded as PyTorch's lerp
        if abs(w) < 0.5:
            m += (d - m) * w
        else:
            m[...] = d - (d - m) * (1.0 - w)
        v *= beta2
        v += (d * (1.0 - beta2)) * d
        second = v
        if amsgrad:
            second = max_exp_avg_sqs[k]
            np.maximum(second, v, out=second)
        denom = np.sqrt(second) / (1.0 - beta2 ** step) ** 0.5 + eps
        p -= (m / denom) * (lr / (1.0 - beta1 ** step))


# Every call is noted as taking the one path there is (see convnet.kernels.record_paths).
def _noted(name: str, fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        note(name, NAME)
        return fn(*args, **kwargs)
    call.__doc__, call.__name__ = fn.__doc__, name
    return call


PRIMITIVES = ("conv2d", "conv2d_input_grad", "conv2d_weight_grad", "channel_sum", "add", "dropout_mask", "max_pool2d",
              "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "relu", "relu_backward",
              "batch_norm_stats", "affine_channels", "batch_norm_backward", "linear", "linear_input_grad",
              "linear_weight_grad", "cross_entropy", "cross_entropy_backward", "sgd_step", "adam_step")
for _name in PRIMITIVES:
    globals()[_name] = _noted(_name, globals()[_name])
