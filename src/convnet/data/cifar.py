"""CIFAR-10, read straight from its original binary archive ``cifar-10-binary.tar.gz`` (nothing unpacked).

Inside ``cifar-10-batches-bin/``, ``data_batch_1.bin`` .. ``data_batch_5.bin`` (training) and
``test_batch.bin`` hold records of 1 label byte followed by 3072 pixel bytes: the 32x32 red, green and
blue planes, each row-major (so a record's pixels are already (C, H, W)).

>>> from convnet.data import CIFAR10
>>> CIFAR10.classes[:3]
('airplane', 'automobile', 'bird')
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .dataset import BatchTransform, ImageDataset
from .download import DatasetError, RemoteFile, locate_files

_RECORD = 1 + 3 * 32 * 32  # label byte + CHW pixels


def read_cifar_archive(path: str | os.PathLike[str], train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 3, 32, 32) uint8 and labels (N,) int64 of one split, streamed from the tar.gz archive.

    The archive is read once, front to back; training batches are returned in the order 1..5.
    """
    path = Path(path)
    folder = "cifar-10-batches-bin/"
    wanted = [f"{folder}data_batch_{i}.bin" for i in range(1, 6)] if train else [f"{folder}test_batch.bin"]
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r|gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    found[member.name] = archive.extractfile(member).read()  # type: ignore[union-attr]
                    if len(found) == len(wanted):
                        break
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path} is not a readable tar.gz archive ({e}); delete it and download it again"
                           ) from None
    missing = [name for name in wanted if name not in found]
    if missing:
        raise DatasetError(f"{path} lacks {', '.join(missing)}; it is not the CIFAR-10 binary archive")
    records = []
    for name in wanted:
        if len(found[name]) % _RECORD:
            raise DatasetError(f"{path}: {name} has {len(found[name])} bytes, not a whole number of "
                               f"{_RECORD}-byte records")
        records.append(np.frombuffer(found[name], dtype=np.uint8).reshape(-1, _RECORD))  # (n, 3073)
    table = np.concatenate(records)  # (N, 3073)
    return table[:, 1:].reshape(-1, 3, 32, 32), table[:, 0].astype(np.int64)


class CIFAR10(ImageDataset):
    """CIFAR-10 (Krizhevsky, Nair, Hinton): 50,000 train / 10,000 test colour images, 3x32x32, 10 classes.

    The archive is searched for and verified as described in `convnet.data.download`.

    >>> ds = CIFAR10(train=False)  # doctest: +SKIP
    >>> ds.images.shape, ds.classes[ds.targets[0]]  # doctest: +SKIP
    ((10000, 3, 32, 32), 'cat')
    """

    name = "cifar10"
    folder = "cifar-10"
    mirrors = ("https://www.cs.toronto.edu/~kriz/",)
    # Size and MD5 as published by the authors (and ../shared/datasets/README.md). The authors publish no
    # SHA-256; this one was computed from the original archive and agrees across independent tables
    # (MLDatasets.jl, torchvision-ruby, studies that pin the archive together with the MD5 above).
    archive = RemoteFile("cifar-10-binary.tar.gz", 170052171,
                         "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                         "c32a1d4ab5d03f1284b67883e8d87530")
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # training set, [0, 1] scale

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 download: bool = True, transform: BatchTransform | None = None) -> None:
        (path,) = locate_files(type(self).__name__, self.folder, [self.archive], self.mirrors, root, download)
        images, labels = read_cifar_archive(path, train)
        self.train = train
        super().__init__(images, labels, self.classes, transform, self.mean, self.std)
