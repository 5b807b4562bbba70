"""MNIST, Fashion-MNIST and Kuzushiji-MNIST, read from their original gzip-compressed IDX files.

IDX layout (all integers 32-bit big-endian): two zero bytes, a type byte (0x08 = unsigned bytes), the
number of dimensions, then each dimension's size, then the data in row-major order. Image files are
(N, 28, 28), label files (N,).

>>> import convnet.data as data
>>> data.MNIST.classes[:3], data.FashionMNIST.classes[0], data.KMNIST.classes[1]
(('0', '1', '2'), 'T-shirt/top', 'ki')
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import ClassVar

import numpy as np

from .dataset import BatchTransform, ImageDataset
from .download import DatasetError, RemoteFile, locate_files


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode a gzip-compressed IDX file of unsigned bytes into a uint8 array of its declared shape.

    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.gz"
    >>> _ = p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])))
    >>> read_idx(p).tolist()
    [7, 2, 1]
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path} is not a readable gzip file ({e}); delete it and download it again"
                           ) from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes (header {raw[:4].hex()}, expected "
                           "0000 08 followed by the number of dimensions)")
    ndim = raw[3]
    start = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:start]) if len(raw) >= start else ()
    count = int(np.prod(shape)) if shape else -1
    if len(raw) - start != count:
        raise DatasetError(f"{path}: IDX header declares shape {shape} ({count} bytes of data) but "
                           f"{len(raw) - start} bytes follow; the file is damaged, delete it and download "
                           "it again")
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(shape)


def _idx_files(*specs: tuple[str, int, str, str | None]) -> dict[str, RemoteFile]:
    return {name: RemoteFile(name, size, sha256, md5) for name, size, sha256, md5 in specs}


class _IDXDataset(ImageDataset):
    """A 28x28 grayscale set distributed as MNIST's four IDX files (train-* and t10k-*)."""

    folder: ClassVar[str]
    mirrors: ClassVar[tuple[str, ...]]
    resources: ClassVar[dict[str, RemoteFile]]
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 download: bool = True, transform: BatchTransform | None = None) -> None:
        split = "train" if train else "t10k"
        names = (f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz")
        files = [self.resources[n] for n in names]
        image_path, label_path = locate_files(type(self).__name__, self.folder, files, self.mirrors, root,
                                              download)
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(f"{image_path} holds images {images.shape} and {label_path} labels "
                               f"{labels.shape}; expected (N, H, W) and (N,) with the same N")
        self.train = train
        images = images[:, None]  # (N, 1, H, W)
        super().__init__(images, labels, self.classes, transform, self.mean, self.std)


class MNIST(_IDXDataset):
    """MNIST handwritten digits (LeCun, Cortes, Burges): 60,000 train / 10,000 test, 1x28x28, white on black.

    Files are searched for and verified as described in `convnet.data.download`.

    >>> ds = MNIST(train=False)  # doctest: +SKIP
    >>> ds.images.shape, ds.targets[:3].tolist()  # doctest: +SKIP
    ((10000, 1, 28, 28), [7, 2, 1])
    """

    name = "mnist"
    folder = "mnist"
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/")
    # Published sizes, MD5 and SHA-256 of the original files (../shared/datasets/README.md)
    resources = _idx_files(
        ("train-images-idx3-ubyte.gz", 9912422,
         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
         "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", 28881,
         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
         "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", 1648877,
         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
         "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", 4542,
         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
         "ec29112dd5afa0611ce80d1b7f02629c"),
    )
    classes = tuple("0123456789")
    mean, std = (0.1307,), (0.3081,)  # training-set pixel statistics on the [0, 1] scale


class FashionMNIST(_IDXDataset):
    """Fashion-MNIST (Zalando Research): 10 kinds of clothing, 60,000 train / 10,000 test, 1x28x28.

    >>> FashionMNIST.classes[-1]
    'Ankle boot'
    """

    name = "fashion-mnist"
    folder = "fashion-mnist"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    # Published sizes, MD5 and SHA-256 of the original files (../shared/datasets/README.md)
    resources = _idx_files(
        ("train-images-idx3-ubyte.gz", 26421880,
         "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
         "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", 29515,
         "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
         "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", 4422102,
         "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
         "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", 5148,
         "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
         "bb300cfdad3c16e7a12a480ee83cd310"),
    )
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")
    mean, std = (0.2860,), (0.3530,)


class KMNIST(_IDXDataset):
    """Kuzushiji-MNIST (ROIS-DS CODH): 10 cursive hiragana, 60,000 train / 10,000 test, 1x28x28.

    Classes are the romanised syllables お き す つ な は ま や れ を.

    >>> KMNIST.classes
    ('o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo')
    """

    name = "kmnist"
    folder = "kmnist"
    mirrors = ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",)
    # The MD5s are those the KMNIST distribution has always been checked against (torchvision's table).
    # CODH publishes no SHA-256; these values were computed from the original files and agree across
    # independent tables (torchvision's prototype datasets, torchvision-ruby). Sizes: bytes of each file.
    resources = _idx_files(
        ("train-images-idx3-ubyte.gz", 18165135,
         "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
         "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", 29497,
         "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
         "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", 3041136,
         "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
         "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", 5120,
         "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
         "7320c461ea6c1c855c0b718fb2a4b134"),
    )
    classes = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    mean, std = (0.1918,), (0.3483,)
