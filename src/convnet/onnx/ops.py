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
the caller collects every such problem before reporting them together. `NodeInfo`,
`OnnxOp` and `Unsupported` live in `convnet.onnx.node`; Resize's rules, with its
interpolation, in `convnet.onnx.resize`.
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
from ..errors import ConvnetValueError
from ..nn import functional as F
from ..nn.functional.activation import ELUFn, GELUFn, LeakyReLUFn, erf
from ..nn.functional.conv import Conv2dFn, ConvTranspose2dFn
from ..nn.functional.conv_nd import ConvNdFn, ConvTransposeNdFn
from ..nn.functional.linear import LinearFn
from ..nn.functional.normalization import BatchNormFn, LocalResponseNormFn
from ..nn.functional.padding import PadFn
from ..nn.functional.pooling import AdaptiveAvgPool2dFn, AdaptiveMaxPool2dFn, AvgPool2dFn, MaxPool2dFn
from ..nn.functional.pooling_nd import AvgPoolNdFn, MaxPoolNdFn, avg_pool_nd, max_pool_nd, window_counts
from .node import NodeInfo, OnnxOp, Unsupported, ints
from .resize import ResizeFn, export_resize, load_resize, load_upsample
from .trace import Call

INT64_MIN = -(2**63)
UNKNOWN_BATCH = -1          # a batch axis that an operation moved or merged: shapes depend on it


