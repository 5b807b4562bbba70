"""The one table between convnet's operations and ONNX operators, both ways.

Each `Rule` names an ONNX operator, the convnet operations (`Function` classes) exported
as it, how to write them (``export``) and how to build a convnet layer back from a node of
that type (``load``, with the attributes it understands and their defaults). Adding an
operator means adding a row at the bottom, with its two functions just above it.

Export functions get an emitter ``e`` (see `convnet.onnx.export`) and one recorded `Call`;
they add nodes with ``e.node(op, inputs, **attributes)`` and return the name of the value
that holds the call's output. Load functions get a `NodeInfo` (see `convnet.onnx.load`) and
return ``(module, positions)``: a convnet Module and which of the node's inputs it takes at
run time (the others, weights for instance, were read into the module), or an array for a
node whose value is known when loading (Constant).

Either side raises `Unsupported` with a sentence saying what cannot be converted and why;
the caller collects every such problem before reporting them together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _ops, arith, nn
from .._tensor import Tensor
from ..autograd.function import Function
from ..nn import functional as F
from ..nn.functional.activation import ELUFn, GELUFn, LeakyReLUFn, erf
from ..nn.functional.conv import Conv2dFn, ConvTranspose2dFn
from ..nn.functional.linear import LinearFn
from ..nn.functional.normalization import BatchNormFn, LocalResponseNormFn
from ..nn.functional.padding import PadFn
from ..nn.functional.pooling import AdaptiveAvgPool2dFn, AdaptiveMaxPool2dFn, AvgPool2dFn, MaxPool2dFn
from .trace import Call

INT64_MIN = -(2**63)
UNKNOWN_BATCH = -1          # a batch axis that an operation moved or merged: shapes depend on it


class Unsupported(Exception):
    """This operation or node cannot be converted; the message says which part and why."""


# ---------------------------------------------------------------- imported layers
class OnnxOp(nn.Module):
    """One ONNX node with no learnable state, run with convnet's tensor operations.

    >>> import convnet as cn
    >>> OnnxOp("Add", lambda a, b: a + b)(cn.ones(2), cn.ones(2)).tolist()
    [2.0, 2.0]
    """

    def __init__(self, op_type: str, fn: Callable[..., Any], **attributes: Any) -> None:
        super().__init__()
        self.op_type, self.fn, self.attributes = op_type, fn, attributes

    def forward(self, *inputs: Any) -> Any:
        return self.fn(*inputs)

    def _get_name(self) -> str:
        return self.op_type

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.attributes.items())


def resolve_pads(auto_pad: str, pads: Sequence[int] | None, hw: Sequence[int], kernel: Sequence[int],
                 stride: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """ONNX's ``auto_pad`` / ``pads`` as ((top, bottom), (left, right)) for an input of size `hw`.

    SAME_UPPER puts the odd extra pixel at the end (convnet's "same"), SAME_LOWER at the start.

    >>> resolve_pads("SAME_LOWER", None, (5, 5), (2, 2), (1, 1), (1, 1))
    ((1, 0), (1, 0))
    """
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        both = [arith.same_padding(n, k, s, d) for n, k, s, d in zip(hw, kernel, stride, dilation, strict=True)]
        if auto_pad == "SAME_LOWER":
            both = [(after, before) for before, after in both]
        return both[0], both[1]
    if auto_pad == "VALID" or pads is None:
        return (0, 0), (0, 0)
    return (pads[0], pads[2]), (pads[1], pads[3])


class PaddedConv2d(nn.Conv2d):
    """Conv2d with ONNX padding that `nn.Conv2d` has no argument for: SAME_LOWER, or explicit
    pads that differ between the two sides of an axis. The padding is resolved for each input."""

    def __init__(self, *args: Any, auto_pad: str = "NOTSET", pads: Sequence[int] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auto_pad, self.pads = auto_pad, None if pads is None else list(pads)

    def forward(self, input: Tensor) -> Tensor:
        pad = resolve_pads(self.auto_pad, self.pads, input.shape[2:], self.kernel_size, self.stride,
                           self.dilation)
        return F.conv2d(input, self.weight, self.bias, self.stride, pad, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", auto_pad={self.auto_pad}" if self.auto_pad != "NOTSET"
                                       else f", pads={self.pads}")


class PaddedPool2d(nn.Module):
    """Max or average pooling with ONNX padding the pooling layers have no argument for
    (SAME_*, or unequal sides): pad first, then pool without padding. For an average that
    leaves the padding out, the window sums are divided by how many real pixels each held."""

    def __init__(self, kind: str, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
                 auto_pad: str, pads: Sequence[int] | None, count_include_pad: bool) -> None:
        super().__init__()
        self.kind, self.kernel, self.stride, self.dilation = kind, tuple(kernel), tuple(stride), tuple(dilation)
        self.auto_pad, self.pads, self.count_include_pad = auto_pad, pads, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        (t, b), (l, r) = resolve_pads(self.auto_pad, self.pads, input.shape[2:], self.kernel, self.stride,
                                      self.dilation)
        if self.kind == "max":
            return F.max_pool2d(F.pad(input, (l, r, t, b), value=-math.inf), self.kernel, self.stride,
                                dilation=self.dilation)
        total = F.avg_pool2d(F.pad(input, (l, r, t, b)), self.kernel, self.stride)
        if self.count_include_pad:
            return total
        ones = Tensor(np.ones((1, 1, *input.shape[2:]), dtype=input.dtype))
        return total / F.avg_pool2d(F.pad(ones, (l, r, t, b)), self.kernel, self.stride)

    def _get_name(self) -> str:
        return "MaxPool2d" if self.kind == "max" else "AvgPool2d"

    def extra_repr(self) -> str:
        pad = f"auto_pad={self.auto_pad}" if self.auto_pad != "NOTSET" else f"pads={self.pads}"
        return f"kernel_size={self.kernel}, stride={self.stride}, {pad}"


class ErfFn(Function):
    """The error function; d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return erf(x).astype(x.dtype, copy=False)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-self.x * self.x)).astype(g.dtype, copy=False)


