"""The native backend: the same functions as `reference.py`, run by this project's compiled
kernels (`csrc/`, built into `_native` when convnet is installed).

Each function hands C-contiguous float32 arrays to the C code, which writes into arrays
allocated here and runs on its own thread pool (`set_num_threads`); it releases the GIL
while it works. Other dtypes (float64 for gradient checks, float16) go to the reference
kernels, which say so in `record_paths`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _native as _c
from . import reference
from ._paths import note
from .geometry import ConvGeometry, PoolGeometry

NAME = "native"
ALL = 1 << 20                         # "all the pool's threads": the C side clamps it
GRID, DEPTHWISE, SHIFTED = 0, 1, 3    # the C side's path numbers (csrc/conv.h)
MAX_PHASES, MAX_TAPS, MAX_ROWS = 64, 1024, 24000   # the C kernels' limits (csrc/conv.h)
f32 = np.dtype(np.float32)
CACHED_FROM = 1 << 16                 # outputs of at least this many bytes use the cache


def isa() -> str:
    """The instruction set the kernels were dispatched to: avx512, avx2 or baseline."""
    return _c.isa()


def set_num_threads(n: int) -> None:
    _c.set_num_threads(n)


def get_num_threads() -> int:
    return _c.get_num_threads()


def empty(shape: tuple[int, ...], dtype: Any = f32) -> np.ndarray:
    """An uninitialised array for a kernel's output. Large ones take their memory from the
    kernels' cache of freed blocks (csrc/alloc.c), already mapped: a training step then
    reuses the memory of the step before instead of faulting in fresh pages."""
    dtype = np.dtype(dtype)
    count = math.prod(shape) if isinstance(shape, tuple) else int(shape)
    if count * dtype.itemsize < CACHED_FROM:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(_c.empty(count * dtype.itemsize), dtype=dtype, count=count).reshape(shape)


def release_cache() -> int:
    """Give the cached free memory back to the system; returns how many bytes that was."""
    return _c.release_cache()


def _c32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=f32)


def _native(*arrays: Any) -> bool:
    """Whether the arrays can go to the C kernels (float32; None for absent ones)."""
    return all(a is None or a.dtype == f32 for a in arrays)


def conv_paths(g: ConvGeometry) -> tuple[str, str]:
    """The paths a convolution takes here: (forward and input gradient, kernel gradient).

    Forward: "grid" (stride 1: products reading the padded image in place), "shifted"
    (stride 1 on narrow maps with 64 channels or more: the same on KW copies of the image
    shifted by a column each, so that no padding column is computed), "phases"
    (other strides: the same on the image split into stride phases) or "depthwise" (one
    kernel per channel: shifted multiply-adds). Kernel gradient: "gemm" (a product, from 16
    output channels per group and 64 taps per output channel), "dots" (dot products: fewer
    channels, or few taps as in a first layer) or "depthwise".
    "reference" for what the C kernels do not take (strides beyond 8 x 8, more than 1024
    taps, more than 24,000 channels per group); float64 goes there too.
    """
    if (g.stride[0] * g.stride[1] > MAX_PHASES or g.kernel[0] * g.kernel[1] > MAX_TAPS
            or max(g.in_channels, g.out_channels) // g.groups > MAX_ROWS):
        return "reference", "reference"
    forward, weight = _c.conv_path(g.as_ints())
    if forward == DEPTHWISE:
        return "depthwise", "depthwise"
    name = "shifted" if forward == SHIFTED else "grid" if g.stride == (1, 1) else "phases"
    return name, ("gemm" if weight == GRID else "dots")


# ------------------------------------------------------------------ convolution
def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, g: ConvGeometry, relu: bool = False) -> np.ndarray:
    path = conv_paths(g)[0]
    if not _native(x, w, b) or path == "reference":
        return reference.conv2d(x, w, b, g, relu)
    y = empty((g.batch, g.out_channels, *g.out_size), f32)
    _c.conv_forward(_c32(x), _c32(w), None if b is None else _c32(b), y, g.as_ints(), relu, ALL)
    note("conv2d", path)
    return y


def conv2d_input_grad(gy: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    path = conv_paths(g)[0]
    if not _native(gy, w) or path == "reference":
        return reference.conv2d_input_grad(gy, w, g)
    gx = empty((g.batch, g.in_channels, *g.in_size), f32)
    _c.conv_input_grad(_c32(gy), _c32(w), gx, g.as_ints(), ALL)
    note("conv2d_input_grad", path)
    return gx


def conv2d_weight_grad(gy: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    path = conv_paths(g)[1]
    if not _native(gy, x) or path == "reference":
        return reference.conv2d_weight_grad(gy, x, g)
    gw = empty((g.out_channels, g.in_channels // g.groups, *g.kernel), f32)
    _c.conv_weight_grad(_c32(gy), _c32(x), gw, g.as_ints(), ALL)
    note("conv2d_weight_grad", path)
    return gw


def channel_sum(gy: np.ndarray) -> np.ndarray:
    if not _native(gy) or gy.ndim < 2:
        return reference.channel_sum(gy)
    n, c = gy.shape[:2]
    out = empty(c, f32)
    _c.channel_sum(_c32(gy), n, c, gy.size // max(n * c, 1), out, ALL)
    note("channel_sum", NAME)
    return out


# ------------------------------------------------------------------ pooling
def max_pool2d(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    if not _native(x):
        return reference.max_pool2d(x, g)
    y = empty((g.batch, g.channels, *g.out_size), f32)
    index = empty(y.shape, np.int64)
    _c.max_pool2d(_c32(x), g.as_ints(), y, index, ALL)
    note("max_pool2d", NAME)
    return y, index


def max_pool2d_backward(gy: np.ndarray, index: np.ndarray, g: PoolGeometry) -> np.ndarray:
    if not _native(gy):
        return reference.max_pool2d_backward(gy, index, g)
    gx = empty((g.batch, g.channels, *g.in_size), f32)
    _c.max_pool2d_backward(_c32(gy), np.ascontiguousarray(index, dtype=np.int64), gx, g.as_ints(), ALL)
    note("max_pool2d_backward", NAME)
    return gx


def avg_pool2d(x: np.ndarray, g: PoolGeometry, divisors: np.ndarray) -> np.ndarray:
    if not _native(x):
        return reference.avg_pool2d(x, g, divisors)
    y = empty((g.batch, g.channels, *g.out_size), f32)
    _c.avg_pool2d(_c32(x), g.as_ints(), _c32(np.broadcast_to(divisors, g.out_size)), y, ALL)
    note("avg_pool2d", NAME)
    return y


def avg_pool2d_backward(gy: np.ndarray, g: PoolGeometry, divisors: np.ndarray) -> np.ndarray:
    if not _native(gy):
        return reference.avg_pool2d_backward(gy, g, divisors)
    gx = empty((g.batch, g.channels, *g.in_size), f32)
    _c.avg_pool2d_backward(_c32(gy), _c32(np.broadcast_to(divisors, g.out_size)), gx, g.as_ints(), ALL)
    note("avg_pool2d_backward", NAME)
    return gx


# ------------------------------------------------------------------ elementwise
def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if not _native(a, b) or a.shape != b.shape:
        return reference.add(a, b)
    out = empty(a.shape)
    _c.add(_c32(a), _c32(b), out, ALL)
    note("add", NAME)
    return out


def dropout_mask(shape: tuple[int, ...], p: float, seed: int, dtype: Any) -> np.ndarray:
    if np.dtype(dtype) != f32:
        return reference.dropout_mask(shape, p, seed, dtype)
    mask = empty(shape)
    _c.dropout_mask(mask, seed, reference.dropout_threshold(p), reference.dropout_scale(p), ALL)
    note("dropout_mask", NAME)
    return mask


# ------------------------------------------------------------------ activations
def relu(x: np.ndarray) -> np.ndarray:
    if not _native(x):
        return reference.relu(x)
    y = empty(x.shape, f32)
    _c.relu(_c32(x), y, ALL)
    note("relu", NAME)
    return y


def relu_backward(gy: np.ndarray, y: np.ndarray) -> np.ndarray:
    if not _native(gy, y):
        return reference.relu_backward(gy, y)
    gx = empty(y.shape, f32)
    _c.relu_backward(_c32(gy), _c32(y), gx, ALL)
    note("relu_backward", NAME)
    return gx


# ------------------------------------------------------------------ batch normalisation
def _ncm(x: np.ndarray) -> tuple[int, int, int]:
    n, c = x.shape[:2]
    return n, c, x.size // max(n * c, 1)


def batch_norm_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not _native(x):
        return reference.batch_norm_stats(x)
    n, c, m = _ncm(x)
    mean, var = empty(c, f32), empty(c, f32)
    _c.batch_norm_stats(_c32(x), n, c, m, mean, var, ALL)
    note("batch_norm_stats", NAME)
    return mean, var


def affine_channels(x: np.ndarray, scale: np.ndarray, shift: np.ndarray, relu: bool = False) -> np.ndarray:
    if not _native(x, scale, shift):
        return reference.affine_channels(x, scale, shift, relu)
    n, c, m = _ncm(x)
    y = empty(x.shape, f32)
    _c.affine_channels(_c32(x), _c32(scale), _c32(shift), y, n, c, m, relu, ALL)
    note("affine_channels", NAME)
    return y


def batch_norm_backward(gy: np.ndarray, x: np.ndarray, mean: np.ndarray, invstd: np.ndarray,
                        weight: np.ndarray | None, training: bool, need_x: bool
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    if not _native(gy, x, mean, invstd, weight):
        return reference.batch_norm_backward(gy, x, mean, invstd, weight, training, need_x)
    n, c, m = _ncm(x)
    gx = empty(x.shape, f32) if need_x else None
    gw, gb = empty(c, f32), empty(c, f32)
    _c.batch_norm_backward(_c32(gy), _c32(x), _c32(mean), _c32(invstd), None if weight is None else _c32(weight),
                           gx, gw, gb, n, c, m, training, ALL)
    note("batch_norm_backward", NAME)
    return gx, gw, gb


# ------------------------------------------------------------------ fully connected
def _matmul(a: np.ndarray, b: np.ndarray, m: int, n: int, k: int, trans_a: bool, trans_b: bool,
            bias: np.ndarray | None = None) -> np.ndarray:
    c = empty((m, n), f32)
    _c.matmul(_c32(a), _c32(b), c, m, n, k, trans_a, trans_b, False, None if bias is None else _c32(bias), ALL)
    return c


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    if not _native(x, w, b):
        return reference.linear(x, w, b)
    rows, k = x.size // max(x.shape[-1], 1), x.shape[-1]
    y = _matmul(x.reshape(rows, k), w, rows, w.shape[0], k, False, True, b)
    note("linear", NAME)
    return y.reshape(*x.shape[:-1], w.shape[0])


def linear_input_grad(gy: np.ndarray, w: np.ndarray) -> np.ndarray:
    if not _native(gy, w):
        return reference.linear_input_grad(gy, w)
    rows = gy.size // max(gy.shape[-1], 1)
    gx = _matmul(gy.reshape(rows, gy.shape[-1]), w, rows, w.shape[1], w.shape[0], False, False)
    note("linear_input_grad", NAME)
    return gx.reshape(*gy.shape[:-1], w.shape[1])


def linear_weight_grad(gy: np.ndarray, x: np.ndarray) -> np.ndarray:
    if not _native(gy, x):
        return reference.linear_weight_grad(gy, x)
    rows = gy.size // max(gy.shape[-1], 1)
    gw = _matmul(gy.reshape(rows, gy.shape[-1]), x.reshape(rows, x.shape[-1]), gy.shape[-1], x.shape[-1], rows,
                 True, False)
    note("linear_weight_grad", NAME)
    return gw


# ------------------------------------------------------------------ cross-entropy
def cross_entropy(logits: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not _native(logits, q):
        return reference.cross_entropy(logits, q)
    rows, classes = logits.shape
    loss, probs = empty(rows, f32), empty((rows, classes), f32)
    _c.cross_entropy(_c32(logits), _c32(q), rows, classes, loss, probs, ALL)
    note("cross_entropy", NAME)
    return loss, probs


def cross_entropy_backward(probs: np.ndarray, q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    if not _native(probs, q, scale):
        return reference.cross_entropy_backward(probs, q, scale)
    rows, classes = probs.shape
    gx = empty((rows, classes), f32)
    _c.cross_entropy_backward(_c32(probs), _c32(q), _c32(scale), gx, rows, classes, ALL)
    note("cross_entropy_backward", NAME)
    return gx


# ------------------------------------------------------------------ optimizer updates
def _in_place_ok(*arrays: Any) -> bool:
    return all(a is None or (a.dtype == f32 and a.flags.c_contiguous and a.flags.writeable) for a in arrays)


def sgd_step(params: list[np.ndarray], grads: list[np.ndarray], bufs: list[np.ndarray | None],
             firsts: list[bool], lr: float, momentum: float, dampening: float, weight_decay: float,
             nesterov: bool, maximize: bool) -> None:
    if not all(_in_place_ok(p, b) for p, b in zip(params, bufs, strict=True)) or not _native(*grads):
        return reference.sgd_step(params, grads, bufs, firsts, lr, momentum, dampening, weight_decay,
                                  nesterov, maximize)
    _c.sgd_step(params, [_c32(g) for g in grads], bufs, firsts, lr, momentum, dampening, weight_decay,
                nesterov, maximize)
    note("sgd_step", NAME)


def adam_step(params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray],
              exp_avg_sqs: list[np.ndarray], max_exp_avg_sqs: list[np.ndarray] | None, lr: float,
              beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool,
              amsgrad: bool, maximize: bool, step: int) -> None:
    state = [*params, *exp_avgs, *exp_avg_sqs, *(max_exp_avg_sqs or [])]
    if not _in_place_ok(*state) or not _native(*grads):
        return reference.adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, lr, beta1, beta2,
                                   eps, weight_decay, decoupled, amsgrad, maximize, step)
    _c.adam_step(params, [_c32(g) for g in grads], exp_avgs, exp_avg_sqs, max_exp_avg_sqs, lr, beta1, beta2, eps,
                 weight_decay, decoupled, amsgrad, maximize, step)
    note("adam_step", NAME)
