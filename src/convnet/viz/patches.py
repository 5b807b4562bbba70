"""What a channel responds to, in the data: the image patches that excite it most.

For every image of a dataset, the strongest activation of each channel of a layer and
where it is; for each channel, the images where it fired hardest, cropped to the receptive
field of the cell that fired. A first-layer channel's patches are a few pixels of one kind of
edge; a deeper channel's are larger and share a shape: a curve, a corner, a stroke ending.

>>> import convnet as cn
>>> from convnet.data import get_dataset
>>> ds = get_dataset("synth-digits", train=False, size=40, cache=False)
>>> meta = {"mean": list(ds.mean), "std": list(ds.std)}
>>> found = top_patches(cn.models.create("lenet5", input_size=28), ds, meta, "features.3", [0, 5], per_channel=4)
>>> [len(v) for v in found.values()], found[0][0].pixels.shape
([4, 4], (1, 14, 14))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from . import canvas, colors
from .canvas import Grid
from .images import normalise
from .probe import capture
from .receptive import field_geometry

DEFAULT_CHANNELS = 16


@dataclass
class Patch:
    """One image's strongest response of a channel: where, how strong, and the pixels it saw."""

    channel: int
    image_index: int
    position: tuple[int, int]
    activation: float
    pixels: np.ndarray          # uint8 (C, field_h, field_w), zeros where the field reaches into the padding


def pick_channels(channels: Sequence[int] | None, available: int) -> list[int]:
    """`channels` checked against the layer's count; by default the first 16."""
    if channels is None:
        return list(range(min(available, DEFAULT_CHANNELS)))
    bad = [c for c in channels if not 0 <= c < available]
    if bad:
        raise ConvnetValueError(
            f"channel(s) {bad} do not exist: the layer has {available} channels (0 to {available - 1})"
        )
    return list(channels)


def top_patches(model: Module, dataset: Any, dataset_meta: dict[str, Any], layer: str,
                channels: Sequence[int] | None = None, per_channel: int = 8, limit: int = 2000,
                batch_size: int = 250) -> dict[int, list[Patch]]:
    """For each channel of `layer`, the `per_channel` images (of the first `limit` in `dataset`)
    where it fires hardest, one patch per image, strongest first."""
    count = min(limit, len(dataset))
    best, where = [], []
    for start in range(0, count, batch_size):
        images, _ = dataset.get_batch(np.arange(start, min(start + batch_size, count)))
        acts = capture(model, normalise(images, dataset_meta), [layer])[layer]        # (B, C, H, W)
        if acts.ndim != 4:
            raise ShapeError(f"layer {layer} outputs shape {acts.shape[1:]}, not feature maps; choose a convolution "
                             "or pooling layer")
        flat = acts.reshape(*acts.shape[:2], -1)                                     # (B, C, H*W)
        best.append(flat.max(axis=2))
        where.append(flat.argmax(axis=2))
    strength, position = np.concatenate(best), np.concatenate(where)                 # (N, C)
    out_hw = acts.shape[2:]
    chosen = pick_channels(channels, strength.shape[1])
    geometry = field_geometry(model, layer, dataset.get_batch([0])[0].shape[1:])
    found: dict[int, list[Patch]] = {}
    for c in chosen:
        order = np.argsort(-strength[:, c], kind="stable")[:per_channel]
        images, _ = dataset.get_batch(order)
        found[c] = []
        for img, i in zip(images, order, strict=True):
            y, x = np.unravel_index(position[i, c], out_hw)
            region = geometry.at((int(y), int(x)))
            found[c].append(Patch(c, int(i), (int(y), int(x)), float(strength[i, c]), region.crop(img)))
    return found


def patches_grid(found: dict[int, list[Patch]], layer: str, kind: str = "", title: str | None = None) -> Grid:
    """One row per channel, its patches strongest first, each labelled with its activation."""
    patches = [p for row in found.values() for p in row]
    if not patches:
        raise ConvnetValueError("patches_grid: no patches to draw")
    zoom = canvas.zoom_for(patches[0].pixels.shape[1:], target=56)
    tiles = [canvas.rgb_image(np.repeat(p.pixels, 3, axis=0) if p.pixels.shape[0] == 1 else p.pixels, zoom)
             for p in patches]
    columns = max(len(row) for row in found.values())
    grid = canvas.grid(tiles, [colors.fmt(p.activation) for p in patches], columns=columns,
                       row_labels=[f"ch {c}" for c in found], keys=[(layer, p.channel) for p in patches], gap=6)
    fh, fw = patches[0].pixels.shape[1:]
    what = f"{layer} ({kind})" if kind else layer
    return grid.compose(title or f"{what}: the patches that excite each channel most",
                        f"one row per channel; each patch is the {fh}x{fw} receptive field of the channel's strongest "
                        "cell in one image, labelled with that activation", size=18)
