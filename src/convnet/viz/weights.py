"""The kernels a convolution layer learned, one tile each.

A layer ``Conv2d(I, O, K)`` holds O x I kernels of K x K numbers. `kernel_grid` draws each
as a tile, one row per output channel and one column per input channel, all on one colour
scale centred on zero (blue negative, white zero, red positive) so that tiles compare. The
first layer of a colour model is drawn instead as O RGB tiles, each kernel's three input
channels seen as one colour patch (grey is zero).

>>> w = np.zeros((4, 2, 3, 3), np.float32); w[1, 0, 0, 0] = 1.0
>>> g = kernel_grid(w)
>>> len(g.boxes), [b[2] - b[0] for b in g.boxes[:2]]
(8, [48, 48])
"""

from __future__ import annotations

import numpy as np

from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from . import canvas, colors
from .canvas import Grid
from .probe import conv_layers, get_layer

MAX_OUTPUTS, MAX_INPUTS = 64, 32          # larger layers show their first channels (and say so)


def kernel_grid(weight: np.ndarray, rgb: bool | None = None, title: str | None = None) -> Grid:
    """Every kernel of a convolution weight (O, I, KH, KW) as a tile on one symmetric scale.

    `rgb` (default: when I == 3) draws each output channel as one colour tile instead.
    Layers with more than 64 outputs or 32 inputs show the first ones, as the subtitle says.
    ``keys`` are (output, input) channel pairs, or output channels for RGB tiles.
    """
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4:
        raise ShapeError(f"kernel_grid: expects a convolution weight (out, in, KH, KW), got shape {w.shape}")
    o, i, kh, kw = w.shape
    shown = w[:MAX_OUTPUTS, :MAX_INPUTS]
    scale = colors.symmetric(shown)
    rgb = i == 3 if rgb is None else rgb
    count = shown.shape[0] * (1 if rgb else shown.shape[1])
    zoom = canvas.zoom_for((kh, kw), target=72 if count <= 16 else 48 if count <= 128 else 32)
    if rgb:
        pixels = np.clip(np.rint((0.5 + 0.5 * shown / scale.hi) * 255), 0, 255).astype(np.uint8)
        tiles = [canvas.rgb_image(k, zoom) for k in pixels]
        grid = canvas.grid(tiles, labels=[str(k) for k in range(len(tiles))],
                           columns=min(len(tiles), 8 if len(tiles) > 16 else 4), keys=list(range(len(tiles))))
        legend = [canvas.text_image(f"each tile: one kernel's red, green and blue input channels; grey = 0, "
                                    f"full colour = +-{colors.fmt(scale.hi)}", 11, color=canvas.MUTED)]
        what = f"{len(tiles)} kernels as RGB tiles"
    else:
        pairs = [(a, b) for a in range(shown.shape[0]) for b in range(shown.shape[1])]
        tiles = [canvas.values_image(shown[a, b], scale, zoom) for a, b in pairs]
        if i == 1:
            grid = canvas.grid(tiles, labels=[str(k) for k in range(len(tiles))],
                               columns=min(len(tiles), 8 if len(tiles) > 16 else 6), keys=pairs)
        else:
            grid = canvas.grid(tiles, columns=shown.shape[1], row_labels=[f"out {a}" for a in range(shown.shape[0])],
                               col_labels=[f"in {b}" for b in range(shown.shape[1])], gap=4, keys=pairs)
        legend = [canvas.colorbar(scale, title="kernel weight (shared scale, zero is white)")]
        what = f"{len(tiles)} kernels" if i == 1 else \
            f"{o * i} kernels, one per (output, input) channel pair ({o} x {i})"
    cut = "" if shown.shape == w.shape else f"; showing outputs 0-{shown.shape[0] - 1} of {o}, " \
                                           f"inputs 0-{shown.shape[1] - 1} of {i}"
    return grid.compose(title, f"{what}, {kh}x{kw} each{cut}", below=legend)


def filter_grid(model: Module, layer: str | None = None) -> tuple[Grid, str]:
    """`kernel_grid` of a model's convolution `layer` (default: the first); returns it and the name.

    >>> import convnet as cn
    >>> g, name = filter_grid(cn.models.create("lenet5"), "features.3")
    >>> name, len(g.boxes)
    ('features.3', 96)
    """
    convs = conv_layers(model)
    if layer is None:
        if not convs:
            raise ConvnetValueError(f"{type(model).__name__} has no convolution layer")
        layer = convs[0][0]
    conv = get_layer(model, layer)
    weight = getattr(conv, "weight", None)
    if weight is None or weight.ndim != 4:
        names = ", ".join(n for n, _ in convs) or "none"
        raise ConvnetValueError(f"layer {layer} ({type(conv).__name__}) has no convolution kernels; "
                                f"the convolution layers are: {names}")
    return kernel_grid(weight.numpy(), title=f"{layer} ({type(conv).__name__}): the learned kernels"), layer
