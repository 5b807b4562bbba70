"""Activation maximisation: the input a channel would most like to see.

Start from faint noise and climb the gradient of one channel's activation (at the centre
cell of its map) with respect to the input, a hundred or two small steps, with three kinds
of restraint so the
result is a pattern rather than noise the network happens to like: a random shift of
the image before each step (jitter, so the pattern must work wherever it lands), a
slight pull towards zero (L2 decay) and a gentle Gaussian blur every few steps. Pixels
stay within what the data's normalisation allows. All chosen channels are optimised at
once, one image each in a batch.

>>> import convnet as cn
>>> model = cn.models.create("lenet5", input_size=28)
>>> meta = {"mean": [0.13], "std": [0.31], "in_channels": 1, "image_size": [28, 28]}
>>> result = dream(model, meta, "features.0", channels=[0, 1], steps=8)
>>> result.images.shape, result.images.dtype, len(result.activations)
((2, 1, 28, 28), dtype('uint8'), 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import filters
from .._tensor import Tensor
from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from ..nn import functional as F
from . import canvas, colors
from .canvas import Grid
from .images import denormalise
from .patches import pick_channels
from .probe import input_gradient
from .receptive import Region, field_geometry


@dataclass
class Dream:
    """The images found (uint8 (K, C, H, W)), the channels they are for, each channel's centre-cell
    activation on its image at the start and at the end, and that cell's receptive field."""

    layer: str
    channels: list[int]
    images: np.ndarray
    start: list[float]
    activations: list[float]
    field: Region


def _blur(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Each channel of x (N, C, H, W) blurred with a small 2-D kernel (zero padding, same size)."""
    n, c, h, w = x.shape
    out = F.conv2d(Tensor(x.reshape(n * c, 1, h, w)), Tensor(kernel[None, None]), padding="same")
    return out.numpy().reshape(n, c, h, w)


def dream(model: Module, dataset_meta: dict[str, Any], layer: str, channels: Sequence[int] | None = None,
          steps: int = 160, lr: float = 0.05, decay: float = 0.005, blur_every: int = 4, jitter: int | None = None,
          seed: int = 0) -> Dream:
    """Gradient ascent on the input, for each channel of `layer` in `channels` (default: the first 16),
    maximising the activation of the channel's centre cell.

    Each step moves the input by `lr` times the gradient scaled to unit mean magnitude, shrinks
    it by `decay`, and every `blur_every` steps blurs it; the image is shifted by up to `jitter`
    pixels before each gradient (default: a seventh of the receptive field, so small fields are
    not smeared). `dataset_meta` gives mean, std, in_channels and image_size.
    """
    if steps < 1:
        raise ConvnetValueError(f"dream: steps must be at least 1, got {steps}")
    mean = np.asarray(dataset_meta["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(dataset_meta["std"], np.float32).reshape(1, -1, 1, 1)
    lo, hi = (0.0 - mean) / std, (1.0 - mean) / std                     # the normalised pixel range
    shape = (int(dataset_meta["in_channels"]), *(int(v) for v in dataset_meta["image_size"]))
    rng = np.random.default_rng(seed)
    field = field_geometry(model, layer, shape)
    jitter = max(field.receptive_field) // 7 if jitter is None else jitter
    probe_out, _ = input_gradient(model, layer, np.zeros((1, *shape), np.float32), lambda s: np.zeros(s))
    if probe_out.ndim != 4:
        raise ShapeError(f"layer {layer} outputs shape {probe_out.shape[1:]}, not feature maps; choose a convolution "
                         "or pooling layer")
    chosen = pick_channels(channels, probe_out.shape[1])
    k = len(chosen)
    weights = np.zeros((k, *probe_out.shape[1:]), np.float32)
    oh, ow = probe_out.shape[2:]
    weights[np.arange(k), chosen, oh // 2, ow // 2] = 1.0                      # each image: its channel's centre cell
    blur = filters.gaussian(3, 0.5)
    x = (rng.normal(0.0, 0.1, (k, *shape)) / std).astype(np.float32)
    start: list[float] = []
    for t in range(steps):
        dy, dx = (int(v) for v in rng.integers(-jitter, jitter + 1, 2))
        out, grad = input_gradient(model, layer, np.roll(x, (dy, dx), axis=(2, 3)), weights)
        if t == 0:
            start = (out * weights).sum(axis=(1, 2, 3)).tolist()
        grad = np.roll(grad, (-dy, -dx), axis=(2, 3))
        grad /= np.abs(grad).mean(axis=(1, 2, 3), keepdims=True) + 1e-8
        x = (x + lr * grad) * (1.0 - decay)
        if blur_every and t % blur_every == blur_every - 1:
            x = _blur(x, blur)
        x = np.clip(x, lo, hi).astype(np.float32)
    final, _ = input_gradient(model, layer, x, np.zeros_like(weights))
    return Dream(layer, chosen, denormalise(x, dataset_meta), start, (final * weights).sum(axis=(1, 2, 3)).tolist(),
                 field.at((oh // 2, ow // 2)))


def dream_grid(result: Dream, kind: str = "", title: str | None = None) -> Grid:
    """One tile per channel: the image found, cropped to the receptive field of the centre cell,
    labelled with the activation it reaches."""
    crops = [result.field.crop(im) for im in result.images]
    zoom = canvas.zoom_for(crops[0].shape[1:], target=96)
    tiles = [canvas.rgb_image(np.repeat(im, 3, axis=0) if im.shape[0] == 1 else im, zoom) for im in crops]
    labels = [f"ch {c}\n{colors.fmt(a)}" for c, a in zip(result.channels, result.activations, strict=True)]
    grid = canvas.grid(tiles, labels, columns=min(len(tiles), 8), keys=[(result.layer, c) for c in result.channels])
    what = f"{result.layer} ({kind})" if kind else result.layer
    rh, rw = result.field.receptive_field
    return grid.compose(title or f"{what}: the input each channel would most like to see",
                        "gradient ascent on the input from faint noise, with jitter, L2 decay and blur, for the "
                        f"centre cell of each channel; shown: that cell's {rh}x{rw} receptive field, labelled with "
                        "the activation reached", size=18)