# ---------------------------------------------------------------- helpers
def _ints(t: Any) -> list[int]:
    """The integer values of a (shape-like) input, given as a Tensor or an array."""
    return [int(v) for v in np.asarray(t.data if isinstance(t, Tensor) else t).reshape(-1)]


def _pool_ceil(size: Sequence[int], out: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
               pad: Sequence[int], dilation: Sequence[int], what: str) -> int:
    """Which ceil_mode gives `out` from `size` with symmetric padding `pad` (0 or 1)."""
    for ceil in (False, True):
        try:
            got = [arith.conv_output_size(n, k, s, p, d, ceil) for n, k, s, p, d
                   in zip(size, kernel, stride, pad, dilation, strict=True)]
        except ValueError:
            continue
        if got == list(out):
            return int(ceil)
    raise Unsupported(f"{what}: output size {tuple(out)} matches no ceil_mode for input {tuple(size)}")


def _symmetric(pads: Sequence[int] | None) -> tuple[int, int] | None:
    """(h, w) padding when ONNX pads [t, l, b, r] are equal on both sides of each axis."""
    if pads is None:
        return 0, 0
    if len(pads) != 4:
        raise Unsupported(f"pads {list(pads)} are not 2-D ([top, left, bottom, right])")
    t, l, b, r = pads
    return (t, l) if (t, l) == (b, r) else None


def _check_2d(node: NodeInfo, kernel: Sequence[int] | None) -> None:
    if kernel is not None and len(kernel) != 2:
        raise Unsupported(f"only 2-D {node.op} is supported; kernel_shape {list(kernel)} has "
                          f"{len(kernel)} dimensions")


def _need_const(node: NodeInfo, i: int, what: str) -> np.ndarray:
    value = node.const(i)
    if value is None:
        raise Unsupported(f"its {what} (input {i}, {node.inputs[i]!r}) is computed in the graph; "
                          "only constant (initializer) values are supported here")
    return value


def _no_extra_outputs(node: NodeInfo, what: str) -> None:
    if any(node.uses_output(i) for i in range(1, len(node.outputs))):
        raise Unsupported(f"its second output ({what}) is used; only the first is supported")


def _reduce_axes(node: NodeInfo, inputs: Sequence[Any]) -> tuple[int, ...] | None:
    """The axes of a Reduce* node: an input from opset 18 (13 for ReduceSum), else an attribute."""
    if len(inputs) > 1 and inputs[1] is not None:
        axes = _ints(inputs[1])
    else:
        axes = node.attrs["axes"]
    if not axes:
        return () if node.attrs["noop_with_empty_axes"] else None
    return tuple(axes)


