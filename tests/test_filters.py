"""Hand-designed filters: each responds where its description says."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from convnet import filters


def seven(size: int = 28) -> np.ndarray:
    """A synthetic white-on-black seven: a top bar and a diagonal stroke, 3 pixels thick."""
    img = np.zeros((size, size), np.float32)
    img[5:8, 6:22] = 1.0                                  # the bar
    for r in range(8, 25):                                # the diagonal, from (8, 21) down-left
        c = 21 - (r - 8) * 11 // 16
        img[r, c - 2:c + 1] = 1.0
    return img


def centre_of_response(name: str, img: np.ndarray) -> tuple[float, float]:
    r = np.maximum(filters.apply(name, img, padding=1), 0)
    ys, xs = np.mgrid[:r.shape[0], :r.shape[1]]
    return float((ys * r).sum() / r.sum()), float((xs * r).sum() / r.sum())


def test_sobel_x_on_a_vertical_step_edge_is_nonzero_only_at_the_edge() -> None:
    img = np.zeros((8, 10), np.float32)
    img[:, 5:] = 1.0                                       # dark left half, bright right half
    out = filters.apply("sobel_x", img)                    # valid: output column j sees j..j+2
    nonzero_columns = np.flatnonzero(np.abs(out).sum(axis=0))
    assert nonzero_columns.tolist() == [3, 4]              # the windows that straddle column 4|5
    assert (out[:, 3:5] == 4).all()                        # 1 + 2 + 1, brighter to the right
    assert not filters.apply("sobel_y", img).any()


def test_the_four_edge_detectors_light_four_sides_of_a_seven() -> None:
    img = seven()
    top, bottom = centre_of_response("edge_top", img), centre_of_response("edge_bottom", img)
    left, right = centre_of_response("edge_left", img), centre_of_response("edge_right", img)
    assert top[0] < bottom[0] - 1           # top edges are higher up than bottom edges
    assert left[1] < right[1] - 1           # left edges are further left than right edges
    bar = filters.apply("edge_top", img, padding=1)[:, 10:18]
    assert (bar.argmax(axis=0) == 5).all()  # strongest exactly on the bar's top row
    bar = filters.apply("edge_bottom", img, padding=1)[:, 10:18]
    assert (bar.argmax(axis=0) == 7).all()


def _mnist_first_test_image() -> np.ndarray | None:
    root = os.environ.get("CONVNET_DATA")
    path = Path(root or "") / "mnist" / "t10k-images-idx3-ubyte.gz"
    if not root or not path.exists():
        return None
    with gzip.open(path) as f:
        raw = f.read(16 + 28 * 28)
    return np.frombuffer(raw[16:], np.uint8).reshape(28, 28).astype(np.float32) / 255


def test_the_four_edge_detectors_on_a_real_mnist_seven() -> None:
    img = _mnist_first_test_image()
    if img is None:
        pytest.skip("CONVNET_DATA does not point at MNIST (the first test image is a seven)")
    top, bottom = centre_of_response("edge_top", img), centre_of_response("edge_bottom", img)
    left, right = centre_of_response("edge_left", img), centre_of_response("edge_right", img)
    assert top[0] < bottom[0] and left[1] < right[1]


def test_blurs_preserve_brightness_and_gradient_filters_ignore_flat_areas() -> None:
    flat = np.full((6, 6), 0.7, np.float32)
    for name in ("box_blur", "gaussian_blur", "identity", "sharpen"):
        np.testing.assert_allclose(filters.apply(name, flat), 0.7, rtol=1e-6)
        assert filters.get(name).sum() == pytest.approx(1.0)
    for name in ("laplacian", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "scharr_x",
                 "scharr_y", *filters.EDGE_DETECTORS):
        assert filters.get(name).sum() == 0
        assert np.allclose(filters.apply(name, flat), 0, atol=1e-6)
    g = filters.gaussian(5, 1.2)
    assert g.sum() == pytest.approx(1.0) and g[2, 2] == g.max() and np.allclose(g, g.T)


def test_edge_detectors_use_minus_one_zero_one() -> None:
    for name in filters.EDGE_DETECTORS:
        assert set(np.unique(filters.get(name))) == {-1.0, 0.0, 1.0}


def test_bank_and_errors() -> None:
    w = filters.bank(list(filters.EDGE_DETECTORS), in_channels=3)
    assert w.shape == (4, 3, 3, 3) and w.dtype == np.float32
    np.testing.assert_allclose(w.sum(axis=1), np.stack([filters.get(n) for n in filters.EDGE_DETECTORS]),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="unknown filter 'sobel'; available: identity"):
        filters.get("sobel")
    with pytest.raises(ValueError, match="odd"):
        filters.gaussian(4)
    assert "vertical edges" in filters.describe("sobel_x")
