"""Helpers shared by the viz tests: reading tiles back out of rendered pictures."""

from __future__ import annotations

import numpy as np


def box_pixels(image: object, box: tuple[int, int, int, int]) -> np.ndarray:
    """The RGB pixels of `image` inside `box` (left, top, right, bottom)."""
    return np.asarray(image)[box[1]:box[3], box[0]:box[2]]


def upscaled(rgb: np.ndarray, zoom: int) -> np.ndarray:
    return np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1)
