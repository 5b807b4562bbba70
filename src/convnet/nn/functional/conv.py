"""Convolution and transposed convolution, forward and backward side by side.

A convolution slides each kernel over the (padded) input and, at every position, sums the
element-wise products of the kernel with the patch under it, plus a bias. Along each axis

    out = (W - K + 2P) // S + 1        (with dilation d, K becomes d(K - 1) + 1)

Backward:

* the input gradient sends each position's gradient back through the kernel to the pixels
  of its patch, adding where patches overlap;
* the kernel gradient is summed over every position the kernel visited (weight sharing);
* the bias gradient is the output gradient summed over batch and positions.

The arithmetic runs in the kernel layer (`convnet.kernels`: im2col and col2im in
`reference.py`, the compiled kernels behind `native.py`); this file says what is computed.
A transposed convolution is the input gradient of a convolution run forward, so it reuses
the same three primitives with their roles swapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import arith, kernels
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError, ShapeError
from ...kernels import ConvGeometry, Pad2d
from ._checks import int_arg, ndim_arg, operands, pair_arg


# ------------------------------------------------------------------ conv2d
class Conv2dFn(Function):
    """out[n, o, y, x] = b[o] + sum over c, i, j of w[o, c, i, j] * x_pad[n, c, y*s + i*d, x*s + j*d]
    (c over the kernel's group of channels), optionally followed by ReLU.

    dx: each output's gradient flows back through w to every pixel its window covered;
    dw[o, c, i, j] = sum over n, y, x of dy[n, o, y, x] * x_pad[n, c, y*s + i*d, x*s + j*d];
    db[o] = sum of dy[:, o]. With the ReLU fused, dy is first masked where the output is 0.
    """

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, geometry: ConvGeometry,
                relu: bool = False) -> np.ndarray:
        need_x, need_w, _ = self.needs_input_grad
        self.kernels, self.geometry = kernels.active(), geometry
        self.x, self.w = (x if need_w else None), (w if need_x else None)
        out = self.kernels.conv2d(x, w, b, geometry, relu)
        self.out = out if relu and any(self.needs_input_grad) else None
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        k, g = self.kernels, self.geometry
        if self.out is not None:
            grad = k.relu_backward(grad, self.out)
        need_x, need_w, need_b = self.needs_input_grad
        return (k.conv2d_input_grad(grad, self.w, g) if need_x else None,
                k.conv2d_weight_grad(grad, self.x, g) if need_w else None,
                k.channel_sum(grad) if need_b else None)


def _padding_arg(padding: Any, x_hw: tuple[int, int], kernel: tuple[int, int],
                 stride: tuple[int, int], dilation: tuple[int, int], op: str) -> Pad2d:
    """Padding as ((top, bottom), (left, right)) from an int, a pair, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return (arith.same_padding(x_hw[0], kernel[0], stride[0], dilation[0]),
                    arith.same_padding(x_hw[1], kernel[1], stride[1], dilation[1]))
        raise ConvnetValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if (isinstance(padding, Sequence) and len(padding) == 2
            and all(isinstance(p, Sequence) for p in padding)):
        (t, b), (l, r) = padding  # convnet's extension: explicit ((top, bottom), (left, right))
        return ((int_arg(t, op, "padding", 0), int_arg(b, op, "padding", 0)),
                (int_arg(l, op, "padding", 0), int_arg(r, op, "padding", 0)))
    ph, pw = pair_arg(padding, op, "padding", 0)
    return (ph, ph), (pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library) over NCHW input.

    Args:
        input: (N, C, H, W).
        weight: (O, C / groups, KH, KW): O kernels, each as deep as its group's channels.
        bias: optional (O,), added to every position of output channel o.
        stride, dilation: an int or a pair (h, w).
        padding: an int, a pair, ``((top, bottom), (left, right))``, ``"valid"`` (none) or
            ``"same"``: output size ceil(input / stride), the odd extra pixel at the end
            (ONNX SAME_UPPER). Unlike PyTorch, "same" works with any stride and even kernels.
        groups: split channels into this many independent convolutions
            (``groups == C`` is a depthwise convolution).

    Returns:
        (N, O, OH, OW) with OH = floor((H + pad_top + pad_bottom - dh*(KH - 1) - 1) / sh) + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> x = cn.ones(1, 1, 5, 5)
    >>> F.conv2d(x, cn.ones(1, 1, 3, 3), padding=1, stride=2).shape
    (1, 1, 3, 3)
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, False, "conv2d")


