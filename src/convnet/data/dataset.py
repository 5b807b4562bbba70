"""Datasets: indexable collections of samples, and in-memory image sets read a whole batch at a time.

`Dataset` is the interface (``len``, ``ds[i]``, ``ds.get_batch(indices)``); `ImageDataset` holds a whole
split in memory as uint8 images (N, C, H, W) and int64 targets (N,), so that a batch is one fancy-index.

>>> import numpy as np
>>> ds = ImageDataset(np.zeros((6, 1, 4, 4), np.uint8), np.arange(6) % 2, classes=["even", "odd"])
>>> images, labels = ds.get_batch([5, 0])
>>> images.shape, labels.tolist()
((2, 1, 4, 4), [1, 0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError
from ..random import default_generator

BatchTransform = Callable[[np.ndarray, np.random.Generator | None], np.ndarray]  # (N, C, H, W) -> batch


class Dataset:
    """The interface every dataset follows: ``len(ds)``, ``ds[i]`` and ``ds.get_batch(indices, rng)``.

    Subclass it and define ``__len__`` and ``__getitem__``; the default `get_batch` stacks items one by
    one. In-memory datasets override `get_batch` with one vectorized gather.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return np.full((1, 2, 2), i * i, np.uint8), i
    >>> x, y = Squares().get_batch([1, 3])
    >>> x[:, 0, 0, 0].tolist(), y.tolist()
    ([1, 9], [1, 3])
    """

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def get_batch(self, indices: Sequence[int] | np.ndarray, rng: np.random.Generator | None = None
                  ) -> tuple[np.ndarray, ...]:
        """The samples at `indices`, each field stacked along a new first axis."""
        items = [self[int(i)] for i in np.asarray(indices).reshape(-1)]
        if not items:
            raise ConvnetValueError("get_batch needs at least one index")
        return tuple(np.stack([np.asarray(item[k]) for item in items]) for k in range(len(items[0])))


def _check_index(index: Any, length: int, who: str) -> int:
    """`index` as a non-negative int below `length`, with a clear error otherwise."""
    if isinstance(index, bool) or not isinstance(index, int | np.integer):
        raise ConvnetTypeError(f"{who} indices must be integers, got {type(index).__name__}; "
                               "use get_batch(indices) for several samples at once")
    i = int(index) + (length if index < 0 else 0)
    if not 0 <= i < length:
        raise IndexError(f"{who} index {int(index)} is out of range for {length} samples")
    return i


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of uint8 images (N, C, H, W), on the [0, 1] scale.

    Exact and fast: each channel's 256-bin histogram gives both moments.

    >>> channel_stats(np.array([[[[0, 255]]]], np.uint8))
    ((0.5,), (0.5,))
    """
    values = np.arange(256, dtype=np.float64) / 255.0
    means, stds = [], []
    for c in range(images.shape[1]):
        counts = np.bincount(images[:, c].reshape(-1), minlength=256)
        p = counts / counts.sum()
        mean = float(p @ values)
        means.append(round(mean, 6))
        stds.append(round(float(np.sqrt(max(p @ values**2 - mean * mean, 0.0))), 6))
    return tuple(means), tuple(stds)


