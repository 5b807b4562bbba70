"""Preparing users' images: polarity, framing, centring and colour, each reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convnet.data.folder import MAX_PIXELS, ImageTooLarge, load_image
from convnet.data.preprocess import open_image, prepare_image


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


def huge_png(path: Path, width: int, height: int) -> Path:
    Image.new("1", (width, height), 1).save(path)          # one bit a pixel: a small file, a huge image
    return path


def test_declared_size_is_checked_before_decoding(tmp_path: Path) -> None:
    """One limit for every reader: open_image (predict, viz), load_image (ImageFolder), prepare_image."""
    bomb = huge_png(tmp_path / "bomb.png", 14000, 14000)     # Pillow refuses to even open this one
    over = huge_png(tmp_path / "over.png", 8000, 7000)
    for reader in (open_image, load_image, lambda p: prepare_image(p, 1, (28, 28), "digits")):
        with pytest.raises(ImageTooLarge) as bomb_error:
            reader(bomb)
        assert str(bomb_error.value) == (f"{bomb} declares 196.0 megapixels; the limit is 50 megapixels (for "
                                         "example 8000x6000): shrink it first")
        with pytest.raises(ImageTooLarge, match=r"over\.png declares 8000x7000 pixels, 56\.0 megapixels; the "
                                                r"limit is 50 megapixels"):
            reader(over)
    assert isinstance(bomb_error.value, ValueError) and MAX_PIXELS == 50_000_000


def test_large_photos_are_shrunk_while_decoding(tmp_path: Path) -> None:
    photo = bar(5000, 6000, ink=20, paper=235, box=(1000, 4000, 2800, 3200))   # a dark "1" on a 30 MP page
    path = tmp_path / "photo.jpg"
    photo.convert("RGB").save(path)
    opened = open_image(path, draft_side=2048)
    assert opened.size == (3000, 2500) and opened.info["declared_size"] == (6000, 5000)   # JPEG draft: 1/2 scale
    arr, notes = prepare_image(path, 1, (28, 28), "digits")
    assert notes[0] == "decoded it at 3000x2500 (JPEG draft mode, to save time and memory)"
    assert notes[1].startswith("shrank it from 3000x2500 to 1500x1250 first")
    assert notes[-1].startswith("resized it from 6000x5000 to 28x28")
    small, _ = prepare_image(bar(500, 600, ink=20, paper=235, box=(100, 400, 280, 320)), 1, (28, 28), "digits")
    assert np.abs(arr.astype(int) - small.astype(int)).mean() < 4              # the same digit as a small photo


def test_wide_and_float_images_are_scaled_by_their_range(tmp_path: Path) -> None:
    """A 16-bit PNG of 12-bit values (0..4080) and a float TIFF of 0..1 read like their 8-bit twin."""
    page = np.asarray(bar(120, 100, ink=0, paper=255, box=(20, 100, 40, 60)), np.float64) / 255.0   # 0..1
    reference, _ = prepare_image(Image.fromarray(np.uint8(np.rint(page * 255))), 1, (28, 28), "digits")
    twelve = tmp_path / "twelve-bit.png"
    Image.fromarray(np.uint16(np.rint(page * 4080))).save(twelve)
    floating = tmp_path / "float.tiff"
    Image.fromarray(page.astype(np.float32), "F").save(floating)
    for path, mode in ((twelve, "I;16"), (floating, "F")):
        with Image.open(path) as im:
            assert im.mode == mode
        arr, notes = prepare_image(path, 1, (28, 28), "digits")
        assert notes[0].startswith("inverted")
        assert np.abs(arr.astype(int) - reference.astype(int)).max() <= 2, path.name
        assert load_image(path, "L").max() >= 254 and load_image(path, "L").min() == 0
    shifted = Image.fromarray((page * 40 - 20).astype(np.float32), "F")     # -20..20: stretched by its range
    assert np.abs(load_image_from(shifted, tmp_path) - np.rint(page * 255)).max() <= 1


def load_image_from(image: Image.Image, folder: Path) -> np.ndarray:
    path = folder / "image.tiff"
    image.save(path)
    return load_image(path, "L")[0].astype(float)


def test_notes_say_what_the_file_needed(tmp_path: Path) -> None:
    """First frame of a GIF, EXIF rotation, CMYK colours and transparency are each reported."""
    digit = bar(60, 40, ink=0, paper=255, box=(10, 50, 15, 25))
    gif = tmp_path / "two.gif"
    digit.save(gif, save_all=True, append_images=[Image.new("L", (40, 60), 128)])
    turned = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    digit.convert("RGB").save(turned, exif=exif)
    cmyk = tmp_path / "cmyk.jpg"
    digit.convert("CMYK").save(cmyk)
    clear = tmp_path / "clear.png"
    rgba = digit.convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 255))
    rgba.save(clear)
    expected = {gif: "used the first of its 2 frames",
                turned: "turned it 90 degrees clockwise (as its EXIF orientation says)",
                cmyk: "converted it from CMYK colours to RGB",
                clear: "flattened its transparent parts onto white"}
    for path, note in expected.items():
        _, notes = prepare_image(path, 1, (28, 28), "digits")
        assert note in notes, (path.name, notes)
        assert all(n not in notes for p, n in expected.items() if p != path)
    _, notes = prepare_image(digit, 1, (28, 28), "digits")
    assert notes[0].startswith("inverted")                     # a plain image: no file notes
