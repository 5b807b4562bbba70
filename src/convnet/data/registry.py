"""The dataset registry: `get_dataset` by name, and `list_datasets`.

>>> from convnet.data import list_datasets
>>> list_datasets()
['cifar10', 'fashion-mnist', 'kmnist', 'mnist', 'synth-digits']
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from ..errors import ConvnetValueError
from .cifar import CIFAR10
from .dataset import ImageDataset
from .mnist import KMNIST, MNIST, FashionMNIST
from .synth import SynthDigits

_DATASETS: dict[str, type[ImageDataset]] = {cls.name: cls for cls in (MNIST, FashionMNIST, KMNIST, CIFAR10)}
_GENERATED: dict[str, type[ImageDataset]] = {SynthDigits.name: SynthDigits}


def list_datasets() -> list[str]:
    """Names accepted by `get_dataset`, sorted."""
    return sorted({**_DATASETS, **_GENERATED})


def get_dataset(name: str, train: bool = True, root: str | os.PathLike[str] | None = None,
                download: bool = True, **kwargs: Any) -> ImageDataset:
    """The dataset called `name` (see `list_datasets`), its training or test split.

    `root` and `download` control where files come from (see `convnet.data.download`); for
    "synth-digits", which is generated, `root` is where the generated arrays are cached and `download`
    does not apply. Other keyword arguments go to the dataset's class (e.g. ``transform``, or ``size`` and
    ``seed`` for "synth-digits"). Names are case-insensitive and "_" counts as "-".

    >>> ds = get_dataset("synth-digits", train=False, size=10, cache=False)
    >>> ds.num_classes, ds.in_channels, ds.image_size
    (10, 1, (28, 28))
    """
    key = name.lower().replace("_", "-")
    if key in _GENERATED:
        return _GENERATED[key](root=root, train=train, **kwargs)
    if key in _DATASETS:
        return _DATASETS[key](root=root, train=train, download=download, **kwargs)
    close = difflib.get_close_matches(key, list_datasets(), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConvnetValueError(f"unknown dataset {name!r}; available: {', '.join(list_datasets())}.{hint}")
