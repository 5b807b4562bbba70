"""The receptive field of one output cell: the input pixels it can see, drawn on the image.

The numbers come from the model's summary (`convnet.inspect`): a cell (y, x) of a layer
with receptive field r, effective stride j and effective padding P sees input rows
y*j - P to y*j - P + r - 1 (and the same for columns). Parts that fall outside the image
are padding. The gradient of that one output with respect to the input is non-zero only
inside this region; `receptive_field_figure` can show it too, which makes visible that
the centre of the field counts more than its rim.

>>> import convnet as cn
>>> r = receptive_region(cn.models.create("lenet5"), "features.3", (0, 0), (1, 32, 32))
>>> r.receptive_field, (r.top, r.left, r.bottom, r.right)
((14, 14), (0, 0, 13, 13))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from . import canvas, colors
from .canvas import Grid
from .probe import check_channels, get_layer

REGION = canvas.HIGHLIGHT


@dataclass(frozen=True)
class Region:
    """The input region seen by output cell `position` of `layer` (bounds inclusive; they may lie
    outside the image, in the padding)."""

    layer: str
    kind: str
    position: tuple[int, int]
    top: int
    left: int
    bottom: int
    right: int
    receptive_field: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_shape: tuple[int, ...]
    input_shape: tuple[int, int, int]

    @property
    def clipped(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of the part inside the image."""
        h, w = self.input_shape[1:]
        return max(self.top, 0), max(self.left, 0), min(self.bottom, h - 1), min(self.right, w - 1)

    def mask(self) -> np.ndarray:
        """A boolean (H, W) array, True on the input pixels the cell sees."""
        h, w = self.input_shape[1:]
        t, left, b, r = self.clipped
        rows, cols = np.arange(h), np.arange(w)
        return ((rows >= t) & (rows <= b))[:, None] & ((cols >= left) & (cols <= r))[None, :]

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The field cut out of `image` (C, H, W), zeros where it reaches into the padding."""
        h, w = self.input_shape[1:]
        over = max(0, -self.top, -self.left, self.bottom - (h - 1), self.right - (w - 1))
        padded = np.pad(image, ((0, 0), (over, over), (over, over)))
        return padded[:, self.top + over:self.bottom + over + 1, self.left + over:self.right + over + 1]

    def describe(self) -> str:
        t, left, b, r = self.clipped
        y, x = self.position
        text = (f"{self.layer} ({self.kind}), output {'x'.join(map(str, self.output_shape))}: cell (row {y}, column "
                f"{x}) sees input rows {t}-{b}, columns {left}-{r}")
        if (t, left, b, r) != (self.top, self.left, self.bottom, self.right):
            text += f" (its full field, rows {self.top} to {self.bottom} and columns {self.left} to {self.right}, " \
                    "reaches into the padding)"
        return text


def _whole(value: object, what: str) -> tuple[int, int]:
    pair = np.broadcast_to(np.asarray(value, dtype=np.float64), 2)
    if not np.all(pair == np.round(pair)):
        raise ConvnetValueError(f"the layer's {what} is fractional ({value}); its field cannot be drawn as one box")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True)
class FieldGeometry:
    """How the cells of one layer map onto the input: receptive field, effective stride and padding."""

    layer: str
    kind: str
    receptive_field: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    output_shape: tuple[int, ...]
    input_shape: tuple[int, int, int]

    def at(self, position: Sequence[int] | None = None) -> Region:
        """The `Region` of cell `position` (row, column; default: the centre cell)."""
        oh, ow = self.output_shape[1:]
        y, x = (oh // 2, ow // 2) if position is None else (int(position[0]), int(position[1]))
        if not (0 <= y < oh and 0 <= x < ow):
            raise ConvnetValueError(
                f"position ({y}, {x}) is outside layer {self.layer}'s {oh}x{ow} output: rows go from 0 "
                f"to {oh - 1}, columns from 0 to {ow - 1}"
            )
        top, left = y * self.stride[0] - self.padding[0], x * self.stride[1] - self.padding[1]
        return Region(self.layer, self.kind, (y, x), top, left, top + self.receptive_field[0] - 1,
                      left + self.receptive_field[1] - 1, self.receptive_field, self.stride, self.padding,
                      self.output_shape, self.input_shape)


def field_geometry(model: Module, layer: str, input_shape: Sequence[int]) -> FieldGeometry:
    """The `FieldGeometry` of `layer` for inputs of `input_shape` (C, H, W), from the model's summary."""
    from ..inspect import summary

    get_layer(model, layer)
    shape = tuple(int(v) for v in input_shape)
    check_channels(model, shape[0], "the input")
    row = summary(model, shape).layer(layer)
    if len(row.output_shape) != 3:
        raise ShapeError(f"layer {layer} ({row.type}) outputs {'x'.join(map(str, row.output_shape))}, not a grid of "
                         "cells: every output sees the whole input; choose a convolution or pooling layer")
    rf, stride, pad = (_whole(v, what) for v, what in ((row.receptive_field, "receptive field"),
                                                        (row.effective_stride, "effective stride"),
                                                        (row.effective_padding, "effective padding")))
    return FieldGeometry(layer, row.type, rf, stride, pad, row.output_shape, shape)  # type: ignore[arg-type]


