"""Feature maps: what each channel of chosen layers outputs for one image.

`feature_maps` runs the model once with forward hooks on the chosen layers and returns
their outputs; `feature_grid` draws them, one section per layer and one tile per channel,
labelled with the channel and its value range. The tiles of a layer share one colour scale
(`colors.auto` over the whole layer): diverging when the layer outputs negative numbers
(a convolution before its ReLU), black-to-yellow when it does not (after ReLU or pooling).

>>> import convnet as cn
>>> model = cn.models.create("lenet5", input_size=28)
>>> maps = feature_maps(model, np.zeros((1, 28, 28), np.float32), "all")
>>> {name: m.shape for name, m in maps.items()}["features.3"]
(16, 10, 10)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from . import canvas, colors
from .canvas import Grid
from .probe import capture, conv_layers, get_layer


def spatial_layers(model: Module, input_shape: Sequence[int]) -> list[str]:
    """Names of the layers (not blocks) whose output is still a grid of feature maps."""
    from ..inspect import summary

    rows = summary(model, tuple(input_shape)).layers
    return [r.name for r in rows if r.leaf and len(r.output_shape) == 3 and " (" not in r.name]


def choose_layers(model: Module, input_shape: Sequence[int], layers: str | Sequence[str] | None) -> list[str]:
    """Layer names from a choice: None or "conv" (every convolution), "all" (every layer with
    feature maps), a comma-separated string or a list of names (checked)."""
    if layers is None or layers == "conv":
        names = [n for n, _ in conv_layers(model)]
        if not names:
            raise ConvnetValueError(f"{type(model).__name__} has no convolution layer; name the layers to show")
        return names
    if layers == "all":
        return spatial_layers(model, input_shape)
    names = [n.strip() for n in layers.split(",")] if isinstance(layers, str) else list(layers)
    for n in names:
        get_layer(model, n)
    return names


def feature_maps(model: Module, x: np.ndarray, layers: str | Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The outputs (C, H, W) of the chosen `layers` (see `choose_layers`) for one input `x`
    (C, H, W), already normalised as the model expects."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3:
        raise ShapeError(f"feature_maps: expects one image (channels, height, width), got shape {x.shape}")
    names = choose_layers(model, x.shape, layers)
    out = capture(model, x[None], names)
    return {n: a[0] for n, a in out.items()}


def most_active(maps: np.ndarray, k: int) -> list[int]:
    """The `k` channels of `maps` (C, H, W) with the highest mean positive activation, strongest first."""
    if k < 1:
        raise ConvnetValueError(f"top: must be at least 1, got {k}")
    strength = np.maximum(maps, 0).reshape(maps.shape[0], -1).mean(axis=1)
    return [int(c) for c in np.argsort(-strength, kind="stable")[:k]]


def layer_section(name: str, kind: str, maps: np.ndarray, top: int | None = None) -> Grid:
    """One layer's feature maps as a grid of tiles, with a header and the layer's colour bar."""
    if maps.ndim != 3:
        raise ShapeError(f"layer {name} outputs shape {maps.shape}, not feature maps (channels, height, width); "
                         "choose a convolution or pooling layer")
    channels = most_active(maps, top) if top else list(range(maps.shape[0]))
    scale = colors.auto(maps)
    zoom = canvas.zoom_for(maps.shape[1:], target=84)
    tiles = [canvas.values_image(maps[c], scale, zoom) for c in channels]
    labels = [f"ch {c}\n[{colors.fmt(maps[c].min())}, {colors.fmt(maps[c].max())}]" for c in channels]
    c, h, w = maps.shape
    shown = f"the {len(channels)} most active of {c} channels" if top and top < c else f"{c} channels"
    grid = canvas.grid(tiles, labels, columns=min(len(tiles), 8), keys=[(name, ch) for ch in channels])
    return grid.compose(f"{name} ({kind})", f"{shown}, {h}x{w} each; values {colors.fmt(maps.min())} to "
                        f"{colors.fmt(maps.max())}", below=[canvas.colorbar(scale)], border=0)


def feature_grid(model: Module, maps: dict[str, np.ndarray], image: np.ndarray | None = None,
                 top: int | None = None, title: str | None = None) -> Grid:
    """Every layer of `maps` (from `feature_maps`) drawn as a section of tiles; `image` (uint8
    (C, H, W), the input as the model sees it) is shown first. ``keys`` are (layer, channel)."""
    sections = [layer_section(n, type(get_layer(model, n)).__name__, m, top) for n, m in maps.items()]
    body = canvas.stack_grids(sections)
    if image is not None:
        zoom = canvas.zoom_for(image.shape[1:], target=112)
        shown = canvas.rgb_image(np.repeat(image, 3, axis=0) if image.shape[0] == 1 else image, zoom)
        header = canvas.titled(shown, "input", f"{image.shape[1]}x{image.shape[2]}, as the model sees it", 14)
        top_part = canvas.Grid(header, [])
        body = canvas.stack_grids([top_part, body])
    return body.compose(title, size=20)
