"""Batch transforms: each works on a whole batch of images (N, C, H, W) at once, vectorized with NumPy.

A transform is called as ``t(batch, rng)``. Random transforms draw everything from `rng` (the
`DataLoader` passes a generator seeded by (seed, epoch, batch), so augmentation repeats exactly);
without one they use convnet's global generator (`convnet.manual_seed`).

>>> import numpy as np
>>> from convnet.data import transforms as T
>>> t = T.Compose([T.RandomShift(2), T.ToFloat(), T.Normalize([0.5], [0.5])])
>>> out = t(np.zeros((4, 1, 28, 28), np.uint8), np.random.default_rng(0))
>>> out.shape, out.dtype, float(out.min())
((4, 1, 28, 28), dtype('float32'), -1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError
from ..random import default_generator

Interpolation = Literal["bilinear", "nearest"]


def _check_batch(batch: np.ndarray, who: object) -> np.ndarray:
    batch = np.asarray(batch)
    if batch.ndim != 4:
        name = who if isinstance(who, str) else type(who).__name__
        raise ShapeError(f"{name} expects a batch of images (N, C, H, W), got shape "
                         f"{batch.shape}; add the missing axes, e.g. image[None] for one (C, H, W) image")
    return batch


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return default_generator() if rng is None else rng


def _pair(value: int | Sequence[int], what: str) -> tuple[int, int]:
    """(h, w) from an int or a pair of positive ints."""
    h, w = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if int(h) != h or int(w) != w or h < 1 or w < 1:
        raise ConvnetValueError(f"{what} must be a positive int or a pair of them, got {value!r}")
    return int(h), int(w)


def _range(value: float | Sequence[float], what: str) -> tuple[float, float]:
    """(lo, hi) from a number d (meaning -d..d) or an explicit pair."""
    lo, hi = (-abs(value), abs(value)) if isinstance(value, int | float) else (float(v) for v in value)
    if lo > hi:
        raise ConvnetValueError(f"{what} range must have low <= high, got {value!r}")
    return lo, hi


def _like(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float32 sampling results back to uint8 (rounded, clipped) when the input was uint8."""
    return np.clip(np.rint(out), 0, 255).astype(np.uint8) if dtype == np.uint8 else out