class ImageDataset(Dataset):
    """A labelled image set held in memory: ``images`` uint8 (N, C, H, W), ``targets`` int64 (N,).

    ``ds[i]`` returns ``(image (C, H, W), label)``; ``get_batch(indices, rng)`` returns
    ``(images (B, C, H, W), labels (B,))``. A `transform` (a batch transform from
    `convnet.data.transforms`) is applied to both. ``mean``/``std`` are the per-channel statistics used
    for normalisation, on the [0, 1] scale (computed from the images when not given).

    >>> ds = ImageDataset(np.full((3, 1, 2, 2), 255, np.uint8), [0, 1, 1], classes=["a", "b"])
    >>> ds.num_classes, ds.in_channels, ds.image_size, ds.mean, ds[1][1]
    (2, 1, (2, 2), (1.0,), 1)
    """

    name = "images"

    def __init__(self, images: np.ndarray, targets: Sequence[int] | np.ndarray,
                 classes: Sequence[str] | None = None, transform: BatchTransform | None = None,
                 mean: Sequence[float] | None = None, std: Sequence[float] | None = None) -> None:
        images = np.asarray(images)
        targets = np.asarray(targets)
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ShapeError(f"images must be a uint8 array (N, C, H, W), got {images.dtype} {images.shape}")
        if targets.shape != images.shape[:1] or (targets.size and targets.dtype.kind not in "iu"):
            raise ShapeError(f"targets must be {images.shape[0]} integer labels, got {targets.dtype} "
                             f"{targets.shape}")
        if classes is None:
            classes = [str(k) for k in range(int(targets.max()) + 1 if targets.size else 0)]
        if targets.size and not 0 <= targets.min() <= targets.max() < len(classes):
            raise ConvnetValueError(f"labels range over {targets.min()}..{targets.max()} but there are "
                                    f"{len(classes)} classes")
        self.images = images
        self.targets = targets.astype(np.int64, copy=False)
        self.classes = tuple(classes)
        self.transform = transform
        if mean is None or std is None:
            mean, std = channel_stats(images)
        self.mean, self.std = tuple(mean), tuple(std)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def in_channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> tuple[int, int]:
        return self.images.shape[2], self.images.shape[3]

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        i = _check_index(index, len(self), type(self).__name__)
        image = self.images[i]
        if self.transform is not None:
            image = self.transform(image[None], None)[0]
        return image, int(self.targets[i])

    def get_batch(self, indices: Sequence[int] | np.ndarray, rng: np.random.Generator | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """``(images (B, C, H, W), labels (B,))`` at `indices`, through the dataset's transform if any."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size and not -len(self) <= indices.min() <= indices.max() < len(self):
            raise IndexError(f"{type(self).__name__} indices range over {indices.min()}..{indices.max()}, "
                             f"out of range for {len(self)} samples")
        images = self.images[indices]
        if self.transform is not None:
            images = self.transform(images, rng)
        return images, self.targets[indices]

    def __repr__(self) -> str:
        c, h, w = self.images.shape[1:]
        return f"{type(self).__name__}({len(self)} images {c}x{h}x{w}, {self.num_classes} classes)"


class TensorDataset(Dataset):
    """Samples made of rows of equally long arrays (or Tensors), e.g. ``TensorDataset(x, y)``.

    >>> ds = TensorDataset(np.arange(12.0).reshape(6, 2), np.arange(6))
    >>> len(ds), ds[2][0].tolist(), int(ds[2][1])
    (6, [4.0, 5.0], 2)
    """

    def __init__(self, *arrays: np.ndarray | Tensor) -> None:
        if not arrays:
            raise ConvnetValueError("TensorDataset needs at least one array")
        self.arrays = tuple(a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays)
        lengths = [a.shape[0] if a.ndim else 0 for a in self.arrays]
        if len(set(lengths)) != 1 or any(a.ndim == 0 for a in self.arrays):
            raise ConvnetValueError(f"TensorDataset arrays must share their first dimension, got lengths {lengths}")

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        i = _check_index(index, len(self), "TensorDataset")
        return tuple(a[i] for a in self.arrays)

    def get_batch(self, indices: Sequence[int] | np.ndarray, rng: np.random.Generator | None = None
                  ) -> tuple[np.ndarray, ...]:
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(a[indices] for a in self.arrays)


_INFO = frozenset({"classes", "num_classes", "in_channels", "image_size", "mean", "std", "name"})


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order; dataset facts (classes, mean...) pass through.

    >>> base = TensorDataset(np.arange(10))
    >>> sub = Subset(base, [7, 3])
    >>> len(sub), int(sub[0][0]), sub.get_batch([1, 0])[0].tolist()
    (2, 7, [3, 7])
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if indices.size and not (-n <= indices.min() and indices.max() < n):
            raise IndexError(f"Subset indices range over {indices.min()}..{indices.max()}, "
                             f"but the dataset has {n} samples")
        self.dataset = dataset
        self.indices = indices % max(n, 1)

    def __getattr__(self, name: str) -> Any:
        if name in _INFO:
            return getattr(self.dataset, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __len__(self) -> int:
        return self.indices.shape[0]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[_check_index(index, len(self), "Subset")])]

    def get_batch(self, indices: Sequence[int] | np.ndarray, rng: np.random.Generator | None = None
                  ) -> tuple[np.ndarray, ...]:
        return self.dataset.get_batch(self.indices[np.asarray(indices, dtype=np.int64)], rng)


def random_split(dataset: Dataset, lengths: Sequence[int | float], seed: int | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random `Subset` s of the given lengths, or fractions summing to 1.

    The permutation depends only on `seed` (drawn from convnet's generator when None). Fractions are
    rounded down and the leftover samples dealt one by one to the first parts.

    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val), sorted(train.indices.tolist() + val.indices.tolist()) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths) and lengths:
        if abs(sum(lengths) - 1.0) > 1e-6 or min(lengths) < 0:
            raise ConvnetValueError(f"random_split fractions must be >= 0 and sum to 1, got {list(lengths)}")
        sizes = [int(f * n) for f in lengths]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
    else:
        sizes = [int(x) for x in lengths]
        if any(x < 0 for x in sizes) or sum(sizes) != n or any(x != y for x, y in zip(sizes, lengths,
                                                                                        strict=True)):
            raise ConvnetValueError(f"random_split lengths {list(lengths)} must be non-negative integers summing "
                                    f"to the dataset's {n} samples (or fractions summing to 1)")
    if seed is None:
        seed = int(default_generator().integers(2**63))
    order = np.random.Generator(np.random.PCG64(seed)).permutation(n)
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
