"""SynthDigits: deterministic, cached safely, and its images look like MNIST and carry their labels."""

from __future__ import annotations

import numpy as np
import pytest

from convnet.data import SynthDigits, generate_digits
from convnet.data.download import cache_dir


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return generate_digits(2000, seed=7)


def test_same_parameters_same_arrays():
    a, b = SynthDigits(size=300, seed=5, cache=False), SynthDigits(size=300, seed=5, cache=False)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.targets, b.targets)
    other = SynthDigits(size=300, seed=6, cache=False)
    assert (other.images != a.images).mean() > 0.1
    test = SynthDigits(train=False, size=300, seed=5, cache=False)
    assert (test.images != a.images).mean() > 0.1  # train and test are different draws


def test_a_smaller_set_is_a_prefix_of_a_larger_one():
    small, large = generate_digits(1000, seed=2), generate_digits(1300, seed=2)
    np.testing.assert_array_equal(large[0][:1000], small[0])
    np.testing.assert_array_equal(large[1][:1000], small[1])


def test_format_and_balanced_classes(digits):
    images, labels = digits
    assert images.shape == (2000, 1, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [200] * 10  # each chunk of 1,000 is balanced


def test_white_digit_on_black_centred_like_mnist(digits):
    images = digits[0][:, 0].astype(np.float64)  # (N, 28, 28)
    assert np.all(images.max(axis=(1, 2)) >= 200)  # bright strokes
    ring = np.ones((28, 28), bool)
    ring[2:-2, 2:-2] = False  # the two outermost rows and columns
    assert images[:, ring].mean() < 8 and np.median(images) < 20  # dark background and margins
    mass = images.sum(axis=(1, 2))
    cy = (images.sum(axis=2) @ np.arange(28)) / mass
    cx = (images.sum(axis=1) @ np.arange(28)) / mass
    assert abs(cx.mean() - 13.5) < 0.5 and abs(cy.mean() - 13.5) < 0.5
    assert np.all(np.hypot(cx - 13.5, cy - 13.5) < 4.5)


def test_labels_describe_the_images(digits):
    """A nearest-class-mean classifier fit on half the set must do far better than chance on the rest."""
    images, labels = digits
    x = images.reshape(len(images), -1).astype(np.float64)
    fit, held = slice(0, 1000), slice(1000, 2000)
    means = np.stack([x[fit][labels[fit] == k].mean(axis=0) for k in range(10)])  # (10, 784)
    distance = ((x[held, None, :] - means[None]) ** 2).sum(axis=2)  # (1000, 10)
    accuracy = (distance.argmin(axis=1) == labels[held]).mean()
    assert accuracy > 0.5, accuracy


def test_cache_is_written_once_and_reused(monkeypatch):
    first = SynthDigits(train=False, size=50, seed=1)
    files = list((cache_dir() / "synth-digits").glob("*.npz"))
    assert len(files) == 1 and "test-n50-seed1" in files[0].name
    monkeypatch.setattr("convnet.data.synth.generate_digits", lambda *a: pytest.fail("regenerated"))
    second = SynthDigits(train=False, size=50, seed=1)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.targets, second.targets)


def test_a_damaged_cache_file_is_regenerated(tmp_path):
    first = SynthDigits(root=tmp_path, size=40, seed=3)
    (path,) = (tmp_path / "synth-digits").glob("*.npz")
    path.write_bytes(path.read_bytes()[:100])
    again = SynthDigits(root=tmp_path, size=40, seed=3)
    np.testing.assert_array_equal(first.images, again.images)
    assert np.load(path, allow_pickle=False)["images"].shape == (40, 1, 28, 28)  # rewritten whole
    assert [p.name for p in (tmp_path / "synth-digits").iterdir()] == [path.name]  # no temporary left


def test_dataset_facts():
    ds = SynthDigits(size=20, cache=False)
    assert ds.classes == tuple("0123456789") and ds.num_classes == 10
    assert (ds.in_channels, ds.image_size) == (1, (28, 28))
    assert 0 < ds.mean[0] < 0.5 and 0 < ds.std[0] < 0.5


@pytest.mark.parametrize("kwargs, message", [({"size": 0}, "size must be a positive int"),
                                             ({"size": 10, "seed": -1}, "seed must be a non-negative int")])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SynthDigits(cache=False, **kwargs)
