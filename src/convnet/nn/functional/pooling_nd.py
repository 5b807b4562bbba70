"""Max and average pooling over one and three spatial dimensions.

1-D pooling is 2-D pooling over an image one pixel high (`max_pool1d`, `avg_pool1d` call
`max_pool2d` / `avg_pool2d` with a window of height 1: exact, and on the kernel layer).

3-D pooling is written here in NumPy for any number of spatial axes, the way the seeds
describe a window: every window tap is one strided view of the padded input, and the
windows are those views stacked. The output size per axis is the convolution's
(`convnet.arith`), with ``ceil_mode`` keeping a last partial window. Backward, beside it:
max pooling sends each output's gradient to the tap that won its window (the first maximum),
average pooling spreads it evenly over the window's taps, divided by the window's divisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import arith
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError
from ._checks import float_arg, int_arg, ndim_arg, ntuple_arg, tensor_arg
from .conv_nd import PadsNd, _taps, tap_view
from .pooling import avg_pool2d, max_pool2d


# ------------------------------------------------------------------ 1-D: 2-D windows one pixel high
def _check_1d(input: Tensor, op: str, **args: Any) -> dict[str, int]:
    tensor_arg(input, op)
    ndim_arg(input, 3, op, "(N, C, L)")
    low = {"padding": 0}
    return {k: ntuple_arg(v, 1, op, k, low.get(k, 1))[0] for k, v in args.items()}


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max pooling over (N, C, L); `stride` defaults to `kernel_size`. With `return_indices`,
    also the position of each maximum along L.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.max_pool1d(cn.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).tolist()
    [[[3.0, 5.0]]]
    """
    a = _check_1d(input, "max_pool1d", kernel_size=kernel_size, stride=kernel_size if stride is None else stride,
                  padding=padding, dilation=dilation)
    out = max_pool2d(input.unsqueeze(2), (1, a["kernel_size"]), (1, a["stride"]), (0, a["padding"]),
                     (1, a["dilation"]), ceil_mode, return_indices)
    if return_indices:          # the flat index row * L + col is the column: row is 0
        return out[0].squeeze(2), out[1].squeeze(2)
    return out.squeeze(2)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Average pooling over (N, C, L); `stride` defaults to `kernel_size`.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.avg_pool1d(cn.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2).tolist()
    [[[2.0, 4.0]]]
    """
    a = _check_1d(input, "avg_pool1d", kernel_size=kernel_size, stride=kernel_size if stride is None else stride,
                  padding=padding)
    return avg_pool2d(input.unsqueeze(2), (1, a["kernel_size"]), (1, a["stride"]), (0, a["padding"]), ceil_mode,
                      count_include_pad).squeeze(2)


# ------------------------------------------------------------------ any number of axes
def pool_windows(sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], pads: PadsNd,
                 dilation: Sequence[int], ceil_mode: bool, op: str) -> tuple[tuple[int, ...], PadsNd]:
    """Output size per axis, and the padding actually read: the declared padding before, and
    after as far as the last window reaches (ceil_mode can reach past the declared padding)."""
    out = tuple(arith.conv_output_size(n, k, s, p, d, ceil_mode, f"{op} (axis {i + 2})")
                for i, (n, k, s, p, d) in enumerate(zip(sizes, kernel, stride, pads, dilation, strict=True)))
    reach = tuple((a, max((o - 1) * s + d * (k - 1) + 1 - n - a, 0))
                  for o, s, d, k, n, (a, _) in zip(out, stride, dilation, kernel, sizes, pads, strict=True))
    return out, reach


def _tap_positions(out: int, k: int, s: int, begin: int, d: int) -> np.ndarray:
    """(out, K): the input index each tap of each window reads along one axis (may be outside)."""
    return np.arange(out)[:, None] * s - begin + np.arange(k)[None, :] * d


def window_counts(sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], pads: PadsNd,
                  dilation: Sequence[int], out: Sequence[int], include_pad: bool) -> np.ndarray:
    """How many taps each window averages over, shape `out`: the taps inside the input, or
    with `include_pad` inside the input plus its declared padding."""
    counts = np.ones((), dtype=np.int64)
    for n, k, s, (a, b), d, o in zip(sizes, kernel, stride, pads, dilation, out, strict=True):
        pos = _tap_positions(o, k, s, a, d)
        lo, hi = (-a, n + b) if include_pad else (0, n)
        counts = np.multiply.outer(counts, ((pos >= lo) & (pos < hi)).sum(axis=1))
    return counts


def _windows(x: np.ndarray, fill: float, kernel: Sequence[int], stride: Sequence[int], reach: PadsNd,
             dilation: Sequence[int], out: Sequence[int]) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """(N, C, K, *out): every window's taps, the padding filled with `fill`."""
    xp = np.pad(x, ((0, 0), (0, 0), *reach), constant_values=fill)
    taps = _taps(kernel)
    return np.stack([xp[tap_view(xp, t, stride, dilation, out)] for t in taps], axis=2), taps