def receptive_region(model: Module, layer: str, position: Sequence[int] | None, input_shape: Sequence[int]
                     ) -> Region:
    """The `Region` of cell `position` (row, column; default: the centre cell) of `layer`,
    for inputs of `input_shape` (C, H, W), from the summary's receptive-field arithmetic."""
    return field_geometry(model, layer, input_shape).at(position)


def _input_panel(region: Region, image: np.ndarray | None) -> Image.Image:
    """The image (or a blank canvas) with the padding the field reaches drawn round it, and the field boxed."""
    c, h, w = region.input_shape
    over = max(0, -region.top, -region.left, region.bottom - (h - 1), region.right - (w - 1))
    zoom = canvas.zoom_for((h + 2 * over, w + 2 * over), target=320)
    if image is None:
        pixels = np.full((h, w, 3), 236, np.uint8)
    else:
        pixels = np.repeat(image, 3, axis=0).transpose(1, 2, 0) if image.shape[0] == 1 else image.transpose(1, 2, 0)
    page = np.full((h + 2 * over, w + 2 * over, 3), 255, np.uint8)
    hatch = np.ones(page.shape[:2], bool)
    hatch[over:over + h, over:over + w] = False
    page[over:over + h, over:over + w] = pixels
    big = canvas.upscale(page, zoom)
    img = Image.fromarray(canvas.hatched(big, canvas.upscale(hatch[..., None], zoom)[..., 0]))
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    box = [(region.left + over) * zoom, (region.top + over) * zoom,
           (region.right + over + 1) * zoom - 1, (region.bottom + over + 1) * zoom - 1]
    draw.rectangle(box, fill=(*REGION, 45), outline=(*REGION, 255), width=3)
    return Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")


def _output_panel(region: Region) -> Image.Image:
    oh, ow = region.output_shape[1:]
    cell = int(max(4, min(28, 224 // max(oh, ow))))
    rgb = np.full((oh, ow, 3), 247, np.uint8)
    y, x = region.position
    rgb[y, x] = REGION
    return canvas.matrix(rgb, None, cell, line=canvas.FRAME if cell >= 8 else (247, 247, 247))


def receptive_field_figure(region: Region, image: np.ndarray | None = None, gradient: np.ndarray | None = None
                           ) -> Grid:
    """The input (uint8 (C, H, W), or a blank canvas) with the cell's field boxed, the layer's output
    grid with the cell marked, and optionally |gradient| (H, W) of that cell's output w.r.t. the input."""
    panels = [[canvas.text_image("input: the field of the cell", 13, color=canvas.MUTED),
               _input_panel(region, image)],
              [canvas.text_image(f"{region.layer}: {region.output_shape[1]}x{region.output_shape[2]} cells", 13,
                                 color=canvas.MUTED), _output_panel(region)]]
    if gradient is not None:
        scale = colors.sequential(gradient, lo=0.0)
        zoom = canvas.zoom_for(gradient.shape, target=224)
        panels.append([canvas.text_image("|d output / d input|: where it looks", 13, color=canvas.MUTED),
                       canvas.values_image(gradient, scale, zoom), canvas.colorbar(scale)])
    body, boxes = canvas.place(panels, column_gap=36)
    rf, st, pad = region.receptive_field, region.stride, region.padding
    facts = (f"Receptive field {rf[0]}x{rf[1]}, effective stride {st[0]}x{st[1]}, effective padding "
             f"{pad[0]}x{pad[1]}; hatched: padding")
    return Grid(body, [boxes[0][1]], ["input"]).compose(
        "What one output cell sees", f"{region.describe()}. {facts}",
        size=20)
