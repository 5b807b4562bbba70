"""Hand-designed kernels at work: an image, a kernel with its numbers, and what comes out.

This is the seeds' first picture of a convolution layer: four 3x3 edge detectors slid over
a handwritten seven, each output lighting the edges of the strokes on one side (top, left,
bottom, right). Any filter of `convnet.filters` works, on any image.

>>> seven = np.zeros((8, 8), np.float32); seven[1:3, 1:7] = 1; seven[3:7, 5:7] = 1
>>> out = apply_filters("edges", seven)
>>> list(out), out["edge_top"].shape
(['edge_top', 'edge_left', 'edge_bottom', 'edge_right'], (6, 6))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import filters
from ..errors import ConvnetValueError
from . import canvas, colors
from .canvas import Grid


def filter_names(names: str | Sequence[str]) -> list[str]:
    """``"edges"`` (the four edge detectors), one name, a comma-separated string or a list of names."""
    if isinstance(names, str):
        names = list(filters.EDGE_DETECTORS) if names == "edges" else [n.strip() for n in names.split(",")]
    for n in names:
        if n not in filters.FILTERS:
            raise ConvnetValueError(f"unknown filter {n!r}; available: edges (the four edge detectors), "
                                    f"{', '.join(filters.names())}")
    return list(names)


def apply_filters(names: str | Sequence[str], image: np.ndarray, padding: int = 0) -> dict[str, np.ndarray]:
    """Each filter's output on a 2-D `image` (convnet.filters.apply, i.e. F.conv2d), by name."""
    return {n: filters.apply(n, image, padding=padding) for n in filter_names(names)}


def kernel_figure(names: str | Sequence[str], image: np.ndarray, padding: int = 0, title: str | None = None
                  ) -> Grid:
    """The input, then one column per filter: its name, its kernel with the values written in
    the cells, its output and what it detects. Outputs share one scale centred on zero.
    ``boxes``/``keys`` locate each output."""
    image = np.asarray(image, dtype=np.float32)
    outputs = apply_filters(names, image, padding)
    kernels = {n: filters.get(n) for n in outputs}
    out_scale = colors.symmetric(*outputs.values())
    k_scale = colors.symmetric(*kernels.values())
    zoom = canvas.zoom_for(image.shape, target=200, most=8)
    out_zoom = canvas.zoom_for(next(iter(outputs.values())).shape, target=200, most=8)
    col_width = max(out_zoom * next(iter(outputs.values())).shape[1], 160)
    columns = [[canvas.text_image("input", 14), canvas.values_image(image, colors.gray(0, 1), zoom),
                canvas.text_image(f"{image.shape[0]}x{image.shape[1]}, values {colors.fmt(image.min())} to "
                                  f"{colors.fmt(image.max())}", 11, color=canvas.MUTED)]]
    for n, out in outputs.items():
        k = kernels[n]
        cell = 36 if max(k.shape) <= 5 else 24
        columns.append([canvas.text_image(n, 14), canvas.number_matrix(k, k_scale, cell=cell),
                        canvas.values_image(out, out_scale, out_zoom),
                        canvas.text_image(canvas.wrap(f"{filters.describe(n)}", col_width, 11), 11,
                                          color=canvas.MUTED)])
    body, boxes = canvas.place(columns)
    grid = Grid(body, [col[2] for col in boxes[1:]], list(outputs))
    legend = canvas.colorbar(out_scale, title="output (shared scale; red: the filter fires, blue: the opposite)")
    pad = f"padding {padding}" if padding else "no padding"
    return grid.compose(title, f"each output is the kernel slid over the input ({pad}): at every position, the "
                        "sum of the products of kernel and pixels", below=[legend], size=20)