class Transform:
    """Base of batch transforms: ``t(batch (N, C, H, W), rng=None) -> batch``."""

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply transforms in order, passing the same generator along.

    >>> Compose([ToFloat(), Normalize([0.5], [0.25])])(np.full((1, 1, 1, 1), 255, np.uint8)).item()
    2.0
    """

    def __init__(self, transforms: Sequence[Callable[..., np.ndarray]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        for t in self.transforms:
            batch = t(batch, rng)
        return batch


class ToFloat(Transform):
    """uint8 images to float32 in [0, 1] (divided by 255); other arrays are cast to float32 unchanged.

    >>> x = ToFloat()(np.array([[[[0, 255]]]], np.uint8))
    >>> x.dtype, x.tolist()
    (dtype('float32'), [[[[0.0, 1.0]]]])
    """

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return to_float32(_check_batch(batch, self))


def to_float32(array: np.ndarray) -> np.ndarray:
    """What `ToFloat` does, for arrays of any shape: uint8 / 255 as float32, anything else cast to float32.

    >>> to_float32(np.array([255], np.uint8)).tolist(), to_float32(np.array([2.5])).dtype
    ([1.0], dtype('float32'))
    """
    if array.dtype == np.uint8:
        return np.divide(array, np.float32(255.0), dtype=np.float32)
    return array.astype(np.float32, copy=False)


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel, on float images (apply `ToFloat` first).

    >>> Normalize([0.5, 0.0], [0.5, 2.0])(np.ones((1, 2, 1, 1), np.float32)).ravel().tolist()
    [1.0, 0.5]
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        self.std = np.asarray(std, dtype=np.float32).reshape(-1)
        if self.mean.shape != self.std.shape or not np.all(self.std > 0):
            raise ConvnetValueError(f"Normalize needs one positive std per mean, got mean={list(mean)}, "
                                    f"std={list(std)}")

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        batch = _check_batch(batch, self)
        if batch.dtype.kind != "f":
            raise ConvnetTypeError(f"Normalize expects float images, got {batch.dtype}; put ToFloat() before it")
        if self.mean.size not in (1, batch.shape[1]):
            raise ShapeError(f"Normalize has {self.mean.size} means for {batch.shape[1]} channels")
        return ((batch - self.mean[:, None, None]) / self.std[:, None, None]).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop(Transform):
    """Crop each image at a random place, after padding its borders with `fill`.

    `size` is (h, w) or an int; None keeps the input size (so padding p gives random shifts of up to p
    pixels, see `RandomShift`). The offsets (of the padded images) come from `get_params`.

    >>> RandomCrop(24, padding=2)(np.zeros((8, 3, 28, 28), np.uint8)).shape
    (8, 3, 24, 24)
    """

    def __init__(self, size: int | Sequence[int] | None, padding: int = 0, fill: float = 0) -> None:
        if isinstance(padding, bool) or not isinstance(padding, int | np.integer) or padding < 0:
            raise ConvnetValueError(f"padding must be a non-negative int, got {padding!r}")
        self.size = None if size is None else _pair(size, "RandomCrop size")
        self.padding, self.fill = int(padding), fill

    def _crop_size(self, height: int, width: int) -> tuple[int, int]:
        th, tw = self.size or (height, width)
        ph, pw = height + 2 * self.padding, width + 2 * self.padding
        if th > ph or tw > pw:
            raise ConvnetValueError(f"cannot crop {th}x{tw} from {height}x{width} images padded by "
                                    f"{self.padding} ({ph}x{pw}); use a smaller size or more padding")
        return th, tw

    def get_params(self, shape: Sequence[int], rng: np.random.Generator | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Top and left offsets (N,) of each crop within the padded images, for a batch of `shape`."""
        n, _, h, w = shape
        th, tw = self._crop_size(h, w)
        rng = _rng(rng)
        top = rng.integers(0, h + 2 * self.padding - th + 1, size=n)
        left = rng.integers(0, w + 2 * self.padding - tw + 1, size=n)
        return top, left

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        batch = _check_batch(batch, self)
        top, left = self.get_params(batch.shape, rng)
        th, tw = self._crop_size(*batch.shape[2:])
        p = self.padding
        if p:
            batch = np.pad(batch, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        windows = sliding_window_view(batch, (th, tw), axis=(2, 3))  # (N, C, PH-th+1, PW-tw+1, th, tw)
        return windows[np.arange(len(batch)), :, top, left]  # (N, C, th, tw): one gather


class RandomShift(RandomCrop):
    """Shift each image by a random whole number of pixels, up to `max_shift` each way (border: `fill`).

    >>> x = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)
    >>> RandomShift(1)(x).shape
    (1, 1, 4, 4)
    """

    def __init__(self, max_shift: int, fill: float = 0) -> None:
        super().__init__(None, padding=max_shift, fill=fill)


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability `p`.

    >>> RandomHorizontalFlip(p=1.0)(np.array([[[[1, 2, 3]]]])).ravel().tolist()
    [3, 2, 1]
    """

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ConvnetValueError(f"p must be a probability in [0, 1], got {p}")
        self.p = p

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        batch = _check_batch(batch, self)
        flip = _rng(rng).random(len(batch)) < self.p  # (N,)
        return np.where(flip[:, None, None, None], batch[..., ::-1], batch)


def remap(batch: np.ndarray, xs: np.ndarray, ys: np.ndarray, interpolation: Interpolation = "bilinear",
          fill: float = 0.0) -> np.ndarray:
    """Sample each image of `batch` (N, C, H, W) at its own points: ``out[n, :, k] = batch[n, :, ys[n, k],
    xs[n, k]]``, interpolated; points outside the image see `fill`. Returns float32 (N, C, *xs.shape[1:]).

    Coordinates are in pixels, x to the right and y down, pixel centres at integers.

    >>> img = np.array([[[[0.0, 10.0]]]])
    >>> remap(img, np.array([[0.25, 1.0, 5.0]]), np.zeros((1, 3))).ravel().tolist()
    [2.5, 10.0, 0.0]
    """
    n, c, h, w = batch.shape
    out_shape = xs.shape[1:]
    stride = w + 3  # padded row length: one column of fill on the left, two on the right
    padded = np.pad(batch.astype(np.float32, copy=False), ((0, 0), (0, 0), (1, 2), (1, 2)),
                    constant_values=fill).ravel()  # (N*C*(H+3)*(W+3),): the ring of fill stands for "outside"
    base = np.arange(n * c, dtype=np.intp).reshape(n, c, 1) * ((h + 3) * stride)  # (N, C, 1) image starts
    # Points beyond the ring move onto it: they see only fill either way. Shape (N, 1, P), for all channels.
    xs = np.clip(np.asarray(xs, dtype=np.float32).reshape(n, 1, -1), -1, w)
    ys = np.clip(np.asarray(ys, dtype=np.float32).reshape(n, 1, -1), -1, h)
    if interpolation == "nearest":
        xs, ys = np.floor(xs + 0.5), np.floor(ys + 0.5)
    elif interpolation != "bilinear":
        raise ConvnetValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    x0, y0 = np.floor(xs), np.floor(ys)
    xs -= x0  # now the weights of the right and lower neighbours
    ys -= y0
    y0 += 1  # position of the top-left neighbour in `padded`, computed in place to spare memory traffic
    y0 *= stride
    y0 += x0 + 1
    at = y0.astype(np.intp) + base  # (N, C, P)
    out = padded.take(at)
    if interpolation == "bilinear":
        at += 1
        right = padded.take(at)
        at += stride - 1
        below = padded.take(at)
        at += 1
        below_right = padded.take(at)
        right -= out  # top row: out + fx * (right - out); bottom row likewise; then blend the rows by fy
        right *= xs
        out += right
        below_right -= below
        below_right *= xs
        below += below_right
        below -= out
        below *= ys
        out += below
    return out.reshape(n, c, *out_shape)


def warp_affine(batch: np.ndarray, matrices: np.ndarray, interpolation: Interpolation = "bilinear",
                fill: float = 0.0) -> np.ndarray:
    """Move each image by its own affine map: pixel (x, y) goes to ``A[n] @ (x, y, 1)`` (A: (N, 2, 3)).

    Same size and dtype out (uint8 results are rounded); uncovered pixels get `fill`.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> shift_right = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]])
    >>> warp_affine(x, shift_right)[0, 0].tolist()
    [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
    """
    batch = _check_batch(batch, "warp_affine")
    n, _, h, w = batch.shape
    forward = np.asarray(matrices, dtype=np.float64)
    inverse = np.linalg.inv(forward[:, :, :2])  # (N, 2, 2)
    shift = -np.einsum("nij,nj->ni", inverse, forward[:, :, 2])  # (N, 2): input = inverse @ output + shift
    gy, gx = np.divmod(np.arange(h * w, dtype=np.float32), np.float32(w))  # output pixel centres, (P,) each
    inverse, shift = inverse.astype(np.float32)[..., None], shift.astype(np.float32)[..., None]
    xs = inverse[:, 0, 0] * gx + inverse[:, 0, 1] * gy + shift[:, 0]  # (N, P): where each pixel comes from
    ys = inverse[:, 1, 0] * gx + inverse[:, 1, 1] * gy + shift[:, 1]
    out = remap(batch, xs, ys, interpolation, fill)  # (N, C, P)
    return _like(out.reshape(batch.shape), batch.dtype)


class RandomAffine(Transform):
    """Random rotation, translation, scaling and shear about each image's centre, as one warp.

    - `degrees`: rotation range, counter-clockwise as displayed; d means (-d, d).
    - `translate`: (fx, fy), maximal shifts as fractions of the width and height.
    - `scale`: (lo, hi) zoom range. `shear`: x-shear angle range in degrees; s means (-s, s).

    >>> aug = RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1))
    >>> aug(np.zeros((16, 1, 28, 28), np.uint8), np.random.default_rng(0)).shape
    (16, 1, 28, 28)
    """

    def __init__(self, degrees: float | Sequence[float] = 0.0, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: float | Sequence[float] | None = None,
                 interpolation: Interpolation = "bilinear", fill: float = 0.0) -> None:
        self.degrees = _range(degrees, "degrees")
        self.translate = None if translate is None else tuple(float(t) for t in translate)
        if self.translate is not None and (len(self.translate) != 2
                                           or not all(0 <= t <= 1 for t in self.translate)):
            raise ConvnetValueError(f"translate must be two fractions in [0, 1], got {translate!r}")
        self.scale = None if scale is None else _range(scale, "scale")
        if self.scale is not None and self.scale[0] <= 0:
            raise ConvnetValueError(f"scale factors must be positive, got {scale!r}")
        self.shear = None if shear is None else _range(shear, "shear")
        if interpolation not in ("bilinear", "nearest"):
            raise ConvnetValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.interpolation, self.fill = interpolation, fill

    def get_params(self, n: int, height: int, width: int, rng: np.random.Generator | None = None
                   ) -> np.ndarray:
        """The forward maps (N, 2, 3) for `n` images: angle, shift, scale, shear drawn in that order."""
        rng = _rng(rng)
        angle = np.deg2rad(rng.uniform(*self.degrees, size=n))
        shift = np.zeros((n, 2))
        if self.translate is not None:
            fx, fy = self.translate
            shift = np.stack([rng.uniform(-fx * width, fx * width, n),
                              rng.uniform(-fy * height, fy * height, n)], axis=1)
        s = rng.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        k = np.tan(np.deg2rad(rng.uniform(*self.shear, size=n))) if self.shear is not None else np.zeros(n)
        cos, sin = np.cos(angle), np.sin(angle)
        # M = s R [[1, k], [0, 1]], R = [[cos, sin], [-sin, cos]]: counter-clockwise as seen (y points down)
        m = s[:, None, None] * np.stack([np.stack([cos, cos * k + sin], 1),
                                          np.stack([-sin, cos - sin * k], 1)], 1)  # (N, 2, 2)
        centre = np.array([(width - 1) / 2, (height - 1) / 2])
        t = centre + shift - m @ centre  # (N, 2): keeps the centre fixed, then shifts
        return np.concatenate([m, t[:, :, None]], axis=2)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        batch = _check_batch(batch, self)
        n, _, h, w = batch.shape
        return warp_affine(batch, self.get_params(n, h, w, rng), self.interpolation, self.fill)


class RandomRotation(RandomAffine):
    """Rotate each image by a random angle in (-degrees, degrees) (or the given range) about its centre.

    >>> RandomRotation(15)(np.zeros((2, 1, 28, 28), np.float32)).shape
    (2, 1, 28, 28)
    """

    def __init__(self, degrees: float | Sequence[float], interpolation: Interpolation = "bilinear",
                 fill: float = 0.0) -> None:
        super().__init__(degrees=degrees, interpolation=interpolation, fill=fill)


class Resize(Transform):
    """Resize every image to `size` (h, w) with bilinear or nearest sampling (pixel-centre aligned).

    Like ``torch.nn.functional.interpolate(..., align_corners=False)``: no antialiasing when shrinking.

    >>> Resize(2)(np.array([[[[0.0, 2.0, 4.0, 6.0]] * 4]])).tolist()
    [[[[1.0, 5.0], [1.0, 5.0]]]]
    """

    def __init__(self, size: int | Sequence[int], interpolation: Interpolation = "bilinear") -> None:
        self.size = _pair(size, "Resize size")
        if interpolation not in ("bilinear", "nearest"):
            raise ConvnetValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.interpolation = interpolation

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        batch = _check_batch(batch, self)
        n, _, h, w = batch.shape
        oh, ow = self.size
        ys = np.clip((np.arange(oh) + 0.5) * (h / oh) - 0.5, 0, h - 1)
        xs = np.clip((np.arange(ow) + 0.5) * (w / ow) - 0.5, 0, w - 1)
        grid_y = np.broadcast_to(ys[None, :, None], (n, oh, ow))
        grid_x = np.broadcast_to(xs[None, None, :], (n, oh, ow))
        return _like(remap(batch, grid_x, grid_y, self.interpolation), batch.dtype)
