"""ImageFolder and load_image: every image mode converted to grayscale and RGB, checked by arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from convnet.data import DatasetError, ImageFolder, load_image
from convnet.data.folder import to_mode

RNG = np.random.default_rng(0)
H, W = 6, 5


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of an (H, W, 3) array, the formula Pillow documents for RGB -> L."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def random_u8(*shape: int) -> np.ndarray:
    return RNG.integers(0, 256, shape, dtype=np.uint8)


def composite(rgb: np.ndarray, alpha: np.ndarray, background: float = 255.0) -> np.ndarray:
    """Colour over a solid background, from the definition of alpha: c * a + bg * (1 - a)."""
    a = alpha[..., None] / 255.0
    return rgb * a + background * (1 - a)


def check(path: Path, expected_rgb: np.ndarray, tolerance: float = 1.0) -> None:
    """load_image(path) in RGB and L must match `expected_rgb` (H, W, 3) and its luma within `tolerance`."""
    rgb, gray = load_image(path, "RGB"), load_image(path, "L")
    assert rgb.shape == (3, H, W) and gray.shape == (1, H, W) and rgb.dtype == gray.dtype == np.uint8
    np.testing.assert_allclose(rgb.transpose(1, 2, 0), expected_rgb, atol=tolerance)
    np.testing.assert_allclose(gray[0], luma(expected_rgb), atol=tolerance + 0.5)


# Each case: (file name, image to save, the RGB the file stands for (H, W, 3) float)
def case_l():
    a = random_u8(H, W)
    return "l.png", Image.fromarray(a, "L"), np.repeat(a[..., None], 3, axis=2).astype(float)


def case_rgb():
    a = random_u8(H, W, 3)
    return "rgb.png", Image.fromarray(a, "RGB"), a.astype(float)


def case_rgba():
    a = random_u8(H, W, 4)
    a[0, :, 3], a[1, :, 3] = 0, 255  # fully transparent and fully opaque rows too
    return "rgba.png", Image.fromarray(a, "RGBA"), composite(a[..., :3].astype(float), a[..., 3])


def case_la():
    a = random_u8(H, W, 2)
    gray = np.repeat(a[..., :1], 3, axis=2).astype(float)
    return "la.png", Image.fromarray(a, "LA"), composite(gray, a[..., 1])


def case_palette():
    palette = random_u8(16, 3)
    index = RNG.integers(0, 16, (H, W)).astype(np.uint8)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    return "p.png", image, palette[index].astype(float)


def case_palette_transparent():
    palette = random_u8(16, 3)
    index = RNG.integers(0, 16, (H, W)).astype(np.uint8)
    image = Image.fromarray(index, "P")
    image.putpalette(palette.ravel().tolist())
    image.info["transparency"] = 3
    expected = palette[index].astype(float)
    expected[index == 3] = 255.0  # the transparent colour shows the white background
    return "p-transparent.gif", image, expected


def case_bilevel():
    bits = RNG.integers(0, 2, (H, W)).astype(bool)
    image = Image.fromarray(bits.astype(np.uint8) * 255, "L").convert("1")
    return "bits.bmp", image, np.repeat(bits[..., None] * 255.0, 3, axis=2)


def case_cmyk_tiff():
    a = random_u8(H, W, 4)
    c, k = a[..., :3].astype(float), a[..., 3:].astype(float)
    return "cmyk.tiff", Image.fromarray(a, "CMYK"), (255 - c) * (255 - k) / 255  # ink subtracts light


def case_cmyk_jpeg():
    a = np.broadcast_to(random_u8(1, 1, 4), (H, W, 4)).copy()  # one flat colour: JPEG keeps it nearly exact
    c, k = a[..., :3].astype(float), a[..., 3:].astype(float)
    return "cmyk.jpg", Image.fromarray(a, "CMYK"), (255 - c) * (255 - k) / 255


def case_16bit():
    a = RNG.integers(0, 65536, (H, W)).astype(np.uint16)
    a[0, 0], a[0, 1] = 65535, 300  # full scale, and a value Pillow's own conversion would clip to 255
    return "wide.png", Image.fromarray(a), np.repeat(a[..., None] / 257.0, 3, axis=2)


def case_32bit():
    a = RNG.integers(0, 65536, (H, W)).astype(np.int32)
    return "wide32.tiff", Image.fromarray(a, "I"), np.repeat(a[..., None] / 257.0, 3, axis=2)


def case_ycbcr():
    a = random_u8(H, W, 3)
    image = Image.fromarray(a, "RGB").convert("YCbCr")
    return "ycbcr.tiff", image, np.asarray(image.convert("RGB"), dtype=float)  # Pillow's own conversion


def case_lab():
    a = np.broadcast_to(random_u8(1, 1, 3), (H, W, 3)).copy()
    srgb, lab = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
    to_lab = ImageCms.buildTransform(srgb, lab, "RGB", "LAB")
    return "lab.tiff", ImageCms.applyTransform(Image.fromarray(a, "RGB"), to_lab), a.astype(float)


CASES = {f.__name__[5:]: f for f in [case_l, case_rgb, case_rgba, case_la, case_palette,
                                     case_palette_transparent, case_bilevel, case_cmyk_tiff, case_cmyk_jpeg,
                                     case_16bit, case_32bit, case_ycbcr, case_lab]}
TOLERANCE = {"cmyk_jpeg": 6.0, "lab": 3.0}  # lossy JPEG; a colour round trip through CIELAB


@pytest.mark.parametrize("name", list(CASES))
def test_every_mode_is_converted_correctly(name, tmp_path):
    filename, image, expected = CASES[name]()
    image.save(tmp_path / filename)
    with Image.open(tmp_path / filename) as reopened:
        if name == "cmyk_jpeg":
            assert reopened.mode == "CMYK"  # the file really holds CMYK (Adobe-inverted inside the JPEG)
        if name == "16bit":
            assert reopened.mode.startswith("I;16")
    check(tmp_path / filename, expected, TOLERANCE.get(name, 1.0))


@pytest.mark.parametrize("name", ["l", "rgb", "palette", "bilevel", "cmyk_tiff", "cmyk_jpeg", "ycbcr"])
def test_opaque_modes_match_pillows_own_conversion_exactly(name, tmp_path):
    filename, image, _ = CASES[name]()
    image.save(tmp_path / filename)
    with Image.open(tmp_path / filename) as reopened:
        for mode in ("RGB", "L"):
            pillow = np.asarray(reopened.convert(mode))
            ours = load_image(tmp_path / filename, mode)
            np.testing.assert_array_equal(ours, pillow[None] if mode == "L" else pillow.transpose(2, 0, 1))


def test_hsv_images_convert_like_pillow():
    rgb = Image.fromarray(random_u8(H, W, 3), "RGB")
    hsv = rgb.convert("HSV")
    np.testing.assert_array_equal(np.asarray(to_mode(hsv, "RGB")), np.asarray(hsv.convert("RGB")))


def test_alpha_is_composited_over_the_given_background(tmp_path):
    a = random_u8(H, W, 4)
    Image.fromarray(a, "RGBA").save(tmp_path / "x.png")
    out = load_image(tmp_path / "x.png", "RGB", background=(0, 64, 128)).transpose(1, 2, 0)
    expected = composite(a[..., :3].astype(float), a[..., 3], np.array([0.0, 64.0, 128.0]))
    np.testing.assert_allclose(out, expected, atol=1.0)


def test_exif_orientation_is_applied(tmp_path):
    a = random_u8(H, W, 3)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(a, "RGB").save(tmp_path / "o.png", exif=exif)
    out = load_image(tmp_path / "o.png")
    np.testing.assert_array_equal(out.transpose(1, 2, 0), np.rot90(a, k=-1))


# ------------------------------------------------------------------ ImageFolder
def make_folder(root: Path, sizes: dict[str, int], size: tuple[int, int] = (W, H)) -> dict[str, list]:
    arrays = {}
    for name, count in sizes.items():
        (root / name).mkdir(parents=True)
        arrays[name] = [random_u8(size[1], size[0], 3) for _ in range(count)]
        for k, a in enumerate(arrays[name]):
            Image.fromarray(a).save(root / name / f"{k:02d}.png")
    return arrays


def test_image_folder_classes_order_and_pixels(tmp_path):
    arrays = make_folder(tmp_path, {"dog": 2, "cat": 3})
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "cat" / ".hidden.png").write_bytes(b"")
    (tmp_path / ".git").mkdir()
    ds = ImageFolder(tmp_path)
    assert ds.classes == ("cat", "dog") and ds.targets.tolist() == [0, 0, 0, 1, 1]
    assert ds.images.shape == (5, 3, H, W) and ds.in_channels == 3 and ds.image_size == (H, W)
    np.testing.assert_array_equal(ds.images[3].transpose(1, 2, 0), arrays["dog"][0])
    assert [p.name for p, _ in ds.samples] == ["00.png", "01.png", "02.png", "00.png", "01.png"]
    gray = ImageFolder(tmp_path, mode="L")
    np.testing.assert_allclose(gray.images[0, 0], luma(arrays["cat"][0].astype(float)), atol=0.51)
    image, label = gray[4]
    assert image.shape == (1, H, W) and label == 1


def test_image_folder_sizes_must_agree_or_be_resized(tmp_path):
    make_folder(tmp_path, {"a": 1})
    make_folder(tmp_path / "more", {"b": 1}, size=(9, 7))
    (tmp_path / "more" / "b").rename(tmp_path / "b")
    with pytest.raises(DatasetError, match=r"differ in size.*image_size=\(h, w\)"):
        ImageFolder(tmp_path)
    ds = ImageFolder(tmp_path, image_size=(8, 10))
    assert ds.images.shape == (2, 3, 8, 10)


def test_image_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(DatasetError, match="is not a folder"):
        ImageFolder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        ImageFolder(tmp_path)
    (tmp_path / "empty" / "broken.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(DatasetError, match="broken.png"):
        ImageFolder(tmp_path)
    with pytest.raises(ValueError, match="mode must be 'L'"):
        load_image(tmp_path / "empty" / "broken.png", mode="CMYK")
