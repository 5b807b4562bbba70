"""Preparing users' images: polarity, framing, centring and colour, each reported."""

from __future__ import annotations

import numpy as np
from PIL import Image

from convnet.data.preprocess import prepare_image


def bar(h: int, w: int, ink: int, paper: int, box: tuple[int, int, int, int]) -> Image.Image:
    a = np.full((h, w), paper, np.uint8)
    t, b, l, r = box
    a[t:b, l:r] = ink
    return Image.fromarray(a)


def test_dark_on_light_is_inverted_and_centred_by_mass() -> None:
    img = bar(300, 400, ink=10, paper=240, box=(20, 120, 300, 340))      # off-centre, top right
    arr, notes = prepare_image(img, 1, (28, 28), "digits")
    assert notes[0].startswith("inverted")
    a = arr[0].astype(float)
    ys, xs = np.mgrid[:28, :28]
    assert abs((ys * a).sum() / a.sum() - 13.5) < 1 and abs((xs * a).sum() / a.sum() - 13.5) < 1
    rows, cols = np.nonzero(a > 128)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21                          # fits MNIST's 20x20 box
    assert a[0, 0] == 0 and a.max() == 255


def test_light_on_dark_is_kept_and_objects_fill_the_frame() -> None:
    img = bar(100, 100, ink=200, paper=0, box=(10, 90, 30, 70))
    arr, notes = prepare_image(img, 1, (28, 28), "objects")
    assert not any("inverted" in n for n in notes)
    rows, _ = np.nonzero(arr[0] > 128)
    assert np.ptp(rows) + 1 == 28                                           # scaled to the full height


def test_colour_and_photo_style() -> None:
    rgb = Image.new("RGB", (64, 48), (200, 30, 30))
    arr, notes = prepare_image(rgb, 3, (32, 32), "photo")
    assert arr.shape == (3, 32, 32) and tuple(arr[:, 16, 16]) == (200, 30, 30)
    assert "resized it from 64x48 to 32x32" in notes[-1]
    gray_rgb = Image.new("RGB", (40, 40), (90, 90, 90))
    gray_rgb.paste((250, 250, 250), (10, 10, 30, 30))
    _, notes = prepare_image(gray_rgb, 1, (28, 28), "digits")
    assert not any("colour" in n for n in notes)                          # R = G = B is not colour
    _, notes = prepare_image(Image.new("L", (30, 30), 0).convert("RGB"), 3, (32, 32), "photo")
    assert any("grayscale to RGB" in n for n in notes)
