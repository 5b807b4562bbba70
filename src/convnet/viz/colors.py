"""Colour scales: the one place where numbers become colours.

Four colormaps, each a few control points interpolated linearly in RGB:

* ``"diverging"`` for signed values (kernels, convolution outputs, gradients): blue below
  zero, near-white at zero, red above, on a scale symmetric about zero so that equal
  magnitudes get equally strong colours;
* ``"sequential"`` for values that are never negative (activations after ReLU): black for
  nothing, through purple and orange, to pale yellow for the strongest response;
* ``"blues"`` for counts and fractions (a confusion matrix): white for none, dark blue for all;
* ``"gray"`` for images themselves.

>>> scale = symmetric(np.array([-2.0, 0.5]))
>>> scale.lo, scale.hi
(-2.0, 2.0)
>>> scale(np.array([-2.0, 0.0, 2.0])).tolist()
[[33, 102, 172], [247, 247, 247], [178, 24, 43]]
>>> fmt(0.1111), fmt(-3.0), fmt(1234.5)
('0.111', '-3', '1.23e+03')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConvnetValueError

# control points: position in [0, 1] -> RGB
_COLORMAPS: dict[str, tuple[tuple[float, ...], tuple[tuple[int, int, int], ...]]] = {
    "diverging": ((0.0, 0.25, 0.42, 0.5, 0.58, 0.75, 1.0),
                  ((33, 102, 172), (103, 169, 207), (209, 229, 240), (247, 247, 247), (253, 219, 199),
                   (239, 138, 98), (178, 24, 43))),
    "sequential": ((0.0, 0.25, 0.5, 0.75, 1.0),
                   ((0, 0, 4), (81, 18, 124), (183, 55, 121), (252, 137, 97), (252, 253, 191))),
    "blues": ((0.0, 0.5, 1.0), ((247, 251, 255), (107, 174, 214), (8, 48, 107))),
    "gray": ((0.0, 1.0), ((0, 0, 0), (255, 255, 255))),
}


@dataclass(frozen=True)
class ColorScale:
    """Values from `lo` to `hi` mapped through a colormap (values outside are clipped).

    Call it on an array of any shape to get uint8 RGB of that shape plus a last axis of 3.
    """

    lo: float
    hi: float
    cmap: str = "diverging"

    def __post_init__(self) -> None:
        if self.cmap not in _COLORMAPS:
            raise ConvnetValueError(f"unknown colormap {self.cmap!r}; available: {', '.join(_COLORMAPS)}")

    def __call__(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        span = self.hi - self.lo
        t = np.clip((v - self.lo) / span, 0.0, 1.0) if span > 0 else np.full(v.shape, 0.5)
        t = np.nan_to_num(t, nan=0.5)
        positions, stops = _COLORMAPS[self.cmap]
        table = np.asarray(stops, dtype=np.float64)                          # (P, 3)
        rgb = np.stack([np.interp(t, positions, table[:, c]) for c in range(3)], axis=-1)
        return np.rint(rgb).astype(np.uint8)

    @property
    def ticks(self) -> list[float]:
        """The values worth labelling on a colour bar: the ends, and zero when it lies between."""
        return [self.lo, 0.0, self.hi] if self.lo < 0 < self.hi else [self.lo, self.hi]


def _finite(arrays: tuple[np.ndarray, ...]) -> np.ndarray:
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    values = np.concatenate(flat) if flat else np.zeros(0)
    return values[np.isfinite(values)]


def symmetric(*arrays: np.ndarray) -> ColorScale:
    """A diverging scale centred on zero, reaching the largest magnitude in `arrays`."""
    values = _finite(arrays)
    m = float(np.abs(values).max()) if values.size else 0.0
    m = m if m > 0 else 1.0
    return ColorScale(-m, m, "diverging")


def sequential(*arrays: np.ndarray, lo: float | None = None) -> ColorScale:
    """A sequential scale over the range of `arrays` (from `lo`, e.g. 0, when given)."""
    values = _finite(arrays)
    low = float(values.min()) if lo is None and values.size else float(lo or 0.0)
    high = float(values.max()) if values.size else low + 1.0
    return ColorScale(low, high if high > low else low + 1.0, "sequential")


def auto(*arrays: np.ndarray) -> ColorScale:
    """`symmetric` if any value is negative, else `sequential` from zero."""
    values = _finite(arrays)
    return symmetric(values) if values.size and values.min() < 0 else sequential(values, lo=0.0)


def gray(lo: float = 0.0, hi: float = 255.0) -> ColorScale:
    """The scale for images: black at `lo`, white at `hi`."""
    return ColorScale(lo, hi, "gray")


def fmt(value: float) -> str:
    """A number short enough to write in a cell or a label (3 significant digits)."""
    text = f"{float(value):.3g}"
    return "0" if text in ("-0", "0") else text
