"""File formats (IDX, the CIFAR-10 binary archive) and the dataset registry, on small hand-made files."""

from __future__ import annotations

import gzip
import io
import tarfile

import numpy as np
import pytest
from data_helpers import idx_bytes, spec_of

import convnet.data as data
from convnet.data import CIFAR10, KMNIST, MNIST, DatasetError, FashionMNIST, read_cifar_archive, read_idx


# ------------------------------------------------------------------ IDX
def test_read_idx_matches_the_array_written(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(array)))
    out = read_idx(path)
    assert out.shape == (7, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("raw, message", [
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01abcd", "not an IDX file of unsigned bytes"),  # float data
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "declares shape (5,)"),  # data cut short
    (b"\x00\x00\x08\x02\x00\x00", "declares shape ()"),  # header cut short
])
def test_read_idx_rejects_malformed_files(tmp_path, raw, message):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_idx(path)


def test_read_idx_rejects_a_file_that_is_not_gzip(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x00")
    with pytest.raises(DatasetError, match="not a readable gzip file"):
        read_idx(path)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
def test_idx_datasets_read_both_splits(cls, fake_idx, tmp_path, monkeypatch):
    monkeypatch.setattr(cls, "resources", fake_idx.resources)
    fake_idx.write(tmp_path / cls.folder)
    for train, split in [(True, "train"), (False, "t10k")]:
        ds = cls(root=tmp_path, train=train, download=False)
        images, labels = fake_idx.arrays[split]
        assert ds.images.shape == (len(images), 1, 4, 3) and ds.images.dtype == np.uint8
        assert ds.targets.dtype == np.int64
        np.testing.assert_array_equal(ds.images[:, 0], images)
        np.testing.assert_array_equal(ds.targets, labels)
        assert (ds.num_classes, ds.in_channels, ds.image_size) == (10, 1, (4, 3))
        assert ds.mean == cls.mean and ds.std == cls.std and ds.classes == cls.classes
        image, label = ds[1]
        assert image.shape == (1, 4, 3) and label == labels[1] and isinstance(label, int)


def test_idx_dataset_rejects_mismatched_counts(fake_idx, tmp_path, monkeypatch):
    files = dict(fake_idx.files)
    files["t10k-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(np.arange(4)))
    monkeypatch.setattr(MNIST, "resources", {n: spec_of(n, c) for n, c in files.items()})
    (tmp_path / "mnist").mkdir()
    for name, content in files.items():
        (tmp_path / "mnist" / name).write_bytes(content)
    with pytest.raises(DatasetError, match=r"\(3, 4, 3\).*\(4,\)"):
        MNIST(root=tmp_path, train=False, download=False)


# ------------------------------------------------------------------ CIFAR-10
def cifar_archive(batches: dict[str, np.ndarray], extra_first: bool = True) -> bytes:
    """A tar.gz laid out like cifar-10-binary.tar.gz, with `batches` (name -> records (n, 3073))."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        members = [("batches.meta.txt", b"airplane\n")] if extra_first else []
        members += [(name, records.tobytes()) for name, records in batches.items()]
        for name, content in members:
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def records(rng: np.random.Generator, n: int) -> np.ndarray:
    table = rng.integers(0, 256, (n, 3073), dtype=np.uint8)
    table[:, 0] = rng.integers(0, 10, n)
    return table


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    """A small archive whose training batches are stored out of order (5, 3, 1, 4, 2), in root/cifar-10/."""
    rng = np.random.default_rng(0)
    batches = {f"data_batch_{i}.bin": records(rng, i) for i in (5, 3, 1, 4, 2)}
    batches["test_batch.bin"] = records(rng, 4)
    content = cifar_archive(batches)
    (tmp_path / "cifar-10").mkdir()
    (tmp_path / "cifar-10" / "cifar-10-binary.tar.gz").write_bytes(content)
    monkeypatch.setattr(CIFAR10, "archive", spec_of("cifar-10-binary.tar.gz", content))
    return batches


def test_cifar_reads_records_as_chw_in_batch_order(fake_cifar, tmp_path):
    train = CIFAR10(root=tmp_path, download=False)
    expected = np.concatenate([fake_cifar[f"data_batch_{i}.bin"] for i in range(1, 6)])  # (15, 3073)
    assert train.images.shape == (15, 3, 32, 32) and train.images.dtype == np.uint8
    np.testing.assert_array_equal(train.targets, expected[:, 0])
    # a record: label, 1024 red bytes, then green, then blue, each plane row-major: (c, y, x) is 1+1024c+32y+x
    for n, c, y, x in [(0, 0, 0, 0), (3, 1, 5, 7), (14, 2, 31, 31)]:
        assert train.images[n, c, y, x] == expected[n, 1 + 1024 * c + 32 * y + x]
    test = CIFAR10(root=tmp_path, train=False, download=False)
    np.testing.assert_array_equal(test.targets, fake_cifar["test_batch.bin"][:, 0])
    assert test.in_channels == 3 and test.classes[3] == "cat" and len(test.mean) == 3
    unpacked = sorted(p.name for p in (tmp_path / "cifar-10").iterdir())
    assert unpacked == ["cifar-10-binary.tar.gz"]  # read in place, nothing written beside it


def test_cifar_archive_missing_a_batch(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "a.tar.gz"
    path.write_bytes(cifar_archive({f"data_batch_{i}.bin": records(rng, 2) for i in (1, 2, 3, 4)}))
    with pytest.raises(DatasetError, match="data_batch_5.bin"):
        read_cifar_archive(path, train=True)


def test_cifar_archive_with_partial_record(tmp_path):
    path = tmp_path / "a.tar.gz"
    path.write_bytes(cifar_archive({"test_batch.bin": np.zeros((1, 3000), np.uint8)}))
    with pytest.raises(DatasetError, match="3000 bytes, not a whole number of 3073-byte records"):
        read_cifar_archive(path, train=False)


def test_cifar_archive_that_is_not_a_tar(tmp_path):
    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"definitely not gzip")
    with pytest.raises(DatasetError, match="not a readable tar.gz"):
        read_cifar_archive(path)


# ------------------------------------------------------------------ registry
def test_list_datasets():
    assert data.list_datasets() == ["cifar10", "fashion-mnist", "kmnist", "mnist", "synth-digits"]


def test_get_dataset_by_any_spelling(fake_idx, tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "resources", fake_idx.resources)
    fake_idx.write(tmp_path / "fashion-mnist")
    ds = data.get_dataset("Fashion_MNIST", train=False, root=tmp_path, download=False)
    assert isinstance(ds, FashionMNIST) and len(ds) == 3 and ds.classes[0] == "T-shirt/top"


def test_get_dataset_synth_passes_options():
    ds = data.get_dataset("synth-digits", train=False, size=30, seed=4, cache=False)
    assert isinstance(ds, data.SynthDigits) and len(ds) == 30 and ds.seed == 4 and not ds.train


def test_get_dataset_unknown_name_suggests():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnsit'.*Did you mean 'mnist'"):
        data.get_dataset("mnsit")


def test_class_names():
    assert MNIST.classes == tuple(str(d) for d in range(10))
    assert FashionMNIST.classes == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                    "Sneaker", "Bag", "Ankle boot")
    assert KMNIST.classes == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    assert CIFAR10.classes == ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                               "ship", "truck")