def conv2d_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """``relu(conv2d(...))`` in one pass: the same values and gradients, without writing
    and reading back the convolution's output in between (and without keeping it). This is
    what `nn.Sequential` runs for a Conv2d followed by a ReLU when neither has hooks.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> x, w = cn.randn(1, 2, 6, 6), cn.randn(3, 2, 3, 3)
    >>> bool((F.conv2d_relu(x, w) == F.relu(F.conv2d(x, w))).all())
    True
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, True, "conv2d_relu")


def _conv2d(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
            groups: int, relu: bool, op: str) -> Tensor:
    operands(input, weight, bias, op)
    ndim_arg(input, 4, op, "(N, C, H, W)")
    ndim_arg(weight, 4, op, "(out_channels, in_channels / groups, KH, KW)", name="weight")
    groups = int_arg(groups, op, "groups", 1)
    stride = pair_arg(stride, op, "stride", 1)
    dilation = pair_arg(dilation, op, "dilation", 1)
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if c % groups:
        raise ConvnetValueError(f"{op}: input channels {c} are not divisible by groups={groups}")
    if o % groups:
        raise ShapeError(f"{op}: output channels {o} (weight.shape[0]) are not divisible by "
                         f"groups={groups}")
    if cg * groups != c:
        raise ShapeError(
            f"{op}: input has {c} channels but the weight {tuple(weight.shape)} with "
            f"groups={groups} expects {cg * groups} (weight.shape[1] * groups)"
        )
    if bias is not None and bias.shape != (o,):
        raise ShapeError(f"{op}: bias must have shape ({o},) for {o} output channels, "
                         f"got {tuple(bias.shape)}")
    pad = _padding_arg(padding, (h, w), (kh, kw), stride, dilation, op)
    out_hw = (arith.conv_output_size(h, kh, stride[0], pad[0], dilation[0], op=op + " (height)"),
              arith.conv_output_size(w, kw, stride[1], pad[1], dilation[1], op=op + " (width)"))
    geometry = ConvGeometry(n, c, (h, w), o, (kh, kw), stride, pad, dilation, groups, out_hw)
    return Conv2dFn.apply(input, weight, bias, geometry=geometry, relu=relu)


# ------------------------------------------------------------------ conv_transpose2d
class ConvTranspose2dFn(Function):
    """The input gradient of a convolution, run forward: each input pixel stamps a copy of
    the kernel, scaled by its value, onto the output (overlaps add up).

    `geometry` describes that convolution, whose input is this output: (N, C_out, OH, OW)
    padded by `padding`, kernel (C_in, C_out/G, KH, KW), output (N, C_in, H, W). So
    forward is its input gradient, dx its forward pass and dw its kernel gradient.
    """

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, geometry: ConvGeometry) -> np.ndarray:
        need_x, need_w, _ = self.needs_input_grad
        self.kernels, self.geometry = kernels.active(), geometry
        self.x, self.w = (x if need_w else None), (w if need_x else None)
        out = self.kernels.conv2d_input_grad(x, w, geometry)
        if b is not None:
            out += b.reshape(-1, 1, 1)
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        k, g = self.kernels, self.geometry
        need_x, need_w, need_b = self.needs_input_grad
        return (k.conv2d(grad, self.w, None, g) if need_x else None,
                k.conv2d_weight_grad(self.x, grad, g) if need_w else None,
                k.channel_sum(grad) if need_b else None)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed convolution ("deconvolution"): the spatial inverse of conv2d's shape map.

    weight is (C_in, C_out / groups, KH, KW). Output size along each axis:
    (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.conv_transpose2d(cn.ones(1, 1, 3, 3), cn.ones(1, 1, 3, 3), stride=2, padding=1).shape
    (1, 1, 5, 5)
    """
    op = "conv_transpose2d"
    operands(input, weight, bias, op)
    ndim_arg(input, 4, op, "(N, C, H, W)")
    ndim_arg(weight, 4, op, "(in_channels, out_channels / groups, KH, KW)", name="weight")
    groups = int_arg(groups, op, "groups", 1)
    stride = pair_arg(stride, op, "stride", 1)
    dilation = pair_arg(dilation, op, "dilation", 1)
    padding = pair_arg(padding, op, "padding", 0)
    output_padding = pair_arg(output_padding, op, "output_padding", 0)
    n, c, h, w = input.shape
    ci, og, kh, kw = weight.shape
    if ci != c:
        raise ShapeError(f"{op}: input has {c} channels but the weight {tuple(weight.shape)} "
                         f"expects {ci} (weight.shape[0])")
    if c % groups:
        raise ConvnetValueError(f"{op}: input channels {c} are not divisible by groups={groups}")
    if bias is not None and bias.shape != (og * groups,):
        raise ShapeError(f"{op}: bias must have shape ({og * groups},), got {tuple(bias.shape)}")
    for axis, (op_, s, d) in enumerate(zip(output_padding, stride, dilation, strict=True)):
        if op_ >= max(s, d):
            raise ConvnetValueError(
                f"{op}: output_padding {op_} along {'hw'[axis]} must be smaller than the stride "
                f"({s}) or the dilation ({d})"
            )
    out_hw = tuple(arith.transposed_output_size(size, k, s, p, op_, d) for size, k, s, p, op_, d
                   in zip((h, w), (kh, kw), stride, padding, output_padding, dilation, strict=True))
    if min(out_hw) < 1:
        raise ConvnetValueError(f"{op}: padding {padding} is too large: the output would be {out_hw}")
    (ph, pw) = padding
    geometry = ConvGeometry(n, og * groups, out_hw, c, (kh, kw), stride, ((ph, ph), (pw, pw)), dilation,
                            groups, (h, w))
    return ConvTranspose2dFn.apply(input, weight, bias, geometry=geometry)
