"""Batch transforms against explicit arithmetic, NumPy slicing, and PyTorch's samplers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convnet.data import transforms as T


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def batch_u8(n: int = 6, c: int = 2, h: int = 9, w: int = 7, seed: int = 1) -> np.ndarray:
    return rng(seed).integers(0, 256, (n, c, h, w), dtype=np.uint8)


def test_to_float_divides_by_255():
    x = batch_u8()
    out = T.ToFloat()(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x.astype(np.float32) / np.float32(255))
    assert T.ToFloat()(np.ones((1, 1, 1, 1), np.float64) * 3).dtype == np.float32  # floats are only cast


def test_normalize_per_channel():
    x = rng().random((4, 3, 5, 5)).astype(np.float32)
    out = T.Normalize([0.1, 0.2, 0.3], [0.5, 1.0, 2.0])(x)
    for c, (m, s) in enumerate([(0.1, 0.5), (0.2, 1.0), (0.3, 2.0)]):
        np.testing.assert_allclose(out[:, c], (x[:, c] - m) / s, rtol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.parametrize("make, error, message", [
    (lambda: T.Normalize([0.5], [0.5])(np.zeros((1, 1, 2, 2), np.uint8)), TypeError, "put ToFloat"),
    (lambda: T.Normalize([0.5, 0.5], [0.5, 0.5])(np.zeros((1, 3, 2, 2), np.float32)), ValueError, "2 means"),
    (lambda: T.Normalize([0.5], [0.0]), ValueError, "positive std"),
    (lambda: T.ToFloat()(np.zeros((28, 28), np.uint8)), ValueError, r"got shape \(28, 28\)"),
    (lambda: T.RandomCrop(20, padding=2)(np.zeros((1, 1, 10, 10))), ValueError, "cannot crop 20x20"),
    (lambda: T.RandomCrop(3, padding=-1), ValueError, "non-negative"),
    (lambda: T.RandomAffine(translate=(0.5, 2)), ValueError, "two fractions"),
    (lambda: T.Resize(0), ValueError, "positive int"),
])
def test_errors_say_what_is_wrong(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_random_crop_equals_explicit_slicing():
    x = batch_u8()
    crop = T.RandomCrop((6, 5), padding=2, fill=7)
    out = crop(x, rng(3))
    top, left = crop.get_params(x.shape, rng(3))  # the same draws
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=7)
    assert out.shape == (6, 2, 6, 5) and out.dtype == np.uint8
    for n in range(len(x)):
        np.testing.assert_array_equal(out[n], padded[n, :, top[n]:top[n] + 6, left[n]:left[n] + 5])
    assert len(set(zip(top.tolist(), left.tolist(), strict=True))) > 1  # offsets really vary


def test_random_shift_moves_whole_images():
    x = batch_u8(n=20, c=1, h=6, w=6)
    shift = T.RandomShift(2)
    out = shift(x, rng(4))
    top, left = shift.get_params(x.shape, rng(4))
    for n in range(len(x)):
        dy, dx = 2 - top[n], 2 - left[n]  # content moves down by dy and right by dx
        expected = np.zeros_like(x[n])
        expected[:, max(dy, 0):6 + min(dy, 0), max(dx, 0):6 + min(dx, 0)] = \
            x[n, :, max(-dy, 0):6 - max(dy, 0), max(-dx, 0):6 - max(dx, 0)]
        np.testing.assert_array_equal(out[n], expected)


def test_horizontal_flip():
    x = batch_u8(n=50)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x, rng()), x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x, rng()), x[..., ::-1])
    out = T.RandomHorizontalFlip()(x, rng(9))
    flipped = rng(9).random(50) < 0.5  # the draw the transform makes
    np.testing.assert_array_equal(out[flipped], x[flipped, ..., ::-1])
    np.testing.assert_array_equal(out[~flipped], x[~flipped])
    assert 10 < flipped.sum() < 40


def test_rotation_by_90_degrees_is_rot90():
    x = batch_u8(n=3, c=2, h=8, w=8)
    out = T.RandomRotation((90, 90), interpolation="nearest")(x, rng())
    np.testing.assert_array_equal(out, np.rot90(x, k=1, axes=(2, 3)))  # counter-clockwise as displayed


def test_affine_equals_torch_grid_sample():
    x = rng(2).random((5, 3, 12, 12)).astype(np.float32)
    aug = T.RandomAffine(degrees=30, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=15)
    out = aug(x, rng(5))
    forward = aug.get_params(5, 12, 12, rng(5))  # (N, 2, 3), pixel coordinates
    inverse = np.linalg.inv(forward[:, :, :2])
    centre = np.full(2, 5.5)
    # the same inverse map in grid_sample's normalised coordinates (align_corners=False; square images)
    offset = (2 / 12) * (np.einsum("nij,nj->ni", inverse, centre - forward[:, :, 2]) - centre)
    theta = torch.tensor(np.concatenate([inverse, offset[:, :, None]], axis=2), dtype=torch.float32)
    grid = F.affine_grid(theta, [5, 3, 12, 12], align_corners=False)
    expected = F.grid_sample(torch.from_numpy(x), grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False)
    np.testing.assert_allclose(out, expected.numpy(), atol=2e-5)


def test_affine_keeps_uint8_and_is_reproducible():
    x = batch_u8(n=4, c=1, h=28, w=28)
    aug = T.RandomAffine(degrees=10, translate=(0.1, 0.1))
    a, b = aug(x, rng(1)), aug(x, rng(1))
    assert a.dtype == np.uint8 and a.shape == x.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, aug(x, rng(2)))


def test_warp_identity_and_whole_pixel_shift():
    x = rng().random((2, 1, 5, 6)).astype(np.float32)
    identity = np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (2, 1, 1))
    np.testing.assert_allclose(T.warp_affine(x, identity), x, atol=1e-6)
    down_right = np.tile(np.array([[1.0, 0, 2], [0, 1, 1]]), (2, 1, 1))
    out = T.warp_affine(x, down_right, fill=-1.0)
    np.testing.assert_allclose(out[:, :, 1:, 2:], x[:, :, :-1, :-2], atol=1e-6)
    assert np.all(out[:, :, 0, :] == -1) and np.all(out[:, :, :, :2] == -1)


@pytest.mark.parametrize("size", [(14, 14), (40, 33), (9, 20)])
def test_resize_matches_torch_interpolate(size):
    x = rng(3).random((2, 3, 28, 21)).astype(np.float32)
    out = T.Resize(size)(x)
    expected = F.interpolate(torch.from_numpy(x), size=size, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-5)
    nearest = T.Resize(size, interpolation="nearest")(x)
    expected = F.interpolate(torch.from_numpy(x), size=size, mode="nearest-exact")
    np.testing.assert_array_equal(nearest, expected.numpy())


def test_compose_passes_the_generator_along():
    x = batch_u8(n=8, c=1, h=10, w=10)
    pipeline = T.Compose([T.RandomCrop(8, padding=1), T.RandomHorizontalFlip(), T.ToFloat()])
    np.testing.assert_array_equal(pipeline(x, rng(6)), pipeline(x, rng(6)))
    g = rng(6)
    by_hand = T.ToFloat()(T.RandomHorizontalFlip()(T.RandomCrop(8, padding=1)(x, g), g))
    np.testing.assert_array_equal(pipeline(x, rng(6)), by_hand)


def test_without_a_generator_transforms_follow_manual_seed():
    import convnet as cn

    x = batch_u8(n=8)
    cn.manual_seed(11)
    a = T.RandomCrop(5, padding=1)(x)
    cn.manual_seed(11)
    np.testing.assert_array_equal(T.RandomCrop(5, padding=1)(x), a)


def test_remap_bilinear_weights_and_fill():
    img = np.array([[[[0.0, 10.0], [20.0, 30.0]]]])
    xs = np.array([[0.5, 0.0, -0.5, 3.0]])
    ys = np.array([[0.5, 1.0, 0.0, 0.0]])
    out = T.remap(img, xs, ys, fill=100.0)
    np.testing.assert_allclose(out.ravel(), [15.0, 20.0, 50.0, 100.0])  # -0.5 blends fill and pixel (0, 0)
