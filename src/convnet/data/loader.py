"""DataLoader: batches of a dataset as Tensors, shuffled and augmented reproducibly.

Epoch ``e`` of a loader with seed ``s`` visits the samples in the order
``np.random.Generator(np.random.PCG64([s, e])).permutation(n)``, and batch ``b`` of that epoch draws
its augmentation from ``PCG64(SeedSequence([s, e], spawn_key=(b,)))``: everything a batch contains is a
function of (seed, epoch, batch), so a run resumed at an epoch boundary (``set_epoch``) sees exactly
the batches it would have seen.

>>> import numpy as np
>>> from convnet.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(np.zeros((10, 1, 2, 2), np.uint8), np.arange(10)), batch_size=4,
...                     shuffle=True, seed=0)
>>> len(loader), [tuple(x.shape) for x, _ in loader]
(3, [(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)])
>>> loader.epoch  # advanced by the full pass
1
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..errors import ConvnetValueError
from ..random import default_generator
from .dataset import BatchTransform, Dataset
from .transforms import to_float32


def _check_count(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConvnetValueError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class DataLoader:
    """Iterate over `dataset` in batches: each batch is ``(images, labels)`` as Tensors.

    Images come out float32 (N, C, H, W): after `transform` (a batch transform, called with a generator
    seeded per batch), uint8 images are scaled to [0, 1]. Integer labels come out int64.
    ``len(loader)`` is the number of batches. With ``seed=None`` a seed is drawn from convnet's
    generator, so ``convnet.manual_seed`` makes the loader repeatable too. With ``prefetch``
    (the default) the next batch is prepared on a background thread while this one is used;
    the batches are the same either way.

    >>> import numpy as np
    >>> from convnet.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(np.arange(5.0)[:, None], np.arange(5)), batch_size=2,
    ...                     drop_last=True)
    >>> [y.numpy().tolist() for _, y in loader]
    [[0, 1], [2, 3]]
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None, transform: BatchTransform | None = None, prefetch: bool = True) -> None:
        self.dataset = dataset
        self.prefetch = prefetch
        self.batch_size = _check_count(batch_size, "batch_size", 1)
        self.shuffle, self.drop_last, self.transform = shuffle, drop_last, transform
        if seed is None:
            seed = int(default_generator().integers(2**63))
        self.seed = _check_count(seed, "seed", 0)
        self.epoch = 0

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch `epoch` (its order and augmentation depend only on seed and epoch)."""
        self.epoch = _check_count(epoch, "epoch", 0)

    def state_dict(self) -> dict[str, int]:
        """What a checkpoint needs to resume this loader at the next epoch: its seed and epoch."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a `state_dict`."""
        try:
            seed, epoch = state["seed"], state["epoch"]
        except (KeyError, TypeError):
            raise ConvnetValueError(f"not a DataLoader state (keys 'seed' and 'epoch'), got {state!r}") from None
        self.seed, self.epoch = _check_count(seed, "seed", 0), _check_count(epoch, "epoch", 0)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices (n,) visited in `epoch`, in order."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.Generator(np.random.PCG64([self.seed, epoch])).permutation(n)

    def _batch(self, order: np.ndarray, epoch: int, b: int) -> tuple[Tensor, ...]:
        """Batch `b` of `epoch`: its samples and augmentation depend only on (seed, epoch, b)."""
        seeds = np.random.SeedSequence([self.seed, epoch], spawn_key=(b,))
        rng = np.random.Generator(np.random.PCG64(seeds))
        fields = self.dataset.get_batch(order[b * self.batch_size:(b + 1) * self.batch_size], rng)
        images = fields[0] if self.transform is None else self.transform(fields[0], rng)
        return Tensor(to_float32(images)), *(Tensor(_as_label(f)) for f in fields[1:])

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        epoch = self.epoch
        order = self.order(epoch)
        n = len(self)
        if self.prefetch and n > 1:
            # prepare batch b + 1 on a second thread while batch b is used (NumPy releases the
            # GIL in the gathering and warping, so the two overlap on a multi-core machine)
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(self._batch, order, epoch, 0)
                for b in range(n):
                    batch = pending.result()
                    if b + 1 < n:
                        pending = pool.submit(self._batch, order, epoch, b + 1)
                    yield batch
        else:
            for b in range(n):
                yield self._batch(order, epoch, b)
        self.epoch = epoch + 1

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed}, epoch={self.epoch})")


def _as_label(field: np.ndarray) -> np.ndarray:
    """Integer fields become int64, float fields float32, anything else stays as it is."""
    if field.dtype.kind in "iu":
        return field.astype(np.int64, copy=False)
    return field.astype(np.float32, copy=False) if field.dtype.kind == "f" else field