# ---------------------------------------------------------------- Conv
def export_conv(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    g = call.options["geometry"]
    (t, bottom), (l, r) = g.padding
    inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
    out = e.node("Conv", inputs, kernel_shape=list(w.shape[2:]), strides=list(g.stride),
                 pads=[t, l, bottom, r], dilations=list(g.dilation), group=g.groups)
    return e.node("Relu", [out]) if call.options.get("relu") else out


def load_conv(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    w = _need_const(node, 1, "weight")
    if w.ndim != 4:
        raise Unsupported(f"only 2-D convolutions are supported; the weight has shape {w.shape}")
    b = _need_const(node, 2, "bias") if node.has_input(2) else None
    o, cg, kh, kw = w.shape
    stride, dilation = a["strides"] or [1, 1], a["dilations"] or [1, 1]
    pads, auto = a["pads"], a["auto_pad"]
    same = _symmetric(pads)
    common = dict(stride=tuple(stride), dilation=tuple(dilation), groups=a["group"], bias=b is not None,
                  dtype=w.dtype)
    with nn.init.skip_init():
        if auto in ("SAME_UPPER", "VALID") or (auto == "NOTSET" and same is not None):
            padding = {"SAME_UPPER": "same", "VALID": 0}.get(auto, same)
            conv: nn.Conv2d = nn.Conv2d(cg * a["group"], o, (kh, kw), padding=padding, **common)
        else:
            conv = PaddedConv2d(cg * a["group"], o, (kh, kw), auto_pad=auto, pads=pads, **common)
    conv.weight.data[...] = w
    if b is not None:
        conv.bias.data[...] = b
    return conv, [0]


# ---------------------------------------------------------------- ConvTranspose
def export_conv_transpose(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    g = call.options["geometry"]               # of the convolution it is the input gradient of
    (ph, _), (pw, _) = g.padding
    (kh, kw), (sh, sw), (dh, dw) = g.kernel, g.stride, g.dilation
    # the output size is (H - 1) * s - 2p + d(k - 1) + 1 + output_padding
    oph = g.in_size[0] - ((x.shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + 1)
    opw = g.in_size[1] - ((x.shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + 1)
    inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
    return e.node("ConvTranspose", inputs, kernel_shape=list(w.shape[2:]), strides=list(g.stride),
                  pads=[ph, pw, ph, pw], output_padding=[oph, opw], dilations=list(g.dilation),
                  group=g.groups)


def load_conv_transpose(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    w = _need_const(node, 1, "weight")
    if w.ndim != 4:
        raise Unsupported(f"only 2-D transposed convolutions are supported; the weight has shape {w.shape}")
    if a["auto_pad"] != "NOTSET" or a["output_shape"] is not None:
        raise Unsupported("auto_pad and output_shape are not supported; give pads and output_padding")
    same = _symmetric(a["pads"])
    if same is None:
        raise Unsupported(f"pads {a['pads']} differ between the sides of an axis")
    b = _need_const(node, 2, "bias") if node.has_input(2) else None
    c, og, kh, kw = w.shape
    with nn.init.skip_init():
        layer = nn.ConvTranspose2d(c, og * a["group"], (kh, kw), tuple(a["strides"] or [1, 1]), same,
                                   tuple(a["output_padding"] or [0, 0]), a["group"], b is not None,
                                   tuple(a["dilations"] or [1, 1]), dtype=w.dtype)
    layer.weight.data[...] = w
    if b is not None:
        layer.bias.data[...] = b
    return layer, [0]


# ---------------------------------------------------------------- MaxPool, AveragePool
def export_max_pool(e: Any, call: Call) -> str:
    o, g = call.options, call.options["geometry"]
    if o["return_indices"]:
        raise Unsupported("max_pool2d with return_indices=True (the indices output)")
    x = call.inputs[0]
    begin = [g.padding[0][0], g.padding[1][0]]
    ceil = _pool_ceil(x.shape[2:], g.out_size, g.kernel, g.stride, begin, g.dilation, "max_pool2d")
    return e.node("MaxPool", [e.name(x)], kernel_shape=list(g.kernel), strides=list(g.stride),
                  pads=begin * 2, dilations=list(g.dilation), ceil_mode=ceil)


def export_avg_pool(e: Any, call: Call) -> str:
    o = call.options
    if o["divisor_override"]:
        raise Unsupported(f"avg_pool2d with divisor_override={o['divisor_override']} (ONNX's "
                          "AveragePool divides by the window size)")
    x, g = call.inputs[0], o["geometry"]
    begin = [g.padding[0][0], g.padding[1][0]]
    ceil = _pool_ceil(x.shape[2:], g.out_size, g.kernel, g.stride, begin, (1, 1), "avg_pool2d")
    # written explicitly: ONNX's default is 0, PyTorch's and convnet's is True
    return e.node("AveragePool", [e.name(x)], kernel_shape=list(g.kernel), strides=list(g.stride),
                  pads=begin * 2, ceil_mode=ceil, count_include_pad=int(o["count_include_pad"]))


def _load_pool(node: NodeInfo, kind: str) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    kernel = a["kernel_shape"]
    _check_2d(node, kernel)
    stride, dilation = a["strides"] or [1, 1], a.get("dilations") or [1, 1]
    if kind == "avg" and dilation != [1, 1]:
        raise Unsupported(f"dilations {dilation} (average pooling with holes) are not supported")
    pads, auto, ceil = a["pads"], a["auto_pad"], bool(a["ceil_mode"])
    same = _symmetric(pads) if auto == "NOTSET" else (0, 0) if auto == "VALID" else None
    if same is not None and all(p <= k // 2 for p, k in zip(same, kernel, strict=True)):
        if kind == "max":
            return nn.MaxPool2d(tuple(kernel), tuple(stride), same, tuple(dilation), ceil_mode=ceil), [0]
        return nn.AvgPool2d(tuple(kernel), tuple(stride), same, ceil, bool(a["count_include_pad"])), [0]
    if ceil:
        raise Unsupported(f"ceil_mode=1 together with pads {pads} / auto_pad {auto} that differ between "
                          "the sides of an axis or exceed half the kernel")
    return PaddedPool2d(kind, kernel, stride, dilation, auto, pads, bool(a.get("count_include_pad"))), [0]


def load_max_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    _no_extra_outputs(node, "the indices of the maxima")
    return _load_pool(node, "max")


def load_avg_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return _load_pool(node, "avg")


# ---------------------------------------------------------------- adaptive pooling
def _averaging_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size): row i averages adaptive window i (see `convnet.arith.adaptive_windows`)."""
    m = np.zeros((out, size), dtype=dtype)
    for i, (start, end) in enumerate(arith.adaptive_windows(size, out)):
        m[i, start:end] = 1.0 / (end - start)
    return m


def export_adaptive_avg_pool(e: Any, call: Call) -> str:
    x = call.inputs[0]
    (h, w), (oh, ow) = x.shape[2:], call.options["out_hw"]
    if (oh, ow) == (1, 1):
        return e.node("GlobalAveragePool", [e.name(x)])
    if h % oh == 0 and w % ow == 0:
        k = [h // oh, w // ow]
        return e.node("AveragePool", [e.name(x)], kernel_shape=k, strides=k, pads=[0, 0, 0, 0],
                      count_include_pad=0)
    # windows of unequal sizes: out = A_h @ x @ A_w^T, two matrix products with constants
    rows = e.node("MatMul", [e.name(x), e.const(_averaging_matrix(w, ow, x.dtype).T, "adaptive_w")])
    return e.node("MatMul", [e.const(_averaging_matrix(h, oh, x.dtype), "adaptive_h"), rows])


def export_adaptive_max_pool(e: Any, call: Call) -> str:
    x = call.inputs[0]
    (h, w), (oh, ow) = x.shape[2:], call.options["out_hw"]
    if call.options["return_indices"]:
        raise Unsupported("adaptive_max_pool2d with return_indices=True (the indices output)")
    if (oh, ow) == (1, 1):
        return e.node("GlobalMaxPool", [e.name(x)])
    if h % oh or w % ow:
        raise Unsupported(f"adaptive_max_pool2d from {h}x{w} to {oh}x{ow}: the windows differ in size, "
                          "which ONNX's MaxPool cannot express; export with an input size divisible "
                          "by the output size")
    k = [h // oh, w // ow]
    return e.node("MaxPool", [e.name(x)], kernel_shape=k, strides=k, pads=[0, 0, 0, 0])


def load_global_avg_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return nn.AdaptiveAvgPool2d(1), [0]


def load_global_max_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return nn.AdaptiveMaxPool2d(1), [0]


# ---------------------------------------------------------------- Gemm (Linear), MatMul
def export_linear(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    if x.ndim == 2:
        return e.node("Gemm", [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else []), transB=1)
    out = e.node("MatMul", [e.name(x), e.node("Transpose", [e.name(w)], perm=[1, 0])])
    return out if b is None else e.node("Add", [out, e.name(b)])


def load_gemm(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    alpha, beta, trans_a, trans_b = a["alpha"], a["beta"], a["transA"], a["transB"]
    w, c = node.const(1), node.const(2) if node.has_input(2) else None
    out = None if w is None or w.ndim != 2 else w.shape[0 if trans_b else 1]
    bias_ok = not node.has_input(2) or (c is not None and (c.size == 1 or c.shape in ((out,), (1, out))))
    if out is not None and not trans_a and bias_ok:
        weight = alpha * (w if trans_b else w.T)                    # Linear keeps (out, in)
        with nn.init.skip_init():
            layer = nn.Linear(weight.shape[1], weight.shape[0], bias=c is not None, dtype=w.dtype)
        layer.weight.data[...] = weight
        if c is not None:
            layer.bias.data[...] = beta * np.broadcast_to(c.reshape(-1), (weight.shape[0],))
        return layer, [0]

    def gemm(x: Tensor, y: Tensor, z: Tensor | None = None) -> Tensor:
        out = (x.t() if trans_a else x) @ (y.t() if trans_b else y)
        out = out * alpha if alpha != 1.0 else out
        return out if z is None else out + (z * beta if beta != 1.0 else z)

    return OnnxOp("Gemm", gemm, alpha=alpha, beta=beta, transA=trans_a, transB=trans_b), [0, 1, 2]


# ---------------------------------------------------------------- BatchNormalization
def export_batch_norm(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    o = call.options
    if o["training"]:
        raise Unsupported("batch_norm with batch statistics (training=True); export uses running statistics, "
                          "so call F.batch_norm with training=self.training")
    c = x.shape[1]
    scale = e.name(w) if w is not None else e.const(np.ones(c, x.dtype), "bn_scale")
    shift = e.name(b) if b is not None else e.const(np.zeros(c, x.dtype), "bn_bias")
    return e.node("BatchNormalization", [e.name(x), scale, shift, e.name(o["running_mean"]),
                                         e.name(o["running_var"])], epsilon=float(o["eps"]))


def load_batch_norm(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    if a["training_mode"]:
        raise Unsupported("training_mode=1 (batch statistics); only inference form is supported")
    if a["spatial"] != 1:
        raise Unsupported("spatial=0 (statistics per position) is not supported")
    _no_extra_outputs(node, "updated running statistics")
    scale, bias, mean, var = (_need_const(node, i, what) for i, what in
                              ((1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")))
    rank = node.rank(0)
    kind = nn.BatchNorm1d if rank in (2, 3) else nn.BatchNorm2d
    layer = kind(scale.shape[0], eps=a["epsilon"], momentum=1 - a["momentum"], dtype=scale.dtype)
    for target, value in ((layer.weight, scale), (layer.bias, bias), (layer.running_mean, mean),
                          (layer.running_var, var)):
        target.data[...] = value
    return layer.eval(), [0]


# ---------------------------------------------------------------- LRN
def export_lrn(e: Any, call: Call) -> str:
    o = call.options
    if o["size"] % 2 == 0:
        raise Unsupported(f"local_response_norm with an even size ({o['size']}): ONNX's LRN centres even "
                          "windows one channel later than PyTorch and convnet")
    return e.node("LRN", [e.name(call.inputs[0])], size=o["size"], alpha=float(o["alpha"]),
                  beta=float(o["beta"]), bias=float(o["k"]))


def load_lrn(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    if a["size"] is None or a["size"] % 2 == 0:
        raise Unsupported(f"size={a['size']}: only odd window sizes are supported (even ones are "
                          "centred differently in ONNX and PyTorch)")
    return nn.LocalResponseNorm(a["size"], a["alpha"], a["beta"], a["bias"]), [0]


# ---------------------------------------------------------------- Pad
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def export_pad(e: Any, call: Call) -> str:
    x = call.inputs[0]
    o = call.options
    widths, mode = o["widths"], o["mode"]
    batch = e.batch_axis(x)
    if batch is not None and batch >= 0 and widths[batch] != (0, 0):
        raise Unsupported(f"pad changes the batch dimension (axis {batch}) by {widths[batch]}")
    if mode == "circular" and e.opset < 19:
        return _export_circular(e, x, widths)
    pads = e.ints([b for b, _ in widths] + [a for _, a in widths], "pads")
    inputs = [e.name(x), pads] + ([e.const(np.asarray(o["value"], x.dtype), "pad_value")] if o["value"] else [])
    return e.node("Pad", inputs, mode=_PAD_MODES[mode])


def _export_circular(e: Any, x: Any, widths: list[tuple[int, int]]) -> str:
    """Wrap-around padding before opset 19 (no 'wrap' mode): concatenate slices of each end."""
    out = e.name(x)
    for axis, (before, after) in enumerate(widths):
        if not (before or after):
            continue
        parts = []
        if before:
            parts.append(e.node("Slice", [out, e.ints([-before], "starts"), e.ints([2**62], "ends"),
                                          e.ints([axis], "axes")]))
        parts.append(out)
        if after:
            parts.append(e.node("Slice", [out, e.ints([0], "starts"), e.ints([after], "ends"),
                                          e.ints([axis], "axes")]))
        out = e.node("Concat", parts, axis=axis)
    return out


def load_pad(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    modes = {v: k for k, v in _PAD_MODES.items()}
    if a["mode"] not in modes:
        raise Unsupported(f"mode {a['mode']!r}; supported: {', '.join(modes)}")
    mode, legacy = modes[a["mode"]], a["pads"]

    def pad(x: Tensor, pads: Tensor | None = None, value: Tensor | None = None, axes: Tensor | None = None
            ) -> Tensor:
        amounts = legacy if pads is None else _ints(pads)
        rank = x.ndim
        chosen = list(range(rank)) if axes is None else [i % rank for i in _ints(axes)]
        k = len(chosen)
        widths = {axis: (amounts[i], amounts[i + k]) for i, axis in enumerate(chosen)}
        flat: list[int] = []
        for axis in range(rank - 1, -1, -1):     # F.pad lists the last dimension first
            flat += widths.get(axis, (0, 0))
        fill = a["value"] if value is None else float(value.data.reshape(-1)[0]) if value.data.size else 0.0
        return F.pad(x, flat, mode=mode, value=fill if mode == "constant" else None)

    return OnnxOp("Pad", pad, mode=a["mode"]), [0, 1, 2, 3]


# ---------------------------------------------------------------- activations
def _export_unary(op: str) -> Callable[[Any, Call], str]:
    def export(e: Any, call: Call) -> str:
        return e.node(op, [e.name(call.inputs[0])])

    return export


def _load_layer(make: Callable[[dict[str, Any]], nn.Module]) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        return make(node.attrs), [0]

    return load


def export_leaky_relu(e: Any, call: Call) -> str:
    return e.node("LeakyRelu", [e.name(call.inputs[0])], alpha=float(call.options["slope"]))


def export_elu(e: Any, call: Call) -> str:
    return e.node("Elu", [e.name(call.inputs[0])], alpha=float(call.options["alpha"]))


def export_gelu(e: Any, call: Call) -> str:
    """Gelu from opset 20; before, its formula: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form."""
    x, approximate = e.name(call.inputs[0]), call.options["approximate"]
    dt = call.inputs[0].dtype
    if e.opset >= 20:
        return e.node("Gelu", [x], approximate=approximate)

    def c(v: float) -> str:
        return e.const(np.asarray(v, dt), "gelu")

    if approximate == "tanh":                 # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = e.node("Mul", [e.node("Pow", [x, c(3.0)]), c(0.044715)])
        inner = e.node("Mul", [e.node("Add", [x, cube]), c(math.sqrt(2 / math.pi))])
        phi = e.node("Add", [e.node("Tanh", [inner]), c(1.0)])
    else:
        phi = e.node("Add", [e.node("Erf", [e.node("Div", [x, c(math.sqrt(2.0))])]), c(1.0)])
    return e.node("Mul", [e.node("Mul", [x, phi]), c(0.5)])


def load_gelu(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    if node.attrs["approximate"] not in ("none", "tanh"):
        raise Unsupported(f"approximate={node.attrs['approximate']!r}")
    return nn.GELU(node.attrs["approximate"]), [0]


def load_erf(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return OnnxOp("Erf", ErfFn.apply), [0]


def _export_softmax(op: str) -> Callable[[Any, Call], str]:
    def export(e: Any, call: Call) -> str:
        if e.opset < 13:
            raise Unsupported(f"{op} before opset 13 normalises over all axes from `axis` on; use opset >= 13")
        return e.node(op, [e.name(call.inputs[0])], axis=call.options["dim"])

    return export


def _load_softmax(layer: type[nn.Module], fn: Callable[..., Tensor]) -> Callable[[NodeInfo], Any]:
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        axis = node.attrs["axis"]
        if node.opset >= 13:
            return layer(dim=-1 if axis is None else axis), [0]
        axis = 1 if axis is None else axis

        def legacy(x: Tensor) -> Tensor:    # opset < 13: over everything from `axis` on, as 2-D
            k = axis % x.ndim
            return fn(x.reshape(int(np.prod(x.shape[:k])), -1), dim=1).reshape(x.shape)

        return OnnxOp(node.op, legacy, axis=axis), [0]

    return load


def export_clamp(e: Any, call: Call) -> str:
    x, o = call.inputs[0], call.options
    bounds = [e.const(np.asarray(v, x.dtype), "clip") if v is not None else "" for v in (o["lo"], o["hi"])]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return e.node("Clip", [e.name(x), *bounds])


def load_clip(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    lo_attr, hi_attr = node.attrs["min"], node.attrs["max"]

    def clip(x: Tensor, lo: Tensor | None = None, hi: Tensor | None = None) -> Tensor:
        low = lo_attr if lo is None else float(lo.data)
        high = hi_attr if hi is None else float(hi.data)
        return x if low is None and high is None else x.clamp(low, high)

    return OnnxOp("Clip", clip), [0, 1, 2]


def load_dropout(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    _no_extra_outputs(node, "the dropout mask")
    if node.has_input(2):
        mode = node.const(2)
        if mode is None or bool(mode):
            raise Unsupported("training_mode is not a constant false; only inference form is supported")
    ratio = node.const(1) if node.has_input(1) else None
    p = float(node.attrs["ratio"] if ratio is None else ratio)
    return nn.Dropout(p), [0]


# ---------------------------------------------------------------- elementwise arithmetic
def _export_binary(op: str) -> Callable[[Any, Call], str]:
    def export(e: Any, call: Call) -> str:
        a, b = call.inputs
        return e.node(op, [e.name(a), e.name(b)])

    return export


def _load_fn(op: str, fn: Callable[..., Any]) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        return OnnxOp(op, fn), list(range(len(node.inputs)))

    return load


def _div(a: Tensor, b: Tensor) -> Tensor:
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":     # integer Div truncates (shape arithmetic)
        return Tensor(np.trunc(a.data / b.data).astype(np.result_type(a.dtype, b.dtype)))
    return a / b


def _pow(a: Tensor, b: Tensor) -> Tensor:
    exponent = b.data
    if exponent.size == 1 and exponent.dtype.kind in "iu":   # x ** 2 with an integer exponent
        return a ** int(exponent.reshape(()))
    return a ** (b.to(a.dtype) if b.dtype != a.dtype and a.dtype.kind == "f" else b)


# ---------------------------------------------------------------- reductions
def _export_reduce(op: str, axes_input_from: int) -> Callable[[Any, Call], str]:
    def export(e: Any, call: Call) -> str:
        x, o = call.inputs[0], call.options
        name = op if op != "ReduceMax" or o.get("largest", True) else "ReduceMin"
        dims, keep = o["dim"], int(o["keepdim"])
        batch = e.batch_axis(x)
        if batch is not None and batch >= 0 and (dims is None or batch in dims):
            e.set_batch(None)
        elif batch is not None and batch >= 0 and not keep:
            e.set_batch(batch - sum(d < batch for d in dims))
        if dims is None:
            return e.node(name, [e.name(x)], keepdims=keep)
        if e.opset >= axes_input_from:
            return e.node(name, [e.name(x), e.ints(list(dims), "axes")], keepdims=keep)
        return e.node(name, [e.name(x)], axes=list(dims), keepdims=keep)

    return export


def _load_reduce(method: str) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        keep = bool(node.attrs["keepdims"])

        def reduce(x: Tensor, axes_in: Tensor | None = None) -> Tensor:
            axes = _reduce_axes(node, [x, axes_in])
            if axes == ():
                return x
            return getattr(x, method)(dim=axes, keepdim=keep)

        return OnnxOp(node.op, reduce, keepdims=int(keep)), [0, 1]

    return load


# ---------------------------------------------------------------- shapes
def export_reshape(e: Any, call: Call) -> str:
    x, target = call.inputs[0], tuple(call.options["shape"])
    batch = e.batch_axis(x)
    shape = list(target)
    if batch is not None:
        if batch < 0 or x.shape[:batch + 1] != target[:batch + 1]:
            raise Unsupported(f"reshape from {x.shape} to {target} merges or moves the batch dimension "
                              f"(axis {batch}), so the exported graph would accept only batch size "
                              f"{x.shape[max(batch, 0)]}")
        shape[batch] = 0                          # ONNX: 0 copies that dimension from the input
        e.set_batch(batch)
        if batch == 0 and len(target) == 2 and x.ndim > 2:
            return e.node("Flatten", [e.name(x)], axis=1)
    return e.node("Reshape", [e.name(x), e.ints(shape, "shape")])


def load_reshape(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    allow_zero = bool(node.attrs["allowzero"])
    legacy = node.attrs["shape"]

    def reshape(x: Tensor, shape: Tensor | None = None) -> Tensor:
        dims = legacy if shape is None else _ints(shape)
        if not allow_zero:
            dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
        return x.reshape(dims)

    return OnnxOp("Reshape", reshape), [0, 1]


def load_flatten(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    axis = node.attrs["axis"]
    if axis == 1:
        return nn.Flatten(1), [0]

    def flatten(x: Tensor) -> Tensor:
        k = axis % x.ndim if axis < 0 else axis
        return x.reshape(int(np.prod(x.shape[:k])), int(np.prod(x.shape[k:])))

    return OnnxOp("Flatten", flatten, axis=axis), [0]


def export_permute(e: Any, call: Call) -> str:
    dims = list(call.options["dims"])
    batch = e.batch_axis(call.inputs[0])
    if batch is not None and batch >= 0:
        e.set_batch(dims.index(batch))
    return e.node("Transpose", [e.name(call.inputs[0])], perm=dims)


def load_transpose(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    perm = node.attrs["perm"]

    def transpose(x: Tensor) -> Tensor:
        return x.permute(*(perm if perm is not None else reversed(range(x.ndim))))

    return OnnxOp("Transpose", transpose, perm=perm), [0]


def export_expand(e: Any, call: Call) -> str:
    x, shape = call.inputs[0], list(call.options["shape"])
    batch = e.batch_axis(x)
    if batch is not None:
        if batch < 0:
            raise Unsupported("expand of a tensor whose batch dimension was moved or merged")
        shape[len(shape) - x.ndim + batch] = 1    # 1 broadcasts: keeps the input's batch size
        e.set_batch(len(shape) - x.ndim + batch)
    return e.node("Expand", [e.name(x), e.ints(shape, "shape")])


def load_expand(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    def expand(x: Tensor, shape: Tensor) -> Tensor:
        target = np.broadcast_shapes(x.shape, tuple(_ints(shape)))
        return x.reshape((1,) * (len(target) - x.ndim) + x.shape).expand(target)

    return OnnxOp("Expand", expand), [0, 1]


def _squeeze_axes(node: NodeInfo, axes_in: Tensor | None) -> list[int] | None:
    return _ints(axes_in) if axes_in is not None else node.attrs["axes"]


def load_squeeze(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    def squeeze(x: Tensor, axes_in: Tensor | None = None) -> Tensor:
        axes = _squeeze_axes(node, axes_in)
        drop = {a % x.ndim for a in axes} if axes is not None else {i for i, s in enumerate(x.shape) if s == 1}
        return x.reshape(tuple(s for i, s in enumerate(x.shape) if i not in drop))

    return OnnxOp("Squeeze", squeeze), [0, 1]


def load_unsqueeze(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    def unsqueeze(x: Tensor, axes_in: Tensor | None = None) -> Tensor:
        axes = _squeeze_axes(node, axes_in) or []
        rank = x.ndim + len(axes)
        shape = iter(x.shape)
        new = {a % rank for a in axes}
        return x.reshape(tuple(1 if i in new else next(shape) for i in range(rank)))

    return OnnxOp("Unsqueeze", unsqueeze), [0, 1]


def export_index(e: Any, call: Call) -> str:
    """Basic indexing: slices become one Slice node, integers Gather nodes (dropping the axis)."""
    x, index = call.inputs[0], call.options["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    if any(not (i is Ellipsis or isinstance(i, slice | int | np.integer)) for i in items):
        raise Unsupported(f"indexing with {index!r}: only slices and integers can be exported")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (x.ndim - len(items) + 1)
    starts, ends, axes, steps, picks = [], [], [], [], []
    batch = e.batch_axis(x)
    for axis, item in enumerate(items):
        if isinstance(item, slice) and item == slice(None):
            continue
        if batch is not None and axis == batch:
            raise Unsupported(f"indexing the batch dimension (axis {axis}) with {item!r}")
        if isinstance(item, slice):
            start, stop, step = item.indices(x.shape[axis])
            starts.append(start)
            ends.append(INT64_MIN if step < 0 and stop < 0 else stop)
            axes.append(axis)
            steps.append(step)
        else:
            picks.append((axis, int(item)))
    out = e.name(x)
    if axes:
        out = e.node("Slice", [out, e.ints(starts, "starts"), e.ints(ends, "ends"), e.ints(axes, "axes"),
                               e.ints(steps, "steps")])
    for axis, i in reversed(picks):            # last axis first, so the earlier ones keep their numbers
        out = e.node("Gather", [out, e.const(np.asarray(i, np.int64), "index")], axis=axis)
    if batch is not None and batch >= 0:
        e.set_batch(batch - sum(a < batch for a, _ in picks))
    return out


def load_slice(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    legacy = node.attrs

    def slice_(x: Tensor, starts: Tensor | None = None, ends: Tensor | None = None, axes: Tensor | None = None,
               steps: Tensor | None = None) -> Tensor:
        b = _ints(starts) if starts is not None else legacy["starts"]
        f = _ints(ends) if ends is not None else legacy["ends"]
        ax = _ints(axes) if axes is not None else legacy["axes"] or list(range(len(b)))
        st = _ints(steps) if steps is not None else [1] * len(b)
        index = [slice(None)] * x.ndim
        for start, end, axis, step in zip(b, f, ax, st, strict=True):
            index[axis % x.ndim] = slice(start, end, step)   # Python slices clamp as ONNX does
        return x[tuple(index)]

    return OnnxOp("Slice", slice_), [0, 1, 2, 3, 4]


def load_gather(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    axis = node.attrs["axis"]

    def gather(x: Tensor, indices: Tensor) -> Tensor:
        k = axis % x.ndim
        return x[(slice(None),) * k + (indices.data.astype(np.int64),)]

    return OnnxOp("Gather", gather, axis=axis), [0, 1]


def export_cat(e: Any, call: Call) -> str:
    dim, stack = call.options["dim"], call.function is _ops.Stack
    names = [e.name(t) for t in call.inputs]
    if stack:
        names = [e.node("Unsqueeze", [n, e.ints([dim], "axes")]) for n in names]
    batches = {e.batch_axis(t) for t in call.inputs} - {None}
    if len(batches) == 1 and (batch := batches.pop()) >= 0:
        if stack:
            e.set_batch(batch + (dim <= batch))   # the new axis goes in front of it, or after
        else:
            e.set_batch(UNKNOWN_BATCH if batch == dim else batch)   # joined along the batch: N is no longer it
    elif batches:
        e.set_batch(UNKNOWN_BATCH)
    return e.node("Concat", names, axis=dim)


def load_concat(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    axis = node.attrs["axis"]
    return OnnxOp("Concat", lambda *xs: _ops.Cat.apply(*xs, dim=axis % xs[0].ndim), axis=axis), \
        list(range(len(node.inputs)))


def load_shape(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    start, end = node.attrs["start"], node.attrs["end"]
    return OnnxOp("Shape", lambda x: Tensor(np.asarray(x.shape[start:end], np.int64))), [0]


def load_constant(node: NodeInfo) -> np.ndarray:
    given = [k for k, v in node.attrs.items() if v is not None]
    if len(given) != 1:
        raise Unsupported(f"a Constant needs exactly one value attribute, got {given}")
    value = node.attrs[given[0]]
    if given[0] in ("sparse_value", "value_string", "value_strings"):
        raise Unsupported(f"{given[0]} constants are not supported")
    dtype = np.float32 if given[0].startswith("value_float") else np.int64 if given[0].startswith("value_int") \
        else None
    return np.asarray(value, dtype=dtype)


def load_constant_of_shape(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    value = node.attrs["value"]
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)

    def constant_of_shape(shape: Tensor) -> Tensor:
        return Tensor(np.full(_ints(shape), fill[0], dtype=fill.dtype))

    return OnnxOp("ConstantOfShape", constant_of_shape), [0]


def export_cast(e: Any, call: Call) -> str:
    from onnx import helper

    return e.node("Cast", [e.name(call.inputs[0])], to=helper.np_dtype_to_tensor_dtype(call.options["dtype"]))


def load_cast(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(node.attrs["to"])
    return OnnxOp("Cast", lambda x: x.to(dtype), to=str(dtype)), [0]


def export_identity(e: Any, call: Call) -> str:
    return e.name(call.inputs[0])             # a copy is the same value in a graph: no node


def export_where(e: Any, call: Call) -> str:
    """Only with a condition held by the model (a buffer): comparisons are not recorded, so a
    condition computed from the input would be frozen at the traced example's values."""
    cond, a, b = call.inputs
    if id(cond) not in e.state_names:
        raise Unsupported("where() with a condition that is not a buffer of the model: a condition computed "
                          "from the input (x > 0) would be exported frozen at the traced example's values")
    return e.node("Where", [e.name(cond), e.name(a), e.name(b)])


def _where(cond: Tensor, a: Tensor, b: Tensor) -> Tensor:
    return _ops.Where.apply(cond.data.astype(bool), a, b)


# ---------------------------------------------------------------- the table
@dataclass(frozen=True)
class NodeInfo:
    """What a load function sees of one ONNX node (built by `convnet.onnx.load`)."""

    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    opset: int
    constants: dict[str, np.ndarray] = field(repr=False)
    ranks: dict[str, int] = field(repr=False)
    used: set[str] = field(repr=False)

    def has_input(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] != ""

    def const(self, i: int) -> np.ndarray | None:
        """The value of input i when it is known before running (an initializer or a Constant)."""
        return self.constants.get(self.inputs[i]) if self.has_input(i) else None

    def rank(self, i: int) -> int | None:
        return self.ranks.get(self.inputs[i]) if self.has_input(i) else None

    def uses_output(self, i: int) -> bool:
        return i < len(self.outputs) and self.outputs[i] in self.used


@dataclass(frozen=True)
class Rule:
    """One ONNX operator: the convnet operations written as it, and how to read it back."""

    onnx: str
    convnet: tuple[type[Function], ...] = ()
    export: Callable[[Any, Call], str] | None = None
    load: Callable[[NodeInfo], Any] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)   # attributes understood, with defaults


_POOL = {"auto_pad": "NOTSET", "ceil_mode": 0, "kernel_shape": None, "pads": None, "strides": None}
_CONV = {"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None, "pads": None,
         "strides": None}
_REDUCE = {"axes": None, "keepdims": 1, "noop_with_empty_axes": 0}

TABLE: list[Rule] = [
    Rule("Conv", (Conv2dFn,), export_conv, load_conv, _CONV),
    Rule("ConvTranspose", (ConvTranspose2dFn,), export_conv_transpose, load_conv_transpose,
         {**_CONV, "output_padding": None, "output_shape": None}),
    Rule("MaxPool", (MaxPool2dFn,), export_max_pool, load_max_pool,
         {**_POOL, "dilations": None, "storage_order": 0}),
    Rule("AveragePool", (AvgPool2dFn,), export_avg_pool, load_avg_pool,
         {**_POOL, "count_include_pad": 0, "dilations": None}),
    Rule("GlobalAveragePool", (AdaptiveAvgPool2dFn,), export_adaptive_avg_pool, load_global_avg_pool),
    Rule("GlobalMaxPool", (AdaptiveMaxPool2dFn,), export_adaptive_max_pool, load_global_max_pool),
    Rule("Gemm", (LinearFn,), export_linear, load_gemm, {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0}),
    Rule("MatMul", (_ops.MatMul,), _export_binary("MatMul"), _load_fn("MatMul", lambda a, b: a @ b)),
    Rule("BatchNormalization", (BatchNormFn,), export_batch_norm, load_batch_norm,
         {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0, "spatial": 1}),
    Rule("LRN", (LocalResponseNormFn,), export_lrn, load_lrn,
         {"size": None, "alpha": 1e-4, "beta": 0.75, "bias": 1.0}),
    Rule("Pad", (PadFn,), export_pad, load_pad, {"mode": "constant", "pads": None, "value": 0.0}),
    Rule("Relu", (_ops.ReLU,), _export_unary("Relu"), _load_layer(lambda a: nn.ReLU())),
    Rule("LeakyRelu", (LeakyReLUFn,), export_leaky_relu, _load_layer(lambda a: nn.LeakyReLU(a["alpha"])),
         {"alpha": 0.01}),
    Rule("Elu", (ELUFn,), export_elu, _load_layer(lambda a: nn.ELU(a["alpha"])), {"alpha": 1.0}),
    Rule("Gelu", (GELUFn,), export_gelu, load_gelu, {"approximate": "none"}),
    Rule("Erf", (), None, load_erf),
    Rule("Sigmoid", (_ops.Sigmoid,), _export_unary("Sigmoid"), _load_layer(lambda a: nn.Sigmoid())),
    Rule("Tanh", (_ops.Tanh,), _export_unary("Tanh"), _load_layer(lambda a: nn.Tanh())),
    Rule("Softmax", (_ops.Softmax,), _export_softmax("Softmax"), _load_softmax(nn.Softmax, F.softmax),
         {"axis": None}),
    Rule("LogSoftmax", (_ops.LogSoftmax,), _export_softmax("LogSoftmax"),
         _load_softmax(nn.LogSoftmax, F.log_softmax), {"axis": None}),
    Rule("Clip", (_ops.Clamp,), export_clamp, load_clip, {"min": None, "max": None}),
    Rule("Dropout", (), None, load_dropout, {"ratio": 0.5, "seed": None}),
    Rule("Identity", (_ops.Clone,), export_identity, _load_layer(lambda a: nn.Identity())),
    Rule("Add", (_ops.Add,), _export_binary("Add"), _load_fn("Add", lambda a, b: a + b)),
    Rule("Sub", (_ops.Sub,), _export_binary("Sub"), _load_fn("Sub", lambda a, b: a - b)),
    Rule("Mul", (_ops.Mul,), _export_binary("Mul"), _load_fn("Mul", lambda a, b: a * b)),
    Rule("Div", (_ops.Div,), _export_binary("Div"), _load_fn("Div", _div)),
    Rule("Pow", (_ops.Pow,), _export_binary("Pow"), _load_fn("Pow", _pow)),
    Rule("Neg", (_ops.Neg,), _export_unary("Neg"), _load_fn("Neg", lambda a: -a)),
    Rule("Exp", (_ops.Exp,), _export_unary("Exp"), _load_fn("Exp", lambda a: a.exp())),
    Rule("Log", (_ops.Log,), _export_unary("Log"), _load_fn("Log", lambda a: a.log())),
    Rule("Sqrt", (_ops.Sqrt,), _export_unary("Sqrt"), _load_fn("Sqrt", lambda a: a.sqrt())),
    Rule("Abs", (_ops.Abs,), _export_unary("Abs"), _load_fn("Abs", lambda a: a.abs())),
    Rule("Where", (_ops.Where,), export_where, _load_fn("Where", _where)),
    Rule("ReduceSum", (_ops.Sum,), _export_reduce("ReduceSum", 13), _load_reduce("sum"), _REDUCE),
    Rule("ReduceMean", (_ops.Mean,), _export_reduce("ReduceMean", 18), _load_reduce("mean"), _REDUCE),
    Rule("ReduceMax", (_ops.Amax,), _export_reduce("ReduceMax", 18), _load_reduce("amax"), _REDUCE),
    Rule("ReduceMin", (), None, _load_reduce("amin"), _REDUCE),
    Rule("Flatten", (), None, load_flatten, {"axis": 1}),
    Rule("Reshape", (_ops.Reshape,), export_reshape, load_reshape, {"allowzero": 0, "shape": None}),
    Rule("Transpose", (_ops.Permute,), export_permute, load_transpose, {"perm": None}),
    Rule("Expand", (_ops.Expand,), export_expand, load_expand),
    Rule("Squeeze", (), None, load_squeeze, {"axes": None}),
    Rule("Unsqueeze", (), None, load_unsqueeze, {"axes": None}),
    Rule("Slice", (_ops.Index,), export_index, load_slice, {"starts": None, "ends": None, "axes": None}),
    Rule("Gather", (), None, load_gather, {"axis": 0}),
    Rule("Concat", (_ops.Cat, _ops.Stack), export_cat, load_concat, {"axis": None}),
    Rule("Shape", (), None, load_shape, {"start": 0, "end": None}),
    Rule("Constant", (), None, load_constant,
         {k: None for k in ("value", "value_float", "value_floats", "value_int", "value_ints",
                            "sparse_value", "value_string", "value_strings")}),
    Rule("ConstantOfShape", (), None, load_constant_of_shape, {"value": None}),
    Rule("Cast", (_ops.Cast,), export_cast, load_cast, {"to": None, "saturate": 1, "round_mode": None}),
]

BY_ONNX: dict[str, Rule] = {rule.onnx: rule for rule in TABLE}
BY_FUNCTION: dict[type[Function], Rule] = {fn: rule for rule in TABLE for fn in rule.convnet}
