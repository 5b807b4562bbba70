"""Fully convolutional inference on images of any size, in bounded memory, tile by tile.

An 8K photograph (3x4320x7680) is 400 MB as float32, and a 16-channel feature map of it
2 GB. `tiled_forward` runs the model on tiles instead and stitches their outputs into
exactly the result of running it on the whole image. It follows from the receptive field
(`convnet.inspect.receptive`): output cell y sees input pixels [u + y*j, v + y*j] (u < 0:
padding), where j is the total stride. So for the output cells [y0, y1) of a tile, the tile's
input must

* start at a multiple of j (every layer's grid then lines up with the whole image's), at or
  before u + y0*j, so that the first kept cell sees all its field;
* end at v + (y1 - 1)*j, so that the last one does too.

Cells whose field reaches past a tile edge that is not the image's edge would see the model's
zero padding instead of the neighbouring pixels, and are dropped; at the image's own edges the
model's padding is the real one. The model must keep a spatial grid to the end (no flatten,
linear layer or global pooling) and use fixed padding ("same" with stride depends on the size).

>>> import numpy as np, convnet as cn, convnet.nn as nn
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(4, 2, 3, padding=1))
>>> image = np.random.default_rng(0).random((1, 1, 50, 70), dtype=np.float32)
>>> with cn.no_grad():
...     whole = net(cn.tensor(image)).numpy()
>>> bool(np.array_equal(tiled_forward(net, image, tile=8), whole))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensor import Tensor
from .autograd import enable_grad, no_grad
from .errors import ConvnetValueError, ShapeError
from .inspect.receptive import Axis, trace_geometry


def output_geometry(model: Any, channels: int, probe: int = 64) -> tuple[Axis, Axis]:
    """The receptive-field geometry (u, v, j) of `model`'s output along height and width."""
    was_training = model.training
    model.eval()
    try:
        for size in (probe, 4 * probe, 16 * probe):
            x = Tensor(np.zeros((1, channels, size, size), np.float32), requires_grad=True)
            try:
                with enable_grad():
                    out = model(x)
                break
            except ValueError as e:      # too small for this model: try a larger probe
                error = e
        else:
            raise ConvnetValueError(f"tiled inference needs a fully convolutional model that accepts any image size; "
                                    f"this one fails on {probe}, {4 * probe} and {16 * probe} pixel inputs ({error})")
    finally:
        model.train(was_training)
    if not isinstance(out, Tensor) or out.ndim != 4:
        raise ConvnetValueError("tiled inference needs a fully convolutional model whose output is (N, C, H, W)")
    geo = trace_geometry(x, [out])[id(out)]
    if not geo.spatial:
        raise ConvnetValueError("tiled inference needs a fully convolutional model: this one reduces the spatial "
                                "grid (flatten, a linear layer or global pooling), so every output sees the whole "
                                "image and tiles cannot be computed separately")
    if any(float(a.j) != int(a.j) for a in (geo.h, geo.w)):
        raise ConvnetValueError("tiled inference needs whole-number strides (no transposed convolutions)")
    return geo.h, geo.w


def _bands(size: int, axis: Axis, tile: int) -> list[tuple[int, int, int, int | None]]:
    """Per band of output cells: (input start, input end, first kept cell, end of kept cells)."""
    u, v, j = int(axis.u), int(axis.v), int(axis.j)
    bands, y0 = [], 0
    while True:
        a = max(0, (u + y0 * j) // j * j)                   # a multiple of the stride
        b = min(size, v + (y0 + tile - 1) * j + 1)
        last = b == size
        bands.append((a, b, y0, None if last else y0 + tile))
        if last:
            return bands
        y0 += tile


def tiled_forward(model: Any, image: Any, tile: int = 256) -> np.ndarray:
    """Run a fully convolutional `model` on `image` (N, C, H, W) in tiles of `tile` x `tile`
    output cells; returns the same array as ``model(image)`` would, without holding the
    whole image's feature maps in memory at once."""
    x = image.numpy() if isinstance(image, Tensor) else np.asarray(image, dtype=np.float32)
    if x.ndim != 4:
        raise ShapeError(f"tiled_forward expects an (N, C, H, W) image, got shape {x.shape}")
    if tile < 1:
        raise ConvnetValueError(f"tile must be positive, got {tile}")
    gh, gw = output_geometry(model, x.shape[1])
    rows, cols = _bands(x.shape[2], gh, tile), _bands(x.shape[3], gw, tile)
    was_training = model.training
    model.eval()
    try:
        band_rows = []
        for ra, rb, ry0, ry1 in rows:
            pieces = []
            for ca, cb, cx0, cx1 in cols:
                with no_grad():
                    out = model(Tensor(np.ascontiguousarray(x[:, :, ra:rb, ca:cb]))).numpy()
                top, left = ry0 - ra // int(gh.j), cx0 - ca // int(gw.j)  # tile cell k = global a/j + k
                bottom = None if ry1 is None else top + (ry1 - ry0)
                right = None if cx1 is None else left + (cx1 - cx0)
                pieces.append(np.array(out[:, :, top:bottom, left:right]))
            band_rows.append(np.concatenate(pieces, axis=3))
        return np.concatenate(band_rows, axis=2)
    finally:
        model.train(was_training)