# ---------------------------------------------------------------- imported layers
def resolve_pads_nd(auto_pad: str, pads: Sequence[int] | None, sizes: Sequence[int], kernel: Sequence[int],
                    stride: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """ONNX's ``auto_pad`` / ``pads`` as (before, after) per spatial axis for an input of `sizes`.

    SAME_UPPER puts the odd extra pixel at the end (convnet's "same"), SAME_LOWER at the start;
    ``pads`` lists every axis's begin, then every axis's end.

    >>> resolve_pads_nd("SAME_LOWER", None, (5, 5), (2, 2), (1, 1), (1, 1))
    ((1, 0), (1, 0))
    >>> resolve_pads_nd("NOTSET", [0, 1, 2, 3], (9, 9), (3, 3), (1, 1), (1, 1))
    ((0, 2), (1, 3))
    """
    n = len(sizes)
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        both = [arith.same_padding(s, k, st, d) for s, k, st, d in zip(sizes, kernel, stride, dilation, strict=True)]
        return tuple((after, before) if auto_pad == "SAME_LOWER" else (before, after) for before, after in both)
    if auto_pad == "VALID" or pads is None:
        return ((0, 0),) * n
    return tuple((pads[i], pads[i + n]) for i in range(n))


def resolve_pads(auto_pad: str, pads: Sequence[int] | None, hw: Sequence[int], kernel: Sequence[int],
                 stride: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """`resolve_pads_nd` for two axes: ((top, bottom), (left, right))."""
    top_bottom, left_right = resolve_pads_nd(auto_pad, pads, hw, kernel, stride, dilation)
    return top_bottom, left_right


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


def _symmetric_nd(pads: Sequence[int] | None, spatial: int) -> tuple[int, ...] | None:
    """Padding per axis when ONNX pads (all begins, then all ends) are equal on both sides."""
    if pads is None:
        return (0,) * spatial
    if len(pads) != 2 * spatial:
        raise Unsupported(f"pads {list(pads)} do not have 2 x {spatial} entries (begin and end of each axis)")
    return tuple(pads[:spatial]) if list(pads[:spatial]) == list(pads[spatial:]) else None


def _spatial(node: NodeInfo, kernel: Sequence[int] | None, weight: int | None = None) -> int:
    """How many spatial axes a convolution or pooling node works over (1, 2 or 3)."""
    n = len(kernel) if kernel is not None else None
    if n is None and weight is not None:
        w, rank = node.const(weight), node.rank(weight)
        n = w.ndim - 2 if w is not None else rank - 2 if rank is not None else None
    if n is None:
        rank = node.rank(0)
        n = rank - 2 if rank is not None else None
    if n not in (1, 2, 3):
        raise Unsupported(f"{node.op} over {n if n is not None else 'an unknown number of'} spatial axes: only "
                          "1-D, 2-D and 3-D are supported (give kernel_shape, or inputs of known rank)")
    return n


def _reduce_axes(node: NodeInfo, inputs: Sequence[Any]) -> tuple[int, ...] | None:
    """The axes of a Reduce* node: an input from opset 18 (13 for ReduceSum), else an attribute."""
    if len(inputs) > 1 and inputs[1] is not None:
        axes = ints(inputs[1])
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


CONV_ND: dict[int, Callable[..., Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_LAYERS: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def _conv_fn(a: dict[str, Any], spatial: int) -> Callable[..., Tensor]:
    """The node's convolution of (x, w, b) with ONNX's padding rules, resolved per input size."""
    stride, dilation = a["strides"] or [1] * spatial, a["dilations"] or [1] * spatial

    def conv(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
        pads = resolve_pads_nd(a["auto_pad"], a["pads"], x.shape[2:], w.shape[2:], stride, dilation)
        return CONV_ND[spatial](x, w, b, tuple(stride), pads, tuple(dilation), a["group"])

    return conv


class OnnxConv(nn.Module):
    """A 1-D or 3-D convolution with ONNX padding that Conv1d / Conv3d have no argument for
    (SAME_LOWER, or pads that differ between the two sides of an axis); learnable weights."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None, attrs: dict[str, Any]) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight.copy())
        self.bias = None if bias is None else nn.Parameter(bias.copy())
        self.spatial, self.attrs = weight.ndim - 2, attrs
        self.fn = _conv_fn(attrs, self.spatial)

    def forward(self, input: Tensor) -> Tensor:
        return self.fn(input, self.weight, self.bias)

    def _get_name(self) -> str:
        return f"Conv{self.spatial}d"

    def extra_repr(self) -> str:
        a, (o, cg) = self.attrs, self.weight.shape[:2]
        return f"{cg * a['group']}, {o}, auto_pad={a['auto_pad']}, pads={a['pads']}"


def load_conv(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    spatial = _spatial(node, a["kernel_shape"], weight=1)
    w, b = node.const(1), node.const(2) if node.has_input(2) else None
    if w is None or (node.has_input(2) and b is None):      # weights computed in the graph, or graph inputs
        return OnnxOp("Conv", _conv_fn(a, spatial), **{k: v for k, v in a.items() if v is not None}), [0, 1, 2]
    if w.ndim != spatial + 2:
        raise Unsupported(f"the weight has shape {w.shape}, not that of a {spatial}-D convolution")
    o, cg, *kernel = w.shape
    stride, dilation = a["strides"] or [1] * spatial, a["dilations"] or [1] * spatial
    pads, auto = a["pads"], a["auto_pad"]
    same = _symmetric_nd(pads, spatial)
    common = dict(stride=tuple(stride), dilation=tuple(dilation), groups=a["group"], bias=b is not None,
                  dtype=w.dtype)
    if auto in ("SAME_UPPER", "VALID") or (auto == "NOTSET" and same is not None):
        padding = {"SAME_UPPER": "same", "VALID": 0}.get(auto, same)
        with nn.init.skip_init():
            conv: nn.Module = CONV_LAYERS[spatial](cg * a["group"], o, tuple(kernel), padding=padding, **common)
    elif spatial == 2:
        with nn.init.skip_init():
            conv = PaddedConv2d(cg * a["group"], o, tuple(kernel), auto_pad=auto, pads=pads, **common)
    else:
        return OnnxConv(w, b, a), [0]
    conv.weight.data[...] = w
    if b is not None:
        conv.bias.data[...] = b
    return conv, [0]


def export_conv_nd(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    o = call.options
    inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
    return e.node("Conv", inputs, kernel_shape=list(w.shape[2:]), strides=list(o["stride"]),
                  pads=[p[0] for p in o["padding"]] + [p[1] for p in o["padding"]], dilations=list(o["dilation"]),
                  group=o["groups"])


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


CONV_TRANSPOSE_ND: dict[int, Callable[..., Tensor]] = {1: F.conv_transpose1d, 2: F.conv_transpose2d,
                                                      3: F.conv_transpose3d}


def _transposed_pads(a: dict[str, Any], sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                     dilation: Sequence[int], extra: Sequence[int]) -> list[tuple[int, int]]:
    """(begin, end) of the full transposed output to cut off, per axis. With output_shape or
    SAME_*, the total follows from the wanted size; SAME_UPPER cuts the larger half at the end."""
    n = len(sizes)
    full = [(i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip(sizes, stride, dilation, kernel, strict=True)]
    if a["output_shape"] is None and a["auto_pad"] not in ("SAME_UPPER", "SAME_LOWER"):
        return list(resolve_pads_nd("NOTSET", a["pads"], sizes, kernel, stride, dilation))
    target = list(a["output_shape"])[-n:] if a["output_shape"] is not None else \
        [i * s for i, s in zip(sizes, stride, strict=True)]
    totals = [f + e - t for f, e, t in zip(full, extra, target, strict=True)]
    if a["auto_pad"] == "SAME_UPPER":
        return [(t // 2, t - t // 2) for t in totals]
    return [(t - t // 2, t // 2) for t in totals]


def _conv_transpose_fn(a: dict[str, Any], spatial: int) -> Callable[..., Tensor]:
    """The node's transposed convolution of (x, w, b): the full output (no padding), then
    output_padding zeros at the end and the node's padding cut off each side."""
    stride, dilation = a["strides"] or [1] * spatial, a["dilations"] or [1] * spatial
    extra = a["output_padding"] or [0] * spatial

    def conv_transpose(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
        pads = _transposed_pads(a, x.shape[2:], w.shape[2:], stride, dilation, extra)
        y = CONV_TRANSPOSE_ND[spatial](x, w, None, tuple(stride), 0, 0, a["group"], tuple(dilation))
        widths = [v for (begin, end), e in zip(reversed(pads), reversed(extra), strict=True) for v in (-begin, e - end)]
        if any(widths):
            y = F.pad(y, widths)
        return y if b is None else y + b.reshape(-1, *(1,) * spatial)

    return conv_transpose


def export_conv_transpose_nd(e: Any, call: Call) -> str:
    x, w, b = call.inputs
    o = call.options
    pads = [p for p, _ in o["padding"]]
    extra = [out - ((i - 1) * s - 2 * p + d * (k - 1) + 1) for out, i, s, p, d, k in
             zip(o["out"], x.shape[2:], o["stride"], pads, o["dilation"], w.shape[2:], strict=True)]
    inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
    return e.node("ConvTranspose", inputs, kernel_shape=list(w.shape[2:]), strides=list(o["stride"]),
                  pads=pads * 2, output_padding=extra, dilations=list(o["dilation"]), group=o["groups"])


def load_conv_transpose(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    spatial = _spatial(node, a["kernel_shape"], weight=1)
    w, b = node.const(1), node.const(2) if node.has_input(2) else None
    plain = a["auto_pad"] == "NOTSET" and a["output_shape"] is None and spatial == 2
    same = _symmetric_nd(a["pads"], spatial) if plain else None
    if w is None or (node.has_input(2) and b is None) or same is None:
        return OnnxOp("ConvTranspose", _conv_transpose_fn(a, spatial),
                      **{k: v for k, v in a.items() if v is not None}), [0, 1, 2]
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
    spatial = _spatial(node, kernel)
    stride, dilation = a["strides"] or [1] * spatial, a.get("dilations") or [1] * spatial
    indices = kind == "max" and node.uses_output(1)
    pads, auto, ceil = a["pads"], a["auto_pad"], bool(a["ceil_mode"])
    same = _symmetric_nd(pads, spatial) if auto == "NOTSET" else (0,) * spatial if auto == "VALID" else None
    plain = spatial == 2 and not indices and not (kind == "avg" and dilation != [1, 1]) and node.is_float(0)
    if plain and same is not None and all(p <= k // 2 for p, k in zip(same, kernel, strict=True)):
        if kind == "max":
            return nn.MaxPool2d(tuple(kernel), tuple(stride), same, tuple(dilation), ceil_mode=ceil), [0]
        return nn.AvgPool2d(tuple(kernel), tuple(stride), same, ceil, bool(a["count_include_pad"])), [0]
    if plain and not ceil:
        return PaddedPool2d(kind, kernel, stride, dilation, auto, pads, bool(a.get("count_include_pad"))), [0]
    return OnnxOp(node.op, _pool_fn(a, kind, spatial, indices), **{k: v for k, v in a.items() if v is not None}), [0]


def _pool_fn(a: dict[str, Any], kind: str, spatial: int, indices: bool) -> Callable[[Tensor], Any]:
    """Pooling over any number of axes with ONNX's padding rules. Integer inputs are pooled
    as float64 (exact) and cast back. MaxPool's indices count over the whole tensor, in
    row-major order (or column-major over the spatial axes with storage_order=1)."""
    kernel = a["kernel_shape"]
    stride, dilation = a["strides"] or [1] * spatial, a.get("dilations") or [1] * spatial

    def pool(x: Tensor) -> Any:
        pads = resolve_pads_nd(a["auto_pad"], a["pads"], x.shape[2:], kernel, stride, dilation)
        data = x if x.dtype.kind == "f" else x.to(np.float64)
        if kind == "avg":
            out = avg_pool_nd(data, kernel, stride, pads, dilation, bool(a["ceil_mode"]),
                              bool(a["count_include_pad"]), op="AveragePool")
            return out.to(x.dtype) if out.dtype != x.dtype else out
        out = max_pool_nd(data, kernel, stride, pads, dilation, bool(a["ceil_mode"]), indices, op="MaxPool")
        if not indices:
            return out.to(x.dtype) if out.dtype != x.dtype else out
        values, where = out
        return (values.to(x.dtype) if values.dtype != x.dtype else values), Tensor(_global_index(where.data, x.shape,
                                                                                                  a["storage_order"]))

    return pool


def _global_index(where: np.ndarray, shape: tuple[int, ...], storage_order: int) -> np.ndarray:
    """Per-channel row-major flat indices (N, C, *out) as ONNX's indices into the whole tensor."""
    spatial = shape[2:]
    if storage_order:
        where = np.ravel_multi_index(np.unravel_index(where, spatial), spatial, order="F")
    n, c = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    offset = (n * shape[1] + c) * int(np.prod(spatial))
    return (where + offset.reshape(*offset.shape, *(1,) * len(spatial))).astype(np.int64)


def load_max_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return _load_pool(node, "max")


def load_avg_pool(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return _load_pool(node, "avg")


def export_max_pool_nd(e: Any, call: Call) -> str:
    """The windows as they ran: padding as far as they read, so no ceil_mode is needed."""
    o = call.options
    if o["return_indices"]:
        raise Unsupported("max pooling with return_indices=True (the indices output)")
    reach = o["reach"]
    return e.node("MaxPool", [e.name(call.inputs[0])], kernel_shape=list(o["kernel"]), strides=list(o["stride"]),
                  pads=[p[0] for p in reach] + [p[1] for p in reach], dilations=list(o["dilation"]), ceil_mode=0)


def export_avg_pool_nd(e: Any, call: Call) -> str:
    """AveragePool when the divisors are ONNX's: the whole window, or the input pixels in it."""
    x, o = call.inputs[0], call.options
    reach, divisor = o["reach"], o["divisor"]
    args = (x.shape[2:], o["kernel"], o["stride"], reach, o["dilation"], o["out"])
    if np.array_equal(divisor, window_counts(*args, include_pad=True)):
        include = 1
    elif np.array_equal(divisor, window_counts(*args, include_pad=False)):
        include = 0
    else:
        raise Unsupported("average pooling whose divisors are neither the window size nor its input pixels "
                          "(divisor_override, or ceil_mode windows past the padding)")
    if any(d != 1 for d in o["dilation"]) and e.opset < 19:
        raise Unsupported("average pooling with dilation needs opset 19 or newer")
    extra = {"dilations": list(o["dilation"])} if e.opset >= 19 else {}
    return e.node("AveragePool", [e.name(x)], kernel_shape=list(o["kernel"]), strides=list(o["stride"]),
                  pads=[p[0] for p in reach] + [p[1] for p in reach], ceil_mode=0, count_include_pad=include, **extra)


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
        weight = w if trans_b else w.T                              # Linear keeps (out, in)
        weight = weight if alpha == 1.0 else alpha * weight
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


def _per_channel(t: Tensor, ndim: int) -> Tensor:
    """A (C,) tensor shaped to broadcast over (N, C, ...) of `ndim` dimensions."""
    return t.reshape(-1, *(1,) * (ndim - 2))


def _batch_norm_fn(eps: float, momentum: float, training: bool) -> Callable[..., Any]:
    """BatchNormalization written with tensor operations, for statistics or weights that are
    computed in the graph, and for training_mode=1: normalise with the batch's own mean and
    (biased) variance, and also return the running statistics updated by `momentum`."""

    def batch_norm(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, var: Tensor) -> Any:
        axes = (0, *range(2, x.ndim))
        if not training:
            norm = (x - _per_channel(mean, x.ndim)) / (_per_channel(var, x.ndim) + eps).sqrt()
            return norm * _per_channel(scale, x.ndim) + _per_channel(bias, x.ndim)
        batch_mean = x.mean(dim=axes)
        centred = x - _per_channel(batch_mean, x.ndim)
        batch_var = (centred * centred).mean(dim=axes)
        y = centred / (_per_channel(batch_var, x.ndim) + eps).sqrt() * _per_channel(scale, x.ndim) \
            + _per_channel(bias, x.ndim)
        return y, mean * momentum + batch_mean * (1 - momentum), var * momentum + batch_var * (1 - momentum)

    return batch_norm


def load_batch_norm(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    if a["spatial"] != 1:
        raise Unsupported("spatial=0 (statistics per position) is not supported")
    training = bool(a["training_mode"])
    if not training and any(node.uses_output(i) for i in range(1, len(node.outputs))):
        raise Unsupported("its extra outputs (the saved statistics of opsets before 14) are used; "
                          "only Y is supported outside training_mode")
    consts = [node.const(i) for i in range(1, 5)]
    if training or any(c is None for c in consts) or node.rank(0) not in (2, 3, 4):
        return OnnxOp("BatchNormalization", _batch_norm_fn(a["epsilon"], a["momentum"], training),
                      epsilon=a["epsilon"], training_mode=int(training)), [0, 1, 2, 3, 4]
    scale, bias, mean, var = consts
    kind = nn.BatchNorm1d if node.rank(0) in (2, 3) else nn.BatchNorm2d
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
        amounts = legacy if pads is None else ints(pads)
        rank = x.ndim
        chosen = list(range(rank)) if axes is None else [i % rank for i in ints(axes)]
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
    return OnnxOp("Erf", lambda x: ErfFn.apply(x)), [0]    # looked up per call: export records it


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
        low = lo_attr if lo is None else lo.data.reshape(()).item()
        high = hi_attr if hi is None else hi.data.reshape(()).item()
        if low is None and high is None:
            return x
        if x.dtype.kind != "f":                       # integer tensors stay integers
            return Tensor(np.clip(x.data, low, high).astype(x.dtype))
        return x.clamp(low, high)

    return OnnxOp("Clip", clip), [0, 1, 2]


def load_dropout(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    ratio = node.const(1) if node.has_input(1) else None
    p = float(node.attrs["ratio"] if ratio is None else ratio)
    training = node.const(2) if node.has_input(2) else np.asarray(False)
    if (training is None or bool(training)) and (p != 0 or (node.has_input(1) and ratio is None)):
        raise Unsupported("training_mode is on (or computed in the graph) with a ratio that may be non-zero: "
                          "random dropping cannot be reproduced; convnet imports the inference form (give "
                          "training_mode false, or ratio 0)")
    if not node.uses_output(1):
        return nn.Dropout(p), [0]

    def dropout(x: Tensor) -> tuple[Tensor, Tensor]:       # inference (or ratio 0): nothing dropped
        return x, Tensor(np.ones(x.shape, dtype=bool))

    return OnnxOp("Dropout", dropout, ratio=p), [0]


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


_LEGACY_BINARY = {"broadcast": 0, "axis": None, "consumed_inputs": None}


def _load_binary(op: str, fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    """Add, Sub, Mul, Div, Pow; before opset 7, ``broadcast=1`` with ``axis`` lines B's axes
    up with A's from `axis` on (later opsets broadcast as NumPy does)."""
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        axis = node.attrs["axis"]
        if not node.attrs["broadcast"] or axis is None:
            return OnnxOp(op, fn), [0, 1]

        def aligned(a: Tensor, b: Tensor) -> Tensor:
            trailing = a.ndim - axis % a.ndim - b.ndim
            return fn(a, b.reshape(*b.shape, *(1,) * trailing) if trailing > 0 else b)

        return OnnxOp(op, aligned, broadcast=1, axis=axis), [0, 1]

    return load


def _div(a: Tensor, b: Tensor) -> Tensor:
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":     # integer Div truncates (shape arithmetic)
        return Tensor(np.trunc(a.data / b.data).astype(np.result_type(a.dtype, b.dtype)))
    return a / b


def _pow(a: Tensor, b: Tensor) -> Tensor:
    """a ** b in a's type (ONNX's Pow keeps the base's type, whatever the exponent's)."""
    exponent = b.data
    if a.dtype.kind != "f":
        return Tensor(np.power(a.data.astype(np.float64), exponent).astype(a.dtype))
    if exponent.size == 1 and exponent.dtype.kind in "iu":   # x ** 2 with an integer exponent
        return a ** int(exponent.reshape(()))
    return a ** (b.to(a.dtype) if b.dtype != a.dtype else b)


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


def _reduce_array(method: str, a: np.ndarray, axes: tuple[int, ...] | None, keep: bool) -> np.ndarray:
    """The reduction in NumPy, in a's type: for integers, booleans and empty sets, where the
    spec's identities apply (the sum of nothing is 0, its maximum the lowest value, -inf)."""
    if method == "sum":
        return np.sum(a, axis=axes, keepdims=keep, dtype=a.dtype)
    if method == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a, axis=axes, keepdims=keep)).astype(a.dtype)
    largest = method == "amax"
    if a.dtype == np.bool_:
        initial: Any = not largest
    elif a.dtype.kind in "iu":
        initial = np.iinfo(a.dtype).min if largest else np.iinfo(a.dtype).max
    else:
        initial = -np.inf if largest else np.inf
    return (np.max if largest else np.min)(a, axis=axes, keepdims=keep, initial=initial).astype(a.dtype)


def _load_reduce(method: str) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        keep = bool(node.attrs["keepdims"])

        def reduce(x: Tensor, axes_in: Tensor | None = None) -> Tensor:
            axes = _reduce_axes(node, [x, axes_in])
            if axes == ():
                return x
            if x.data.size == 0 or x.dtype.kind != "f":
                norm = None if axes is None else tuple(a % x.ndim for a in axes)
                return Tensor(_reduce_array(method, x.data, norm, keep))
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
        dims = legacy if shape is None else ints(shape)
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
        target = np.broadcast_shapes(x.shape, tuple(ints(shape)))
        return x.reshape((1,) * (len(target) - x.ndim) + x.shape).expand(target)

    return OnnxOp("Expand", expand), [0, 1]


def _squeeze_axes(node: NodeInfo, axes_in: Tensor | None) -> list[int] | None:
    return ints(axes_in) if axes_in is not None else node.attrs["axes"]


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
        b = ints(starts) if starts is not None else legacy["starts"]
        f = ints(ends) if ends is not None else legacy["ends"]
        ax = ints(axes) if axes is not None else legacy["axes"] or list(range(len(b)))
        st = ints(steps) if steps is not None else [1] * len(b)
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
        return Tensor(np.full(ints(shape), fill[0], dtype=fill.dtype))

    return OnnxOp("ConstantOfShape", constant_of_shape), [0]


def export_cast(e: Any, call: Call) -> str:
    from onnx import helper

    return e.node("Cast", [e.name(call.inputs[0])], to=helper.np_dtype_to_tensor_dtype(call.options["dtype"]))


def _saturating(to: int) -> bool:
    """The float8 types whose Cast clamps to the largest finite value when saturate=1."""
    from onnx import TensorProto

    return to in (TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E4M3FNUZ, TensorProto.FLOAT8E5M2,
                  TensorProto.FLOAT8E5M2FNUZ)


def to_e8m0(x: np.ndarray, saturate: bool, round_mode: str) -> np.ndarray:
    """float8e8m0 (a power of two: an exponent only): float32's exponent, rounded up (any
    mantissa bit), to nearest, or down; with `saturate`, the largest exponent never rounds
    into the NaN code; NaN and inf become NaN."""
    import ml_dtypes

    bits = np.asarray(x, np.float32).view(np.uint32)
    exponent = ((bits >> 23) & 0xFF).astype(np.uint16)
    special = exponent == 0xFF
    if round_mode == "up":
        up = (bits & 0x7FFFFF) > 0
    elif round_mode == "nearest":
        guard, rest = (bits & 0x400000) > 0, (bits & 0x3FFFFF) > 0
        up = guard & (rest | (exponent > 0))
    else:
        up = np.zeros(bits.shape, bool)
    if saturate:
        up &= exponent != 0xFE
    code = np.where(special, 0xFF, exponent + (up & ~special)).astype(np.uint8)
    return code.view(ml_dtypes.float8_e8m0fnu)


def load_cast(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    from onnx import TensorProto, helper

    to, saturate = node.attrs["to"], bool(node.attrs["saturate"])
    if to == TensorProto.STRING:
        raise Unsupported("casting to STRING is not supported (convnet's tensors hold numbers)")
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(to))
    round_mode = node.attrs["round_mode"] or "up"

    def cast(x: Tensor) -> Tensor:
        if x.dtype.isbuiltin == 1 and dtype.isbuiltin == 1:  # NumPy's own types (not ml_dtypes' float8, int4)
            return x.to(dtype)
        if to == TensorProto.FLOAT8E8M0:
            return Tensor(to_e8m0(x.data.astype(np.float32), saturate, round_mode))
        data = x.data if x.dtype.isbuiltin == 1 else x.data.astype(np.float32)
        if saturate and _saturating(to):
            import ml_dtypes

            info = ml_dtypes.finfo(dtype)
            data = np.clip(data, float(info.min), float(info.max))          # NaN stays NaN
        with np.errstate(over="ignore", invalid="ignore"):
            return Tensor(data.astype(dtype))

    return OnnxOp("Cast", cast, to=str(dtype)), [0]


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


# ---------------------------------------------------------------- Sum, Mean, Max, Min (any number of inputs)
class ExtremumFn(Function):
    """Elementwise max (or min) of two tensors, broadcast; the gradient goes to the input that
    won (the first one on ties)."""

    def forward(self, a: np.ndarray, b: np.ndarray, largest: bool) -> np.ndarray:
        self.first = (a >= b) if largest else (a <= b)
        self.shapes = a.shape, b.shape
        return np.maximum(a, b) if largest else np.minimum(a, b)

    def backward(self, g: np.ndarray) -> tuple:
        na, nb = self.needs_input_grad
        zero = np.zeros((), g.dtype)
        return (_ops.unbroadcast(np.where(self.first, g, zero), self.shapes[0]) if na else None,
                _ops.unbroadcast(np.where(self.first, zero, g), self.shapes[1]) if nb else None)


def export_extremum(e: Any, call: Call) -> str:
    a, b = call.inputs
    return e.node("Max" if call.options["largest"] else "Min", [e.name(a), e.name(b)])


def _load_variadic(op: str) -> Callable[[NodeInfo], tuple[nn.Module, list[int]]]:
    """Sum, Mean, Max, Min of any number of inputs, broadcast together, one pair at a time."""
    def combine(a: Tensor, b: Tensor) -> Tensor:
        if op in ("Max", "Min"):
            return ExtremumFn.apply(a, b, largest=op == "Max")
        return a + b

    def load(node: NodeInfo) -> tuple[nn.Module, list[int]]:
        def variadic(*xs: Tensor) -> Tensor:
            out = xs[0]
            for x in xs[1:]:
                out = combine(out, x)
            return out / len(xs) if op == "Mean" and len(xs) > 1 else out

        return OnnxOp(op, variadic), list(range(len(node.inputs)))

    return load


# ---------------------------------------------------------------- activations with parameters
def load_prelu(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """max(0, x) + slope * min(0, x), the slope broadcast to x (per channel, usually)."""
    return OnnxOp("PRelu", lambda x, slope: x.relu() - slope * (-x).relu()), [0, 1]


def load_hard_sigmoid(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    alpha, beta = node.attrs["alpha"], node.attrs["beta"]
    return OnnxOp("HardSigmoid", lambda x: (x * alpha + beta).clamp(0.0, 1.0), alpha=alpha, beta=beta), [0]


def load_hard_swish(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    return OnnxOp("HardSwish", lambda x: x * (x * (1 / 6) + 0.5).clamp(0.0, 1.0)), [0]


def load_selu(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """gamma * x for x > 0, gamma * alpha * (e^x - 1) below."""
    alpha, gamma = node.attrs["alpha"], node.attrs["gamma"]

    def selu(x: Tensor) -> Tensor:
        return (x.relu() + (x.clamp(max=0.0).exp() - 1) * alpha) * gamma

    return OnnxOp("Selu", selu, alpha=alpha, gamma=gamma), [0]


def load_softplus(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """log(1 + e^x), written max(x, 0) + log(1 + e^-|x|) so that large x cannot overflow."""
    return OnnxOp("Softplus", lambda x: x.relu() + ((-x.abs()).exp() + 1).log()), [0]


def load_instance_norm(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """Each (image, channel) normalised over its own positions, then scaled and shifted."""
    eps = node.attrs["epsilon"]

    def instance_norm(x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
        axes = tuple(range(2, x.ndim))
        centred = x - x.mean(dim=axes, keepdim=True)
        var = (centred * centred).mean(dim=axes, keepdim=True)
        return centred / (var + eps).sqrt() * _per_channel(scale, x.ndim) + _per_channel(bias, x.ndim)

    return OnnxOp("InstanceNormalization", instance_norm, epsilon=eps), [0, 1, 2]


# ---------------------------------------------------------------- Split, Tile
def _split_sizes(node: NodeInfo, length: int, given: Tensor | None) -> list[int]:
    a, count = node.attrs, len(node.outputs)
    if given is not None or a["split"] is not None:
        sizes = ints(given) if given is not None else list(a["split"])
    elif a["num_outputs"] is not None:                   # equal chunks, the last one smaller
        chunk = -(-length // a["num_outputs"])
        sizes = [chunk] * (a["num_outputs"] - 1) + [length - chunk * (a["num_outputs"] - 1)]
    else:
        if length % count:
            raise ConvnetValueError(f"Split: an axis of length {length} cannot be split into {count} equal parts")
        sizes = [length // count] * count
    if sum(sizes) != length or len(sizes) != count or min(sizes) < 0:
        raise ConvnetValueError(f"Split: sizes {sizes} do not split an axis of length {length} into {count} outputs")
    return sizes


def load_split(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    axis = node.attrs["axis"]

    def split(x: Tensor, given: Tensor | None = None) -> tuple[Tensor, ...]:
        k = axis % x.ndim
        bounds = np.cumsum([0, *_split_sizes(node, x.shape[k], given)])
        return tuple(x[(slice(None),) * k + (slice(int(b), int(e)),)] for b, e in zip(bounds[:-1], bounds[1:],
                                                                                        strict=True))

    return OnnxOp("Split", split, axis=axis), [0, 1]


def load_tile(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """Each axis repeated: x viewed as (1, n0, 1, n1, ...), expanded to (r0, n0, r1, n1, ...),
    merged back to (r0 * n0, r1 * n1, ...). Differentiable, and exported as Expand."""
    def tile(x: Tensor, repeats: Tensor) -> Tensor:
        r = ints(repeats)
        if len(r) != x.ndim:
            raise ConvnetValueError(f"Tile: {len(r)} repeats for a tensor of {x.ndim} dimensions")
        spread = x.reshape(*(v for n in x.shape for v in (1, n)))
        return spread.expand(*(v for k, n in zip(r, x.shape, strict=True) for v in (k, n))) \
            .reshape(*(k * n for k, n in zip(r, x.shape, strict=True)))

    return OnnxOp("Tile", tile), [0, 1]


# ---------------------------------------------------------------- the table
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
    Rule("Gemm", (LinearFn,), export_linear, load_gemm,
         {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0, "broadcast": 0}),
    Rule("MatMul", (_ops.MatMul,), _export_binary("MatMul"), _load_fn("MatMul", lambda a, b: a @ b)),
    Rule("BatchNormalization", (BatchNormFn,), export_batch_norm, load_batch_norm,
         {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0, "spatial": 1, "is_test": 0, "consumed_inputs": None}),
    Rule("LRN", (LocalResponseNormFn,), export_lrn, load_lrn,
         {"size": None, "alpha": 1e-4, "beta": 0.75, "bias": 1.0}),
    Rule("Pad", (PadFn,), export_pad, load_pad, {"mode": "constant", "pads": None, "value": 0.0}),
    Rule("Relu", (_ops.ReLU,), _export_unary("Relu"), _load_layer(lambda a: nn.ReLU())),
    Rule("LeakyRelu", (LeakyReLUFn,), export_leaky_relu, _load_layer(lambda a: nn.LeakyReLU(a["alpha"])),
         {"alpha": 0.01}),
    Rule("Elu", (ELUFn,), export_elu, _load_layer(lambda a: nn.ELU(a["alpha"])), {"alpha": 1.0}),
    Rule("Gelu", (GELUFn,), export_gelu, load_gelu, {"approximate": "none"}),
    Rule("Erf", (ErfFn,), _export_unary("Erf"), load_erf),
    Rule("Sigmoid", (_ops.Sigmoid,), _export_unary("Sigmoid"), _load_layer(lambda a: nn.Sigmoid())),
    Rule("Tanh", (_ops.Tanh,), _export_unary("Tanh"), _load_layer(lambda a: nn.Tanh())),
    Rule("Softmax", (_ops.Softmax,), _export_softmax("Softmax"), _load_softmax(nn.Softmax, F.softmax),
         {"axis": None}),
    Rule("LogSoftmax", (_ops.LogSoftmax,), _export_softmax("LogSoftmax"),
         _load_softmax(nn.LogSoftmax, F.log_softmax), {"axis": None}),
    Rule("Clip", (_ops.Clamp,), export_clamp, load_clip, {"min": None, "max": None}),
    Rule("Dropout", (), None, load_dropout, {"ratio": 0.5, "seed": None, "is_test": 0, "consumed_inputs": None}),
    Rule("Identity", (_ops.Clone,), export_identity, _load_layer(lambda a: nn.Identity())),
    Rule("Add", (_ops.Add,), _export_binary("Add"), _load_binary("Add", lambda a, b: a + b), _LEGACY_BINARY),
    Rule("Sub", (_ops.Sub,), _export_binary("Sub"), _load_binary("Sub", lambda a, b: a - b), _LEGACY_BINARY),
    Rule("Mul", (_ops.Mul,), _export_binary("Mul"), _load_binary("Mul", lambda a, b: a * b), _LEGACY_BINARY),
    Rule("Div", (_ops.Div,), _export_binary("Div"), _load_binary("Div", _div), _LEGACY_BINARY),
    Rule("Pow", (_ops.Pow,), _export_binary("Pow"), _load_binary("Pow", _pow), _LEGACY_BINARY),
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
    Rule("Sum", (), None, _load_variadic("Sum"), {"consumed_inputs": None}),
    Rule("Mean", (), None, _load_variadic("Mean"), {"consumed_inputs": None}),
    Rule("Max", (ExtremumFn,), export_extremum, _load_variadic("Max"), {"consumed_inputs": None}),
    Rule("Min", (), None, _load_variadic("Min"), {"consumed_inputs": None}),
    Rule("PRelu", (), None, load_prelu, {"consumed_inputs": None}),
    Rule("HardSigmoid", (), None, load_hard_sigmoid, {"alpha": 0.2, "beta": 0.5, "consumed_inputs": None}),
    Rule("HardSwish", (), None, load_hard_swish),
    Rule("Selu", (), None, load_selu, {"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875,
                                       "consumed_inputs": None}),
    Rule("Softplus", (), None, load_softplus),
    Rule("InstanceNormalization", (), None, load_instance_norm, {"epsilon": 1e-5, "consumed_inputs": None}),
    Rule("Split", (), None, load_split, {"axis": 0, "split": None, "num_outputs": None}),
    Rule("Tile", (), None, load_tile),
    Rule("Resize", (ResizeFn,), export_resize, load_resize,
         {"mode": "nearest", "coordinate_transformation_mode": "half_pixel", "nearest_mode": "round_prefer_floor",
          "cubic_coeff_a": -0.75, "exclude_outside": 0, "antialias": 0, "extrapolation_value": 0.0,
          "keep_aspect_ratio_policy": "stretch", "axes": None}),
    Rule("Upsample", (), None, load_upsample, {"mode": "nearest", "scales": None}),
    # written only: convnet operations with a second form of an operator above
    Rule("Conv", (ConvNdFn,), export_conv_nd),
    Rule("ConvTranspose", (ConvTransposeNdFn,), export_conv_transpose_nd),
    Rule("MaxPool", (MaxPoolNdFn,), export_max_pool_nd),
    Rule("AveragePool", (AvgPoolNdFn,), export_avg_pool_nd),
]

BY_ONNX: dict[str, Rule] = {rule.onnx: rule for rule in TABLE if rule.load is not None}
BY_FUNCTION: dict[type[Function], Rule] = {fn: rule for rule in TABLE for fn in rule.convnet}
