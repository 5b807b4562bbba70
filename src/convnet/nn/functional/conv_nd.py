"""Convolution over one and three spatial dimensions: conv1d, conv_transpose1d, conv3d,
conv_transpose3d.

A 1-D convolution is a 2-D one over an image one pixel high: `conv1d` and
`conv_transpose1d` add that axis, call `conv2d` / `conv_transpose2d` (and so the kernel
layer, forward and backward), and take it away again. Nothing is approximated: a kernel of
height 1 with no vertical padding sees exactly the 1-D windows.

`conv3d` (videos, volumes) is written here in NumPy, im2col style, for any number of
spatial axes: every kernel tap (kd, kh, kw) contributes one strided view of the padded
input, the views are stacked into columns, and one matrix product per group does the sums.
Per axis the output size is the 2-D one, ``out = (W - K + 2P) // S + 1`` (with dilation d,
K becomes d(K - 1) + 1). Backward, beside it:

* the kernel gradient is the output gradient times the columns, summed over every position
  (and image) the kernel visited;
* the input gradient is the kernel times the output gradient, put back tap by tap onto
  the pixels each tap read (overlaps add up), with the padding cut off;
* the bias gradient is the output gradient summed over images and positions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import arith
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError, ShapeError
from ._checks import int_arg, ndim_arg, ntuple_arg, operands, tensor_arg
from .conv import conv2d, conv_transpose2d

PadsNd = tuple[tuple[int, int], ...]       # (before, after) per spatial axis


def pads_arg(padding: Any, sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
             dilation: Sequence[int], op: str) -> PadsNd:
    """Padding as (before, after) per spatial axis, from an int, one int per axis, ``"valid"``,
    ``"same"`` (output ceil(size / stride), the odd extra pixel after) or explicit pairs."""
    n = len(sizes)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            return tuple(arith.same_padding(size, k, s, d)
                         for size, k, s, d in zip(sizes, kernel, stride, dilation, strict=True))
        raise ConvnetValueError(f"{op}: padding must be an int, {n} ints, 'valid' or 'same', got {padding!r}")
    if isinstance(padding, Sequence) and len(padding) == n and all(isinstance(p, Sequence) for p in padding):
        return tuple((int_arg(p[0], op, "padding", 0), int_arg(p[1], op, "padding", 0)) for p in padding)
    return tuple((p, p) for p in ntuple_arg(padding, n, op, "padding", 0))


def _check_conv(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, spatial: int,
                op: str) -> int:
    operands(input, weight, bias, op)
    axes = "DHW"[3 - spatial:]
    ndim_arg(input, spatial + 2, op, f"(N, C, {', '.join(axes)})")
    ndim_arg(weight, spatial + 2, op, f"(out_channels, in_channels / groups, {', '.join('K' + a for a in axes)})",
             name="weight")
    groups = int_arg(groups, op, "groups", 1)
    c, (o, cg) = input.shape[1], weight.shape[:2]
    if c % groups or o % groups:
        raise ShapeError(f"{op}: input channels {c} and output channels {o} (weight.shape[0]) must both be "
                         f"divisible by groups={groups}")
    if cg * groups != c:
        raise ShapeError(f"{op}: input has {c} channels but the weight {tuple(weight.shape)} with groups={groups} "
                         f"expects {cg * groups} (weight.shape[1] * groups)")
    if bias is not None and bias.shape != (o,):
        raise ShapeError(f"{op}: bias must have shape ({o},) for {o} output channels, got {tuple(bias.shape)}")
    return groups


def _out_sizes(sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], pads: PadsNd,
               dilation: Sequence[int], op: str) -> tuple[int, ...]:
    return tuple(arith.conv_output_size(n, k, s, p, d, op=f"{op} (axis {i + 2})")
                 for i, (n, k, s, p, d) in enumerate(zip(sizes, kernel, stride, pads, dilation, strict=True)))


# ------------------------------------------------------------------ conv1d, conv_transpose1d
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L): `conv2d` on an image of height 1.

    weight is (O, C / groups, K). `padding` is an int, ``"valid"``, ``"same"`` (any stride,
    the odd extra pixel at the end) or ``((left, right),)``.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv1d(cn.ones(2, 3, 10), cn.ones(4, 3, 3), padding=1, stride=2).shape
    (2, 4, 5)
    """
    op = "conv1d"
    groups = _check_conv(input, weight, bias, groups, 1, op)
    (s,), (d,) = ntuple_arg(stride, 1, op, "stride", 1), ntuple_arg(dilation, 1, op, "dilation", 1)
    (pads,) = pads_arg(padding, input.shape[2:], weight.shape[2:], (s,), (d,), op)
    _out_sizes(input.shape[2:], weight.shape[2:], (s,), (pads,), (d,), op)
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), ((0, 0), pads), (1, d), groups)
    return out.squeeze(2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution over (N, C_in, L): `conv_transpose2d` on an image of height 1.

    weight is (C_in, C_out / groups, K); output length
    (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv_transpose1d(cn.ones(1, 2, 4), cn.ones(2, 3, 3), stride=2).shape
    (1, 3, 9)
    """
    op = "conv_transpose1d"
    tensor_arg(input, op)
    tensor_arg(weight, op, "weight")
    ndim_arg(input, 3, op, "(N, C, L)")
    ndim_arg(weight, 3, op, "(in_channels, out_channels / groups, K)", name="weight")
    (s,), (p,), (op_,), (d,) = (ntuple_arg(v, 1, op, name, low) for v, name, low in
                                ((stride, "stride", 1), (padding, "padding", 0),
                                 (output_padding, "output_padding", 0), (dilation, "dilation", 1)))
    out = conv_transpose2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p), (0, op_), groups, (1, d))
    return out.squeeze(2)


# ------------------------------------------------------------------ conv3d (any number of axes)
def _taps(kernel: Sequence[int]) -> list[tuple[int, ...]]:
    """Every kernel position, in the order of the weight's flattened kernel axes."""
    return list(itertools.product(*(range(k) for k in kernel)))


def tap_view(padded: np.ndarray, tap: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
             out: Sequence[int]) -> tuple[slice, ...]:
    """The index of what one kernel tap reads at every output position: (N, C, *out)."""
    return (slice(None), slice(None)) + tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                                              for t, s, d, o in zip(tap, stride, dilation, out, strict=True))


class ConvNdFn(Function):
    """out[n, o, p] = b[o] + sum over c, k of w[o, c, k] * x_pad[n, c, p*s + k*d], for every
    output position p and kernel tap k (vectors over the spatial axes; c over o's group).

    dw[o, c, k] = sum over n, p of dy[n, o, p] * x_pad[n, c, p*s + k*d];
    dx_pad[n, c, p*s + k*d] += sum over o of w[o, c, k] * dy[n, o, p]; db[o] = sum of dy[:, o].
    """

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, ...],
                padding: PadsNd, dilation: tuple[int, ...], groups: int, out: tuple[int, ...]) -> np.ndarray:
        n, o, g = x.shape[0], w.shape[0], groups
        self.taps, self.stride, self.dilation, self.out, self.groups = _taps(w.shape[2:]), stride, dilation, out, g
        xp = np.pad(x, ((0, 0), (0, 0), *padding))
        self.padded_shape, self.padding = xp.shape, padding
        cols = np.stack([xp[tap_view(xp, t, stride, dilation, out)] for t in self.taps], axis=2)  # (N, C, K, *out)
        cols = cols.reshape(n, g, -1, int(np.prod(out)))                                         # (N, G, C/G*K, P)
        wm = w.reshape(g, o // g, -1)                                                            # (G, O/G, C/G*K)
        need_x, need_w, _ = self.needs_input_grad
        self.cols, self.wm, self.w_shape = (cols if need_w else None), (wm if need_x else None), w.shape
        y = (wm @ cols).reshape(n, o, *out)                                                      # (N, O, *out)
        if b is not None:
            y += b.reshape(-1, *(1,) * len(out))
        return y

    def backward(self, grad: np.ndarray) -> tuple:
        n, o, g = grad.shape[0], grad.shape[1], self.groups
        gy = grad.reshape(n, g, o // g, -1)                                                      # (N, G, O/G, P)
        need_x, need_w, need_b = self.needs_input_grad
        gw = (gy @ self.cols.swapaxes(-1, -2)).sum(axis=0).reshape(self.w_shape) if need_w else None
        gx = None
        if need_x:
            c = self.padded_shape[1]
            gcols = (self.wm.swapaxes(-1, -2) @ gy).reshape(n, c, len(self.taps), *self.out)  # (N, C, K, *out)
            gxp = np.zeros(self.padded_shape, dtype=grad.dtype)
            for k, t in enumerate(self.taps):                  # loop over kernel taps, not pixels
                gxp[tap_view(gxp, t, self.stride, self.dilation, self.out)] += gcols[:, :, k]
            gx = gxp[(slice(None), slice(None)) + tuple(slice(a, size - b) for (a, b), size
                                                        in zip(self.padding, self.padded_shape[2:], strict=True))]
        gb = grad.sum(axis=(0, *range(2, grad.ndim))) if need_b else None
        return gx, gw, gb


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W), for volumes and clips.

    weight is (O, C / groups, KD, KH, KW). `stride`, `dilation`: an int or three;
    `padding`: an int, three, ``"valid"``, ``"same"`` (any stride) or
    ``((front, back), (top, bottom), (left, right))``.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv3d(cn.ones(1, 2, 4, 6, 6), cn.ones(3, 2, 3, 3, 3), padding=1, stride=(1, 2, 2)).shape
    (1, 3, 4, 3, 3)
    """
    op = "conv3d"
    groups = _check_conv(input, weight, bias, groups, 3, op)
    stride, dilation = ntuple_arg(stride, 3, op, "stride", 1), ntuple_arg(dilation, 3, op, "dilation", 1)
    pads = pads_arg(padding, input.shape[2:], weight.shape[2:], stride, dilation, op)
    out = _out_sizes(input.shape[2:], weight.shape[2:], stride, pads, dilation, op)
    return ConvNdFn.apply(input, weight, bias, stride=stride, padding=pads, dilation=dilation, groups=groups,
                          out=out)


class ConvTransposeNdFn(Function):
    """The input gradient of a convolution, run forward: each input pixel stamps a copy of
    the kernel, scaled by its value, onto the output (overlaps add up); then the padding is
    cut off. That convolution (output channels to input channels, the same kernel) gives
    the backward pass: dx is its forward, dw its kernel gradient, db the sum of dy."""

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, ...],
                padding: PadsNd, dilation: tuple[int, ...], groups: int, out: tuple[int, ...]) -> np.ndarray:
        n, c, g = x.shape[0], x.shape[1], groups
        o = w.shape[1] * g
        self.taps, self.stride, self.dilation, self.groups, self.padding = _taps(w.shape[2:]), stride, dilation, g, \
            padding
        self.inner, self.w_shape = x.shape[2:], w.shape
        wm = w.reshape(g, c // g, -1)                                                  # (G, C/G, O/G*K)
        need_x, need_w, _ = self.needs_input_grad
        self.x, self.wm = (x.reshape(n, g, c // g, -1) if need_w else None), (wm if need_x else None)
        cols = (wm.swapaxes(-1, -2) @ x.reshape(n, g, c // g, -1))                     # (N, G, O/G*K, P_in)
        cols = cols.reshape(n, o, len(self.taps), *self.inner)
        padded = np.zeros((n, o, *(s + a + b_ for s, (a, b_) in zip(out, padding, strict=True))), dtype=x.dtype)
        for k, t in enumerate(self.taps):                        # loop over kernel taps, not pixels
            padded[tap_view(padded, t, stride, dilation, self.inner)] += cols[:, :, k]
        y = padded[(slice(None), slice(None)) + tuple(slice(a, a + s) for s, (a, _) in zip(out, padding, strict=True))]
        if b is not None:
            y = y + b.reshape(-1, *(1,) * len(out))
        return np.ascontiguousarray(y)

    def backward(self, grad: np.ndarray) -> tuple:
        n, g = grad.shape[0], self.groups
        gp = np.pad(grad, ((0, 0), (0, 0), *self.padding))
        cols = np.stack([gp[tap_view(gp, t, self.stride, self.dilation, self.inner)] for t in self.taps], axis=2)
        cols = cols.reshape(n, g, -1, int(np.prod(self.inner)))                         # (N, G, O/G*K, P_in)
        need_x, need_w, need_b = self.needs_input_grad
        gx = (self.wm @ cols).reshape(n, -1, *self.inner) if need_x else None            # (N, C, *in)
        gw = (self.x @ cols.swapaxes(-1, -2)).sum(axis=0).reshape(self.w_shape) if need_w else None
        gb = grad.sum(axis=(0, *range(2, grad.ndim))) if need_b else None
        return gx, gw, gb


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution over (N, C_in, D, H, W); weight is (C_in, C_out / groups,
    KD, KH, KW). Output size per axis: (D - 1) * stride - 2 * padding + dilation * (KD - 1)
    + output_padding + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv_transpose3d(cn.ones(1, 2, 2, 3, 3), cn.ones(2, 4, 3, 3, 3), stride=2, padding=1).shape
    (1, 4, 3, 5, 5)
    """
    op = "conv_transpose3d"
    operands(input, weight, bias, op)
    ndim_arg(input, 5, op, "(N, C, D, H, W)")
    ndim_arg(weight, 5, op, "(in_channels, out_channels / groups, KD, KH, KW)", name="weight")
    groups = int_arg(groups, op, "groups", 1)
    stride, dilation = ntuple_arg(stride, 3, op, "stride", 1), ntuple_arg(dilation, 3, op, "dilation", 1)
    padding, extra = ntuple_arg(padding, 3, op, "padding", 0), ntuple_arg(output_padding, 3, op, "output_padding", 0)
    c, (ci, og) = input.shape[1], weight.shape[:2]
    if ci != c or c % groups:
        raise ShapeError(f"{op}: input has {c} channels; the weight {tuple(weight.shape)} expects {ci} "
                         f"(weight.shape[0]), which groups={groups} must divide")
    if bias is not None and bias.shape != (og * groups,):
        raise ShapeError(f"{op}: bias must have shape ({og * groups},), got {tuple(bias.shape)}")
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation, strict=True)):
        raise ConvnetValueError(
            f"{op}: output_padding {extra} must be smaller than the stride {stride} or the dilation "
            f"{dilation} along each axis"
        )
    out = tuple(arith.transposed_output_size(size, k, s, p, e, d) for size, k, s, p, e, d
                in zip(input.shape[2:], weight.shape[2:], stride, padding, extra, dilation, strict=True))
    if min(out) < 1:
        raise ConvnetValueError(f"{op}: padding {padding} is too large: the output would be {out}")
    pads = tuple((p, p) for p in padding)
    return ConvTransposeNdFn.apply(input, weight, bias, stride=stride, padding=pads, dilation=dilation,
                                   groups=groups, out=out)
