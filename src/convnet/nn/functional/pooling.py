"""Max and average pooling (fixed and adaptive windows), forward and backward side by side.

Pooling slides a window over each channel separately and keeps the largest value (max) or
the mean (average) of what it covers. Window size and stride are independent; the output
size follows the same arithmetic as convolution (see `convnet.arith`), with ``ceil_mode``
keeping a last partial window.

Backward: max pooling sends each output's gradient to the one input that won its window;
average pooling spreads it evenly over the window (divided by the window's divisor).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import arith, kernels
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError
from ...kernels import PoolGeometry
from ._checks import float_arg, ndim_arg, pair_arg, tensor_arg


def _pool_geometry(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool, op: str) -> tuple:
    tensor_arg(x, op)
    float_arg(x, op)
    ndim_arg(x, 4, op, "(N, C, H, W)")
    k = pair_arg(kernel_size, op, "kernel_size", 1)
    s = k if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0) \
        else pair_arg(stride, op, "stride", 1)
    p = pair_arg(padding, op, "padding", 0)
    d = pair_arg(dilation, op, "dilation", 1)
    for axis in range(2):
        if p[axis] > k[axis] // 2:
            raise ConvnetValueError(
                f"{op}: padding {p[axis]} is more than half the kernel size {k[axis]} "
                f"(along {'hw'[axis]}); windows would see only padding. Use padding <= "
                f"{k[axis] // 2}"
            )
    h, w = x.shape[2:]
    out = (arith.conv_output_size(h, k[0], s[0], p[0], d[0], ceil_mode, op + " (height)"),
           arith.conv_output_size(w, k[1], s[1], p[1], d[1], ceil_mode, op + " (width)"))
    if d != (1, 1):  # dilated taps can skip over the input entirely
        for axis, size in enumerate((h, w)):
            taps = (np.arange(out[axis])[:, None] * s[axis] - p[axis]
                    + np.arange(k[axis])[None, :] * d[axis])          # (out, K) input positions
            empty = ~((taps >= 0) & (taps < size)).any(axis=1)
            if empty.any():
                raise ConvnetValueError(
                    f"{op}: along {'hw'[axis]}, the window at output {int(np.argmax(empty))} "
                    f"sees only padding (input {size}, kernel {k[axis]}, dilation {d[axis]}, "
                    f"padding {p[axis]}); reduce the padding or the dilation"
                )
    # rows/cols of padding after the input that the windows actually reach
    end = tuple(max((o - 1) * si + di * (ki - 1) + 1 - size - pi, 0)
                for o, si, di, ki, size, pi in zip(out, s, d, k, (h, w), p, strict=True))
    pad = ((p[0], end[0]), (p[1], end[1]))
    return k, s, d, pad, out


class MaxPool2dFn(Function):
    """out = the largest value under each window; its gradient goes to that one input (the
    first maximum of the window, as in PyTorch). The kernels return where each maximum
    is, so backward needs no second look at the windows."""

    def forward(self, x: np.ndarray, geometry: PoolGeometry, return_indices: bool) -> Any:
        self.kernels, self.geometry = kernels.active(), geometry
        out, self.index = self.kernels.max_pool2d(x, geometry)
        return (out, self.index) if return_indices else out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self.kernels.max_pool2d_backward(grad, self.index, self.geometry)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max pooling over (N, C, H, W): the largest value of each window, per channel.

    `stride` defaults to `kernel_size` (non-overlapping windows). Padding counts as -inf,
    so it never wins. With `return_indices`, also returns each maximum's flat position
    (row * W + col) in its input channel, as PyTorch does.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.max_pool2d(cn.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    """
    k, s, d, pad, out = _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode,
                                       "max_pool2d")
    geometry = PoolGeometry(*input.shape[:2], input.shape[2:], k, s, pad, d, out)
    return MaxPool2dFn.apply(input, geometry=geometry, return_indices=bool(return_indices))


