"""Helpers for convnet.data tests: hand-written IDX files and their checksum entries."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np

from convnet.data import RemoteFile

# Read when the tests are collected, before the autouse fixture hides it: tests that need real data
# opt in with this; all others run as if it were unset.
REAL_DATA = os.environ.get("CONVNET_DATA")


def idx_bytes(array: np.ndarray) -> bytes:
    """An uncompressed IDX file of uint8 `array`, written by hand from the format's definition."""
    return struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def spec_of(name: str, content: bytes) -> RemoteFile:
    """The RemoteFile entry that `content` would have if it were the published file `name`."""
    sha256, md5 = hashlib.sha256(content).hexdigest(), hashlib.md5(content).hexdigest()
    return RemoteFile(name, len(content), sha256, md5)


class FakeIDXSet:
    """A tiny MNIST-like set: 5 train and 3 test images of 4x3 pixels, as the four original .gz files."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.arrays = {"train": (rng.integers(0, 256, (5, 4, 3), dtype=np.uint8), rng.integers(0, 10, 5)),
                       "t10k": (rng.integers(0, 256, (3, 4, 3), dtype=np.uint8), rng.integers(0, 10, 3))}
        self.files: dict[str, bytes] = {}
        for split, (images, labels) in self.arrays.items():
            self.files[f"{split}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images), mtime=0)
            self.files[f"{split}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels), mtime=0)
        self.resources = {name: spec_of(name, content) for name, content in self.files.items()}

    def write(self, folder: Path, names: list[str] | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in names or list(self.files):
            (folder / name).write_bytes(self.files[name])
        return folder