def _scatter(per_tap: np.ndarray, shape: tuple[int, ...], taps: list[tuple[int, ...]], stride: Sequence[int],
             reach: PadsNd, dilation: Sequence[int], out: Sequence[int]) -> np.ndarray:
    """The input gradient from each tap's share (N, C, K, *out): added where the taps read."""
    padded = np.zeros((*shape[:2], *(n + a + b for n, (a, b) in zip(shape[2:], reach, strict=True))), per_tap.dtype)
    for k, t in enumerate(taps):                                  # loop over window taps, not pixels
        padded[tap_view(padded, t, stride, dilation, out)] += per_tap[:, :, k]
    return padded[(slice(None), slice(None)) + tuple(slice(a, a + n) for n, (a, _) in zip(shape[2:], reach,
                                                                                            strict=True))]


class MaxPoolNdFn(Function):
    """out = the largest tap of each window (padding is -inf); the gradient goes to the first
    maximum. With `return_indices`, also each maximum's flat position in its channel."""

    def forward(self, x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], reach: PadsNd,
                dilation: tuple[int, ...], out: tuple[int, ...], return_indices: bool) -> Any:
        windows, self.taps = _windows(x, -np.inf, kernel, stride, reach, dilation, out)
        self.arg = windows.argmax(axis=2)                                       # (N, C, *out)
        self.shape, self.geometry = x.shape, (stride, reach, dilation, out)
        y = np.take_along_axis(windows, self.arg[:, :, None], axis=2)[:, :, 0]
        if not return_indices:
            return y
        tap = np.array(self.taps)[self.arg]                                     # (N, C, *out, axes)
        grid = np.meshgrid(*(np.arange(o) for o in out), indexing="ij")
        coords = [grid[i] * stride[i] - reach[i][0] + tap[..., i] * dilation[i] for i in range(len(out))]
        return y, np.ravel_multi_index(coords, x.shape[2:]).astype(np.int64)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        stride, reach, dilation, out = self.geometry
        per_tap = np.stack([np.where(self.arg == k, grad, 0) for k in range(len(self.taps))], axis=2)
        return _scatter(per_tap, self.shape, self.taps, stride, reach, dilation, out)


class AvgPoolNdFn(Function):
    """out = the sum of each window's taps (padding is 0) / its divisor; backward spreads each
    output's gradient, divided the same way, over the taps of its window."""

    def forward(self, x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], reach: PadsNd,
                dilation: tuple[int, ...], out: tuple[int, ...], divisor: np.ndarray) -> np.ndarray:
        windows, self.taps = _windows(x, 0.0, kernel, stride, reach, dilation, out)
        self.shape, self.geometry, self.divisor = x.shape, (stride, reach, dilation, out), divisor.astype(x.dtype)
        return windows.sum(axis=2) / self.divisor

    def backward(self, grad: np.ndarray) -> np.ndarray:
        stride, reach, dilation, out = self.geometry
        share = grad / self.divisor
        per_tap = np.broadcast_to(share[:, :, None], (*share.shape[:2], len(self.taps), *share.shape[2:]))
        return _scatter(per_tap, self.shape, self.taps, stride, reach, dilation, out)