# ------------------------------------------------------------------ average pooling
def _divisors(size: int, out: int, kernel: int, stride: int, pad_begin: int,
              include_pad: bool) -> np.ndarray:
    """How many elements each window along one axis averages over.

    Windows are clipped to the input plus its declared padding (a ceil_mode window that runs
    past it counts only what is inside); without include_pad, clipped to the input alone.
    """
    start = np.arange(out) * stride - pad_begin
    end = np.minimum(start + kernel, size + pad_begin)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2dFn(Function):
    """out = sum of each window / its divisor; the gradient is spread evenly over the window."""

    def forward(self, x: np.ndarray, geometry: PoolGeometry, count_include_pad: bool,
                divisor_override: int | None) -> np.ndarray:
        (h, w), (oh, ow), (kh, kw), (sh, sw) = geometry.in_size, geometry.out_size, geometry.kernel, geometry.stride
        (t, _), (l, _) = geometry.padding
        if divisor_override:
            div = np.full((oh, ow), float(divisor_override), dtype=x.dtype)
        else:
            div = np.outer(_divisors(h, oh, kh, sh, t, count_include_pad),
                           _divisors(w, ow, kw, sw, l, count_include_pad)).astype(x.dtype)  # (OH, OW)
        self.kernels, self.geometry, self.div = kernels.active(), geometry, div
        return self.kernels.avg_pool2d(x, geometry, div)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return self.kernels.avg_pool2d_backward(grad, self.geometry, self.div)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Average pooling over (N, C, H, W): the mean of each window, per channel.

    With `count_include_pad` (the default, as PyTorch) zero padding counts in the divisor;
    without it only real input pixels do. `divisor_override` replaces the divisor.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.avg_pool2d(cn.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]])
    """
    op = "avg_pool2d"
    k, s, _, pad, out = _pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, op)
    if divisor_override is not None and (isinstance(divisor_override, bool)
                                         or not isinstance(divisor_override, int)
                                         or divisor_override < 1):
        raise ConvnetValueError(f"{op}: divisor_override must be a positive integer, got "
                                f"{divisor_override!r}")
    geometry = PoolGeometry(*input.shape[:2], input.shape[2:], k, s, pad, (1, 1), out)
    return AvgPool2dFn.apply(input, geometry=geometry, count_include_pad=count_include_pad,
                             divisor_override=divisor_override)


# ------------------------------------------------------------------ adaptive pooling
def _adaptive_size(input: Tensor, output_size: Any, op: str) -> tuple[int, int]:
    tensor_arg(input, op)
    float_arg(input, op)
    ndim_arg(input, 4, op, "(N, C, H, W)")
    h, w = input.shape[2:]
    if isinstance(output_size, list | tuple):
        if len(output_size) != 2:
            raise ConvnetValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        oh = h if output_size[0] is None else pair_arg(output_size[0], op, "output_size", 1)[0]
        ow = w if output_size[1] is None else pair_arg(output_size[1], op, "output_size", 1)[0]
    else:
        oh, ow = pair_arg(output_size, op, "output_size", 1)
    if h < 1 or w < 1:
        raise ConvnetValueError(f"{op}: input has an empty spatial size {(h, w)}")
    return oh, ow


def _averaging_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) matrix whose row i averages input window i of adaptive pooling."""
    m = np.zeros((out, size), dtype=dtype)
    for i, (a, b) in enumerate(arith.adaptive_windows(size, out)):  # loop over outputs, not pixels
        m[i, a:b] = 1.0 / (b - a)
    return m


class AdaptiveAvgPool2dFn(Function):
    """out = A_h @ x @ A_w^T, with A the row-averaging matrices of the adaptive windows."""

    def forward(self, x: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
        h, w = x.shape[2:]
        if out_hw == (1, 1):
            self.ah = self.aw = None
            self.hw = (h, w)
            return x.mean(axis=(2, 3), keepdims=True)
        self.ah = _averaging_matrix(h, out_hw[0], x.dtype)
        self.aw = _averaging_matrix(w, out_hw[1], x.dtype)
        return self.ah @ (x @ self.aw.T)                            # (N, C, OH, OW)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self.ah is None:
            h, w = self.hw
            return np.broadcast_to(grad / (h * w), (*grad.shape[:2], h, w))
        return self.ah.T @ (grad @ self.aw)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size, whatever the input size.

    Window i along an axis of size n covers [floor(i*n/o), ceil((i+1)*n/o)).
    ``output_size=1`` is global average pooling.
    """
    out = _adaptive_size(input, output_size, "adaptive_avg_pool2d")
    return AdaptiveAvgPool2dFn.apply(input, out_hw=out)


def _adaptive_taps(size: int, out: int) -> np.ndarray:
    """(out, K) input index of each tap; short windows repeat their last index (harmless to max)."""
    spans = arith.adaptive_windows(size, out)
    k = max(b - a for a, b in spans)
    start = np.array([a for a, _ in spans])[:, None]
    last = np.array([b - 1 for _, b in spans])[:, None]
    return np.minimum(start + np.arange(k)[None, :], last)


class AdaptiveMaxPool2dFn(Function):
    def forward(self, x: np.ndarray, out_hw: tuple[int, int], return_indices: bool) -> Any:
        n, c, h, w = x.shape
        th, tw = _adaptive_taps(h, out_hw[0]), _adaptive_taps(w, out_hw[1])  # (OH, KH), (OW, KW)
        taps = x[:, :, th[:, None, :, None], tw[None, :, None, :]]  # (N, C, OH, OW, KH, KW)
        taps = taps.reshape(n, c, *out_hw, -1)
        arg = taps.argmax(axis=-1)                                   # (N, C, OH, OW)
        out = np.take_along_axis(taps, arg[..., None], axis=-1)[..., 0]
        kw = tw.shape[1]
        self.index = (th[np.arange(out_hw[0])[:, None], arg // kw] * w
                      + tw[np.arange(out_hw[1])[None, :], arg % kw]).astype(np.int64)
        self.shape = x.shape
        return (out, self.index) if return_indices else out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        n, c, h, w = self.shape
        flat = self.index + (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
        gx = np.bincount(flat.ravel(), weights=grad.ravel(), minlength=n * c * h * w)
        return gx.astype(grad.dtype).reshape(self.shape)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size (windows as in `adaptive_avg_pool2d`)."""
    out = _adaptive_size(input, output_size, "adaptive_max_pool2d")
    return AdaptiveMaxPool2dFn.apply(input, out_hw=out, return_indices=bool(return_indices))
