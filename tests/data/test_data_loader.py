"""DataLoader batching and reproducibility; TensorDataset, Subset, random_split, ImageDataset."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
from convnet.data import DataLoader, Dataset, ImageDataset, Subset, TensorDataset, random_split
from convnet.data import transforms as T

N = 23


@pytest.fixture
def images() -> ImageDataset:
    """23 images whose first pixel is their index, labels index % 5."""
    x = np.random.default_rng(0).integers(0, 256, (N, 1, 6, 6), dtype=np.uint8)
    x[:, 0, 0, 0] = np.arange(N)
    return ImageDataset(x, np.arange(N) % 5, classes=list("abcde"))


def ids(batch) -> list[int]:
    """Which samples a batch holds, read back from their first pixel."""
    return np.rint(batch[0].numpy()[:, 0, 0, 0] * 255).astype(int).tolist()


def epoch_ids(loader) -> list[list[int]]:
    return [ids(b) for b in loader]


def test_batches_in_order_with_types(images):
    loader = DataLoader(images, batch_size=5)
    batches = list(loader)
    assert len(loader) == 5 == len(batches)
    assert [len(x) for x, _ in batches] == [5, 5, 5, 5, 3]
    x, y = batches[1]
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (5, 1, 6, 6)
    np.testing.assert_array_equal(x.numpy(), images.images[5:10] / np.float32(255))
    assert sum(epoch_ids(loader), []) == list(range(N))
    assert np.concatenate([y.numpy() for _, y in loader]).tolist() == (np.arange(N) % 5).tolist()


def test_drop_last(images):
    loader = DataLoader(images, batch_size=5, drop_last=True)
    assert len(loader) == 4 and [len(x) for x, _ in loader] == [5] * 4
    assert len(DataLoader(images, batch_size=23, drop_last=True)) == 1
    assert len(DataLoader(images, batch_size=24, drop_last=True)) == 0


def test_shuffle_is_the_stated_permutation_of_seed_and_epoch(images):
    loader = DataLoader(images, batch_size=4, shuffle=True, seed=42)
    first, second = sum(epoch_ids(loader), []), sum(epoch_ids(loader), [])
    assert first == np.random.Generator(np.random.PCG64([42, 0])).permutation(N).tolist()
    assert second == np.random.Generator(np.random.PCG64([42, 1])).permutation(N).tolist()
    assert first != second and sorted(first) == sorted(second) == list(range(N))
    assert loader.epoch == 2


def test_same_seed_same_batches_other_seed_other_batches(images):
    a = DataLoader(images, batch_size=4, shuffle=True, seed=1)
    b = DataLoader(images, batch_size=4, shuffle=True, seed=1)
    c = DataLoader(images, batch_size=4, shuffle=True, seed=2)
    assert epoch_ids(a) == epoch_ids(b) != epoch_ids(c)


def test_an_interrupted_pass_does_not_advance_the_epoch(images):
    loader = DataLoader(images, batch_size=4, shuffle=True, seed=3)
    for _ in loader:
        break
    assert loader.epoch == 0
    list(loader)
    assert loader.epoch == 1


def test_resumed_run_sees_the_same_batches_and_augmentation(images):
    augment = T.Compose([T.RandomAffine(degrees=20, translate=(0.2, 0.2)), T.RandomCrop(6, padding=1),
                         T.ToFloat(), T.Normalize([0.5], [0.25])])
    run = DataLoader(images, batch_size=4, shuffle=True, seed=9, transform=augment)
    epochs = [[(x.numpy(), y.numpy()) for x, y in run] for _ in range(3)]
    resumed = DataLoader(images, batch_size=4, shuffle=True, seed=9, transform=augment)
    resumed.set_epoch(2)
    again = [(x.numpy(), y.numpy()) for x, y in resumed]
    for (xa, ya), (xb, yb) in zip(epochs[2], again, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(epochs[1][0][0], epochs[2][0][0])
    restored = DataLoader(images, batch_size=4, shuffle=True, seed=0, transform=augment)
    state = run.state_dict()
    assert state == {"seed": 9, "epoch": 3}
    restored.load_state_dict({"seed": 9, "epoch": 2})
    np.testing.assert_array_equal(next(iter(restored))[0].numpy(), epochs[2][0][0])


def test_augmentation_differs_between_batches_and_epochs():
    same = ImageDataset(np.full((8, 1, 8, 8), 200, np.uint8), np.zeros(8, int))
    loader = DataLoader(same, batch_size=4, seed=0, transform=T.RandomShift(3))
    (a, _), (b, _) = list(loader)
    (c, _), _ = list(loader)
    assert not np.array_equal(a.numpy(), b.numpy()) and not np.array_equal(a.numpy(), c.numpy())


def test_dataset_transform_applies_to_items_and_batches(images):
    flip = ImageDataset(images.images, images.targets, transform=T.RandomHorizontalFlip(p=1.0))
    np.testing.assert_array_equal(flip[3][0], images.images[3, :, :, ::-1])
    batch, _ = next(iter(DataLoader(flip, batch_size=2)))
    np.testing.assert_array_equal(batch.numpy(), images.images[:2, :, :, ::-1] / np.float32(255))


def test_seed_none_follows_manual_seed(images):
    cn.manual_seed(5)
    a = DataLoader(images, batch_size=4, shuffle=True)
    cn.manual_seed(5)
    b = DataLoader(images, batch_size=4, shuffle=True)
    assert a.seed == b.seed and epoch_ids(a) == epoch_ids(b)


@pytest.mark.parametrize("kwargs, message", [({"batch_size": 0}, "batch_size must be an integer >= 1"),
                                             ({"batch_size": 2.5}, "batch_size"),
                                             ({"seed": -3}, "seed must be an integer >= 0")])
def test_loader_argument_errors(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(images, **kwargs)


def test_tensor_dataset_batches_keep_their_kinds():
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    ds = TensorDataset(cn.tensor(x), np.arange(10), np.linspace(0, 1, 10))
    xb, yb, zb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64 and zb.dtype == np.float32
    np.testing.assert_array_equal(xb.numpy(), x[:4])
    with pytest.raises(ValueError, match=r"share their first dimension, got lengths \[10, 3\]"):
        TensorDataset(np.zeros(10), np.zeros(3))


def test_custom_dataset_with_only_getitem():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.full((1, 2, 2), i * i, np.uint8), i

    batches = list(DataLoader(Squares(), batch_size=3))
    assert [y.numpy().tolist() for _, y in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[1][0].numpy()[:, 0, 0, 0].tolist() == pytest.approx([9 / 255, 16 / 255, 25 / 255])


def test_subset_and_its_facts(images):
    sub = Subset(images, [4, -1, 0])
    assert len(sub) == 3 and sub.indices.tolist() == [4, 22, 0]
    assert sub[1][1] == 22 % 5 and sub.classes == images.classes and sub.in_channels == 1
    x, y = sub.get_batch([2, 0])
    np.testing.assert_array_equal(x, images.images[[0, 4]])
    with pytest.raises(IndexError, match="out of range for 3 samples"):
        sub[3]
    with pytest.raises(IndexError, match="23 samples"):
        Subset(images, [23])
    assert not hasattr(sub, "images")  # only dataset facts pass through, not the full arrays


def test_random_split(images):
    parts = random_split(images, [10, 8, 5], seed=0)
    assert [len(p) for p in parts] == [10, 8, 5]
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(N))
    again = random_split(images, [10, 8, 5], seed=0)
    assert all(np.array_equal(p.indices, q.indices) for p, q in zip(parts, again, strict=True))
    assert [len(p) for p in random_split(images, [0.5, 0.3, 0.2], seed=1)] == [12, 7, 4]
    with pytest.raises(ValueError, match="summing to the dataset's 23 samples"):
        random_split(images, [10, 10])


def test_image_dataset_validation():
    with pytest.raises(ValueError, match="uint8 array"):
        ImageDataset(np.zeros((2, 1, 3, 3), np.float32), [0, 1])
    with pytest.raises(ValueError, match="2 integer labels"):
        ImageDataset(np.zeros((2, 1, 3, 3), np.uint8), [0, 1, 2])
    with pytest.raises(ValueError, match="labels range over 0..3 but there are 2 classes"):
        ImageDataset(np.zeros((2, 1, 3, 3), np.uint8), [0, 3], classes=["a", "b"])
    ds = ImageDataset(np.zeros((2, 1, 3, 3), np.uint8), [0, 1])
    with pytest.raises(TypeError, match="use get_batch"):
        ds[[0, 1]]
    assert ds[-1][1] == 1 and repr(ds) == "ImageDataset(2 images 1x3x3, 2 classes)"
    with pytest.raises(IndexError, match="range over 0..2, out of range for 2 samples"):
        ds.get_batch([0, 2])


def test_prefetching_gives_the_same_batches() -> None:
    from convnet.data import DataLoader, SynthDigits
    from convnet.data import transforms as T

    ds = SynthDigits(size=300, seed=1, cache=False)
    augment = T.Compose([T.RandomAffine(degrees=10, translate=(0.1, 0.1)), T.ToFloat()])
    a = DataLoader(ds, batch_size=64, shuffle=True, seed=5, transform=augment, prefetch=True)
    b = DataLoader(ds, batch_size=64, shuffle=True, seed=5, transform=augment, prefetch=False)
    for _ in range(2):                                   # two epochs
        for (xa, ya), (xb, yb) in zip(a, b, strict=True):
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    first = next(iter(a))                                # an abandoned epoch stops cleanly
    assert first[0].shape == (64, 1, 28, 28)