def _pool_args(input: Tensor, spatial: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               op: str) -> tuple[tuple[int, ...], ...]:
    tensor_arg(input, op)
    float_arg(input, op)
    ndim_arg(input, spatial + 2, op, f"(N, C, {', '.join('DHW'[3 - spatial:])})")
    k = ntuple_arg(kernel_size, spatial, op, "kernel_size", 1)
    s = k if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0) \
        else ntuple_arg(stride, spatial, op, "stride", 1)
    p = ntuple_arg(padding, spatial, op, "padding", 0)
    d = ntuple_arg(dilation, spatial, op, "dilation", 1)
    for axis in range(spatial):
        if p[axis] > k[axis] // 2:
            raise ConvnetValueError(f"{op}: padding {p[axis]} is more than half the kernel size {k[axis]} (axis "
                                    f"{axis + 2}); windows would see only padding. Use padding <= {k[axis] // 2}")
    return k, s, p, d


def max_pool_nd(input: Tensor, kernel: Sequence[int], stride: Sequence[int], pads: PadsNd,
                dilation: Sequence[int], ceil_mode: bool = False, return_indices: bool = False,
                op: str = "max_pool") -> Any:
    """Max pooling over any number of spatial axes with explicit (before, after) padding
    (unequal sides allowed; convnet.onnx uses it for ONNX's MaxPool)."""
    out, reach = pool_windows(input.shape[2:], kernel, stride, pads, dilation, ceil_mode, op)
    _check_windows(input.shape[2:], kernel, stride, reach, dilation, out, op)
    return MaxPoolNdFn.apply(input, kernel=tuple(kernel), stride=tuple(stride), reach=reach,
                             dilation=tuple(dilation), out=out, return_indices=bool(return_indices))


def avg_pool_nd(input: Tensor, kernel: Sequence[int], stride: Sequence[int], pads: PadsNd,
                dilation: Sequence[int], ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None, op: str = "avg_pool") -> Tensor:
    """Average pooling over any number of spatial axes with explicit (before, after) padding
    and dilation (convnet.onnx uses it for ONNX's AveragePool)."""
    out, reach = pool_windows(input.shape[2:], kernel, stride, pads, dilation, ceil_mode, op)
    _check_windows(input.shape[2:], kernel, stride, reach, dilation, out, op)
    if divisor_override is not None:
        divisor = np.full(out, float(int_arg(divisor_override, op, "divisor_override", 1)))
    else:
        divisor = window_counts(input.shape[2:], kernel, stride, pads, dilation, out, count_include_pad)
    return AvgPoolNdFn.apply(input, kernel=tuple(kernel), stride=tuple(stride), reach=reach,
                             dilation=tuple(dilation), out=out, divisor=divisor)


def _check_windows(sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], reach: PadsNd,
                   dilation: Sequence[int], out: Sequence[int], op: str) -> None:
    """Every window must read at least one input pixel (not only padding)."""
    for axis, (n, k, s, (a, _), d, o) in enumerate(zip(sizes, kernel, stride, reach, dilation, out, strict=True)):
        pos = _tap_positions(o, k, s, a, d)
        empty = ~((pos >= 0) & (pos < n)).any(axis=1)
        if empty.any():
            raise ConvnetValueError(
                f"{op}: along axis {axis + 2}, the window at output {int(np.argmax(empty))} sees only "
                f"padding (input {n}, kernel {k}, dilation {d}, padding {a}); reduce the padding or "
                "the dilation"
            )


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max pooling over (N, C, D, H, W); `stride` defaults to `kernel_size`; padding counts as
    -inf. With `return_indices`, also each maximum's flat position (d * H * W + h * W + w).

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.max_pool3d(cn.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
    [[[[[7.0]]]]]
    """
    k, s, p, d = _pool_args(input, 3, kernel_size, stride, padding, dilation, "max_pool3d")
    return max_pool_nd(input, k, s, tuple((q, q) for q in p), d, ceil_mode, return_indices, "max_pool3d")


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Average pooling over (N, C, D, H, W); `stride` defaults to `kernel_size`. With
    `count_include_pad` (the default) zero padding counts in the divisor.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.avg_pool3d(cn.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
    [[[[[3.5]]]]]
    """
    k, s, p, _ = _pool_args(input, 3, kernel_size, stride, padding, 1, "avg_pool3d")
    return avg_pool_nd(input, k, s, tuple((q, q) for q in p), (1, 1, 1), ceil_mode, count_include_pad,
                       divisor_override, "avg_pool3d")
