"""Hand-designed kernels: what computer-vision engineers wrote by hand before CNNs learned them.

Each filter is a small float32 array; `bank` stacks them into a convolution weight, which
can be copied into a ``Conv2d`` and frozen with `convnet.nn.constraints.freeze`::

    conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)
    with cn.no_grad():
        conv.weight.copy_(filters.bank(["edge_top", "edge_left", "edge_bottom", "edge_right"]))
    constraints.freeze(conv.weight)

The four edge detectors are the seeds' example: applied to a white-on-black handwritten
seven, each lights the edges of the strokes on one side.

>>> get("sobel_x")
array([[-1.,  0.,  1.],
       [-2.,  0.,  2.],
       [-1.,  0.,  1.]], dtype=float32)
>>> apply("edge_top", [[0, 0, 0], [1, 1, 1], [1, 1, 1]]).tolist()
[[3.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConvnetValueError, ShapeError


@dataclass(frozen=True)
class Filter:
    name: str
    kernel: tuple[tuple[float, ...], ...]
    detects: str


def _f(name: str, rows: Any, detects: str, scale: float = 1.0) -> Filter:
    return Filter(name, tuple(tuple(float(v) * scale for v in r) for r in rows), detects)


_FILTERS = [
    _f("identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]], "nothing: returns the image unchanged"),
    _f("box_blur", [[1] * 3] * 3, "nothing in particular: averages each 3x3 neighbourhood "
       "(smooths noise and detail)", 1 / 9),
    _f("gaussian_blur", [[1, 2, 1], [2, 4, 2], [1, 2, 1]], "nothing in particular: a weighted "
       "average that smooths while keeping the centre strongest", 1 / 16),
    _f("sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "detail: boosts a pixel against its "
       "four neighbours, crisping edges"),
    _f("laplacian", [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "blobs and edges in every direction "
       "(second derivative): zero on flat areas and steady slopes"),
    _f("sobel_x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "vertical edges: positive where the "
       "image gets brighter from left to right"),
    _f("sobel_y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "horizontal edges: positive where the "
       "image gets brighter from top to bottom"),
    _f("prewitt_x", [[-1, 0, 1]] * 3, "vertical edges, like Sobel without the centre weighting"),
    _f("prewitt_y", [[-1, -1, -1], [0, 0, 0], [1, 1, 1]], "horizontal edges, like Sobel "
       "without the centre weighting"),
    _f("scharr_x", [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]], "vertical edges, with better "
       "rotational symmetry than Sobel"),
    _f("scharr_y", [[-3, -10, -3], [0, 0, 0], [3, 10, 3]], "horizontal edges, with better "
       "rotational symmetry than Sobel"),
    _f("edge_top", [[-1, -1, -1], [1, 1, 1], [0, 0, 0]], "top edges of bright strokes: dark "
       "above, bright in the middle row"),
    _f("edge_left", [[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]], "left edges of bright strokes: dark "
       "to the left, bright in the middle column"),
    _f("edge_bottom", [[0, 0, 0], [1, 1, 1], [-1, -1, -1]], "bottom edges of bright strokes: "
       "bright in the middle row, dark below"),
    _f("edge_right", [[0, 1, -1], [0, 1, -1], [0, 1, -1]], "right edges of bright strokes: "
       "bright in the middle column, dark to the right"),
]
FILTERS: dict[str, Filter] = {f.name: f for f in _FILTERS}
EDGE_DETECTORS = ("edge_top", "edge_left", "edge_bottom", "edge_right")


def names() -> list[str]:
    """Names of the available filters."""
    return list(FILTERS)


def _lookup(name: str) -> Filter:
    try:
        return FILTERS[name]
    except KeyError:
        raise ConvnetValueError(f"unknown filter {name!r}; available: {', '.join(FILTERS)}") from None


def get(name: str) -> np.ndarray:
    """The kernel of filter `name` as a new float32 array (KH, KW)."""
    return np.array(_lookup(name).kernel, dtype=np.float32)


def describe(name: str) -> str:
    """What filter `name` responds to."""
    return _lookup(name).detects


def gaussian(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """A normalised size x size Gaussian blur kernel."""
    if size < 1 or size % 2 == 0:
        raise ConvnetValueError(f"gaussian: size must be a positive odd number, got {size}")
    if not sigma > 0:
        raise ConvnetValueError(f"gaussian: sigma must be positive, got {sigma}")
    r = np.arange(size) - size // 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    return (g / g.sum()).astype(np.float32)


def bank(filter_names: Sequence[str], in_channels: int = 1) -> np.ndarray:
    """Stack filters into a convolution weight (len(names), in_channels, KH, KW).

    With several input channels each filter is spread evenly over them (kernel / C on every
    channel), so it acts on the channel average: an edge detector on the brightness of an
    RGB image.
    """
    kernels = [get(n) for n in filter_names]
    if not kernels:
        raise ConvnetValueError("bank: give at least one filter name")
    if len({k.shape for k in kernels}) > 1:
        raise ConvnetValueError("bank: the filters have different sizes; use filters of one size per bank")
    w = np.stack(kernels)[:, None] / in_channels              # (O, 1, KH, KW)
    return np.repeat(w, in_channels, axis=1).astype(np.float32)


def apply(name: str | np.ndarray, image: Any, padding: Any = 0) -> np.ndarray:
    """Cross-correlate a 2-D image with a filter (by name or as an array): (H, W) -> (OH, OW)."""
    from ._tensor import tensor
    from .nn.functional import conv2d

    kernel = get(name) if isinstance(name, str) else np.asarray(name, dtype=np.float32)
    img = np.asarray(image, dtype=np.float32)
    if img.ndim != 2 or kernel.ndim != 2:
        raise ShapeError(f"apply: expects a 2-D image and a 2-D kernel, got {img.shape} and "
                         f"{kernel.shape}")
    out = conv2d(tensor(img[None, None]), tensor(kernel[None, None]), padding=padding)
    return out.numpy()[0, 0]
