"""ONNX's Resize (and the older Upsample): interpolation as one small matrix per axis, and
the rules that read and write those nodes (the Resize and Upsample rows of `convnet.onnx.ops`).

Resizing is separable: along each resized axis, output position j is a weighted sum of a
few input positions i, ``out[j] = sum_i M[j, i] * in[i]``. The weights depend only on the
mode (``nearest``, ``linear``, ``cubic``, optionally antialiased), on how output
coordinates map to input ones (``coordinate_transformation_mode``) and on the sizes, never
on the values; so `axis_matrix` builds M once per axis and `ResizeFn` applies the matrices
one axis after the other. Backward multiplies by the same matrices transposed (every input
position gets back what it contributed).

The rules below follow the ONNX specification of Resize: where an output position maps in
the input, which neighbours it reads, and with which weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import nn
from .._tensor import Tensor
from ..autograd.function import Function
from ..errors import ConvnetValueError
from .node import NodeInfo, OnnxOp, Unsupported, choice, floats
from .trace import Call

MODES = ("nearest", "linear", "cubic")
COORDINATES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
               "tf_crop_and_resize")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


@dataclass(frozen=True)
class ResizeSpec:
    """How a Resize node interpolates (its attributes, with ONNX's defaults)."""

    mode: str = "nearest"
    coordinates: str = "half_pixel"
    nearest_mode: str = "round_prefer_floor"
    cubic_a: float = -0.75
    exclude_outside: bool = False
    antialias: bool = False
    extrapolation: float = 0.0


def source_coordinates(spec: ResizeSpec, size: int, out: int, scale: float,
                       roi: tuple[float, float] | None) -> np.ndarray:
    """Where each output position j falls in the input, as a real coordinate."""
    j = np.arange(out, dtype=np.float64)
    mode, length = spec.coordinates, scale * size            # the output's exact (real) length
    if mode == "align_corners":
        return np.zeros(out) if length == 1 else j * (size - 1) / (length - 1)
    if mode == "asymmetric":
        return j / scale
    if mode == "tf_crop_and_resize":
        start, end = roi if roi is not None else (0.0, 1.0)
        if length == 1:
            return np.full(out, (end - start) * (size - 1) / 2 + start * (size - 1))
        return j * (end - start) * (size - 1) / (length - 1) + start * (size - 1)
    if mode == "pytorch_half_pixel":
        return np.full(out, -0.5) if length == 1 else (j + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = size / 2 * (1 - out / length)
        return offset + (j + 0.5) / scale - 0.5
    return (j + 0.5) / scale - 0.5                              # half_pixel


def _coefficients(spec: ResizeSpec, ratio: np.ndarray, scale: float) -> np.ndarray:
    """(out, taps) weights of the neighbours around each coordinate, `ratio` being its
    distance past the neighbour below (1 when it falls exactly on a pixel)."""
    r = ratio[:, None]
    if spec.mode == "nearest":
        below = {"round_prefer_floor": r <= 0.5, "round_prefer_ceil": r < 0.5, "floor": np.ones_like(r, bool),
                 "ceil": np.zeros_like(r, bool)}[spec.nearest_mode]
        below = np.where(r == 1, False, below)
        return np.concatenate([below, ~below], axis=1).astype(np.float64)
    shrink = min(scale, 1.0) if spec.antialias else 1.0        # antialiasing widens the kernel
    reach = 1 if spec.mode == "linear" else 2                   # the kernel's support, in pixels
    first = int(math.floor(-reach / shrink) + 1)
    offsets = np.arange(first, 2 - first)[None, :]              # taps, relative to the pixel below
    if spec.mode == "linear":
        weights = np.clip(1 - np.abs((offsets - r) * shrink), 0, 1)
    else:
        weights = _cubic(np.abs((offsets - r) * shrink), spec.cubic_a)
    return weights / weights.sum(axis=1, keepdims=True) if spec.antialias else weights


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter a, at distances x >= 0."""
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def axis_matrix(spec: ResizeSpec, size: int, out: int, scale: float, roi: tuple[float, float] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(M, outside): the (out, size) interpolation weights along one axis, and which output
    positions fall outside the input (tf_crop_and_resize gives those `spec.extrapolation`)."""
    x = source_coordinates(spec, size, out, scale, roi)
    below = np.floor(x)
    ratio = np.where(x == below, 1.0, x - below)
    coeffs = _coefficients(spec, ratio, scale)
    taps = coeffs.shape[1]
    # the `taps` neighbours nearest to x, ties to the lower ones (ONNX's choice of neighbours)
    pad = math.ceil(taps / 2)
    base = np.floor(x + pad).astype(np.int64)
    frac = x + pad - base
    if taps % 2 == 0:
        start = base + np.where(frac == 0, -(taps // 2), -(taps // 2) + 1)
    else:
        start = base + np.where(frac <= 0.5, -((taps - 1) // 2), -((taps - 1) // 2) + 1)
    index = start[:, None] + np.arange(taps)[None, :] - pad                 # (out, taps), may leave the input
    if spec.exclude_outside:
        coeffs = np.where((index < 0) | (index >= size), 0.0, coeffs)
        total = coeffs.sum(axis=1, keepdims=True)
        coeffs = coeffs / np.where(total == 0, 1.0, total)
    m = np.zeros((out, size))
    np.add.at(m, (np.repeat(np.arange(out), taps), np.clip(index, 0, size - 1).reshape(-1)), coeffs.reshape(-1))
    outside = (x < 0) | (x > size - 1) if spec.coordinates == "tf_crop_and_resize" else np.zeros(out, bool)
    m[outside] = 0.0
    return m, outside


def output_sizes(shape: Sequence[int], axes: Sequence[int], scales: Sequence[float] | None,
                 sizes: Sequence[int] | None, policy: str) -> tuple[list[int], list[float]]:
    """Output size and scale of each axis in `axes`, from `scales` or from `sizes` (with the
    keep_aspect_ratio_policy ``stretch``, ``not_larger`` or ``not_smaller``)."""
    if sizes is None:
        assert scales is not None
        return [int(math.floor(shape[a] * s)) for a, s in zip(axes, scales, strict=True)], list(scales)
    ratios = [n / shape[a] for a, n in zip(axes, sizes, strict=True)]
    if policy == "stretch":
        return list(sizes), ratios
    scale = min(ratios) if policy == "not_larger" else max(ratios)
    return [int(scale * shape[a] + 0.5) for a in axes], [scale] * len(axes)


class ResizeFn(Function):
    """out = x with each resized axis multiplied by its interpolation matrix (nearest: a
    gather, which keeps infinities exact); backward multiplies by the transposed matrices,
    last axis first."""

    def forward(self, x: np.ndarray, spec: ResizeSpec, axes: tuple[int, ...], out: tuple[int, ...],
                scales: tuple[float, ...], roi: tuple[tuple[float, float] | None, ...]) -> np.ndarray:
        self.steps = []
        y = x
        for axis, n, s, r in zip(axes, out, scales, roi, strict=True):
            m, outside = axis_matrix(spec, y.shape[axis], n, s, r)
            self.steps.append((axis, m))
            if spec.mode == "nearest":
                y = np.take(y, m.argmax(axis=1), axis=axis)
            else:
                y = np.moveaxis(np.moveaxis(y, axis, -1) @ m.T.astype(y.dtype), -1, axis)
            if outside.any():
                where = np.moveaxis(np.zeros(y.shape, bool), axis, -1)
                where[..., outside] = True
                y = np.where(np.moveaxis(where, -1, axis), np.asarray(spec.extrapolation, y.dtype), y)
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        for axis, m in reversed(self.steps):
            grad = np.moveaxis(np.moveaxis(grad, axis, -1) @ m.astype(grad.dtype), -1, axis)
        return grad


# ---------------------------------------------------------------- the nodes
def _resize_run(x: Tensor, spec: ResizeSpec, axes: list[int], out: list[int], scales: list[float],
                roi: list[float] | None) -> Tensor:
    """Resize the given axes of x (integers are interpolated as float64, rounded and clamped back)."""
    n = len(axes)
    pairs = [(roi[i], roi[i + n]) if roi is not None else None for i in range(n)]
    steps = [(a, o, s, r) for a, o, s, r in zip(axes, out, scales, pairs, strict=True)
             if not (math.isclose(s, 1.0) and o == x.shape[a] and r in (None, (0.0, 1.0)))]
    if not steps:
        return x
    data = x if x.dtype.kind == "f" else x.to(np.float64)
    y = ResizeFn.apply(data, spec=spec, axes=tuple(a for a, *_ in steps), out=tuple(o for _, o, _, _ in steps),
                       scales=tuple(s for _, _, s, _ in steps), roi=tuple(r for *_, r in steps))
    if x.dtype.kind == "f":
        return y
    info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
    values = np.round(y.data) if info is None else np.clip(np.round(y.data), info.min, info.max)
    return Tensor(values.astype(x.dtype))


def load_resize(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    a = node.attrs
    legacy = node.opset < 11                     # Resize-10: (X, scales), Upsample's coordinates
    spec = ResizeSpec(choice(node, "mode", MODES),
                      "asymmetric" if legacy else choice(node, "coordinate_transformation_mode", COORDINATES),
                      "floor" if legacy else choice(node, "nearest_mode", NEAREST_MODES), a["cubic_coeff_a"],
                      bool(a["exclude_outside"]), bool(a["antialias"]), a["extrapolation_value"])
    policy = choice(node, "keep_aspect_ratio_policy", ("stretch", "not_larger", "not_smaller"))
    if spec.antialias and spec.mode == "nearest":
        raise Unsupported("antialias=1 with mode 'nearest' (the spec allows antialiasing for linear and cubic)")

    def resize(x: Tensor, roi: Tensor | None = None, scales: Tensor | None = None,
               sizes: Tensor | None = None) -> Tensor:
        if legacy:
            roi, scales = None, roi
        axes = [v % x.ndim for v in a["axes"]] if a["axes"] else list(range(x.ndim))
        given_scales, given_sizes = floats(scales), floats(sizes)
        if (given_scales is None) == (given_sizes is None):
            raise ConvnetValueError("Resize: give either scales or sizes (exactly one of them)")
        out, factors = output_sizes(x.shape, axes, given_scales,
                                    None if given_sizes is None else [int(v) for v in given_sizes], policy)
        return _resize_run(x, spec, axes, out, factors, floats(roi))

    return OnnxOp("Resize", resize, mode=spec.mode, coordinates=spec.coordinates), [0, 1, 2, 3]


def export_resize(e: Any, call: Call) -> str:
    """Resize with full-rank scales (1 on the axes left alone, so any batch size works), and
    the region of interest for tf_crop_and_resize."""
    x, o = call.inputs[0], call.options
    spec: ResizeSpec = o["spec"]
    scales, starts, ends = [1.0] * x.ndim, [0.0] * x.ndim, [1.0] * x.ndim
    for axis, out, scale, roi in zip(o["axes"], o["out"], o["scales"], o["roi"], strict=True):
        if math.floor(x.shape[axis] * float(np.float32(scale))) != out:
            raise Unsupported(f"resize of axis {axis} from {x.shape[axis]} to {out} with scale {scale}: ONNX's "
                              "scales would give another size")
        scales[axis] = scale
        if roi is not None:
            starts[axis], ends[axis] = roi
    if spec.antialias and e.opset < 18:
        raise Unsupported("antialiased Resize needs opset 18 or newer")
    roi_input = e.const(np.asarray(starts + ends, np.float32), "roi") if spec.coordinates == "tf_crop_and_resize" \
        else ""
    attrs = dict(mode=spec.mode, coordinate_transformation_mode=spec.coordinates, nearest_mode=spec.nearest_mode,
                 cubic_coeff_a=spec.cubic_a, exclude_outside=int(spec.exclude_outside),
                 extrapolation_value=spec.extrapolation)
    if spec.antialias:
        attrs["antialias"] = 1
    return e.node("Resize", [e.name(x), roi_input, e.const(np.asarray(scales, np.float32), "scales")], **attrs)


def load_upsample(node: NodeInfo) -> tuple[nn.Module, list[int]]:
    """Upsample (opsets 7 to 9): Resize with asymmetric coordinates, nearest rounding down."""
    mode = choice(node, "mode", ("nearest", "linear", "bilinear"))
    spec = ResizeSpec("nearest" if mode == "nearest" else "linear", "asymmetric", "floor")

    def upsample(x: Tensor, scales: Tensor | None = None) -> Tensor:
        factors = floats(scales) or node.attrs["scales"]
        if factors is None or len(factors) != x.ndim:
            raise ConvnetValueError(f"Upsample: scales {factors} do not give one factor per axis of {x.ndim}")
        out = [int(math.floor(n * s)) for n, s in zip(x.shape, factors, strict=True)]
        return _resize_run(x, spec, list(range(x.ndim)), out, list(factors), None)

    return OnnxOp("Upsample", upsample, mode=mode), [0, 1]
