"""The real MNIST and Fashion-MNIST files from $CONVNET_DATA (skipped when it is not set).

Expected values come from ../shared/datasets/README.md and from decoding the files here, independently.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from data_helpers import REAL_DATA

from convnet.data import MNIST, FashionMNIST, channel_stats, get_dataset

COUNTS = {  # images per class, from the datasets' README
    ("mnist", True): [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    ("mnist", False): [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    ("fashion-mnist", True): [6000] * 10,
    ("fashion-mnist", False): [1000] * 10,
}
FIRST_LABELS = {
    ("mnist", True): [5, 0, 4, 1, 9, 2, 1, 3, 1, 4],
    ("mnist", False): [7, 2, 1, 0, 4, 1, 4, 9, 5, 9],
    ("fashion-mnist", True): [9, 0, 0, 3, 0, 2, 7, 2, 5, 5],
    ("fashion-mnist", False): [9, 2, 1, 1, 6, 1, 4, 6, 5, 7],
}


def _missing() -> str | None:
    if not REAL_DATA:
        return "CONVNET_DATA is not set: point it at ../shared/datasets to test reading the real files"
    absent = [name for name in ("mnist", "fashion-mnist") if not (Path(REAL_DATA) / name).is_dir()]
    return f"CONVNET_DATA={REAL_DATA} has no {', '.join(absent)}/ folder" if absent else None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")

_loaded: dict[tuple[str, bool], object] = {}


def load(name: str, train: bool, monkeypatch: pytest.MonkeyPatch):
    """A split read through $CONVNET_DATA, loaded once per session."""
    if (name, train) not in _loaded:
        monkeypatch.setenv("CONVNET_DATA", REAL_DATA)
        _loaded[name, train] = get_dataset(name, train=train, download=False)
    return _loaded[name, train]


@pytest.fixture(params=list(COUNTS), ids=lambda key: f"{key[0]}-{'train' if key[1] else 'test'}")
def real(request, monkeypatch):
    """(name, train, dataset) for each split of each dataset."""
    name, train = request.param
    return name, train, load(name, train, monkeypatch)


def decode(path: Path) -> np.ndarray:
    """Independent IDX decoding: struct for the header, as the README's table describes it."""
    raw = gzip.decompress(path.read_bytes())
    magic = struct.unpack(">I", raw[:4])[0]
    if magic == 2051:
        n, rows, cols = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw[16:], np.uint8).reshape(n, rows, cols)
    assert magic == 2049
    return np.frombuffer(raw[8:], np.uint8)


def test_shapes_and_dtypes(real):
    _, train, ds = real
    n = 60000 if train else 10000
    assert ds.images.shape == (n, 1, 28, 28) and ds.images.dtype == np.uint8
    assert ds.targets.shape == (n,) and ds.targets.dtype == np.int64
    assert (ds.num_classes, ds.in_channels, ds.image_size) == (10, 1, (28, 28))


def test_class_counts_and_first_labels(real):
    name, train, ds = real
    assert np.bincount(ds.targets, minlength=10).tolist() == COUNTS[name, train]
    assert ds.targets[:10].tolist() == FIRST_LABELS[name, train]


def test_pixels_and_labels_match_independent_decoding(real):
    name, train, ds = real
    split = "train" if train else "t10k"
    folder = Path(REAL_DATA) / name
    np.testing.assert_array_equal(ds.images[:, 0], decode(folder / f"{split}-images-idx3-ubyte.gz"))
    np.testing.assert_array_equal(ds.targets, decode(folder / f"{split}-labels-idx1-ubyte.gz"))


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_normalisation_constants_match_the_training_data(name, monkeypatch):
    ds = load(name, True, monkeypatch)
    mean, std = channel_stats(ds.images)
    np.testing.assert_allclose(mean, ds.mean, atol=5e-4)
    np.testing.assert_allclose(std, ds.std, atol=5e-4)


def test_root_argument_reads_the_same_files():
    ds = MNIST(root=REAL_DATA, train=False, download=False)
    assert ds.targets[:3].tolist() == [7, 2, 1]
    assert len(FashionMNIST(root=Path(REAL_DATA) / "fashion-mnist", train=False, download=False)) == 10000
