"""Images from files: `load_image` for one file, `ImageFolder` for a folder with one sub-folder per class.

Any image Pillow reads is converted to 8-bit grayscale ("L") or RGB the same way:

- 16-bit and 32-bit integer images (PNG/TIFF "I;16", "I") are scaled by the bit depth their values
  use: a maximum of 4080 means 12-bit data (0..4095 to 0..255), 65535 means 16-bit (Pillow itself would
  clip them at 255); an image with negative values is stretched from its minimum to its maximum;
- floating-point images ("F", e.g. 32-bit TIFF) holding 0..1 are scaled to 0..255, those within 0..255
  are kept, and any other range is stretched from its minimum to its maximum;
- CIELAB images are converted to sRGB with a colour transform (Pillow cannot convert them directly);
- images with transparency (RGBA, LA, PA, palette or grayscale with a transparent colour) are
  composited over `background` (white unless told otherwise), so hidden colours never show;
- everything else (palette, bilevel, CMYK, YCbCr, HSV, float...) uses Pillow's own conversion;
  grayscale from colour is the ITU-R 601-2 luma, L = 0.299 R + 0.587 G + 0.114 B.

EXIF orientation is applied, and a multi-frame file (GIF, TIFF) gives its first frame.

Size limit: every image convnet reads (`load_image`, `ImageFolder`, `convnet predict`, the
pictures of `convnet viz`, the web app) may have at most `MAX_PIXELS` pixels (50 megapixels,
width x height: an 8000x6000 photo passes, 10000x10000 does not). The size is read from the
file's header and checked before any pixel is decoded (`open_lazily`), so a small file that
declares a huge image costs nothing; a larger image raises `ImageTooLarge`.

>>> import numpy as np, tempfile, pathlib
>>> from PIL import Image
>>> p = pathlib.Path(tempfile.mkdtemp()) / "dot.png"
>>> Image.new("LA", (2, 1), (0, 0)).save(p)  # black, fully transparent
>>> load_image(p, "L").tolist()  # composited over white
[[[255, 255]]]
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ..errors import ConvnetValueError
from .dataset import BatchTransform, ImageDataset
from .download import DatasetError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
Mode = Literal["L", "RGB"]
_WIDE_INT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


MAX_PIXELS = 50_000_000


class ImageTooLarge(DatasetError):
    """An image whose header declares more than `MAX_PIXELS` pixels; nothing of it was decoded."""


def _too_large(name: str, size: tuple[int, int] | int) -> ImageTooLarge:
    pixels = size if isinstance(size, int) else size[0] * size[1]
    shape = "" if isinstance(size, int) else f"{size[0]}x{size[1]} pixels, "
    declared = f"declares {shape}{pixels / 1e6:,.1f} megapixels"
    return ImageTooLarge(f"{name} {declared}; the limit is {MAX_PIXELS / 1e6:g} megapixels "
                         "(for example 8000x6000): shrink it first")


def open_lazily(source: str | os.PathLike[str] | BinaryIO, name: str) -> Image.Image:
    """`Image.open` (which reads only the header), refusing an image over `MAX_PIXELS` before it is decoded.

    Raises `ImageTooLarge`; Pillow's own errors for unreadable files pass through for the caller to word.

    >>> import io
    >>> buf = io.BytesIO(); Image.new("L", (10, 10)).save(buf, "PNG")
    >>> open_lazily(buf, "tiny.png").size
    (10, 10)
    """
    try:
        image = Image.open(source)
    except Image.DecompressionBombError as e:                  # over twice Pillow's own limit: size in its message
        found = re.search(r"\((\d+) pixels\)", str(e))
        raise _too_large(name, int(found.group(1)) if found else 2 * (Image.MAX_IMAGE_PIXELS or 0)) from None
    w, h = image.size
    if w * h > MAX_PIXELS:
        image.close()
        raise _too_large(name, (w, h))
    return image


@functools.cache
def _lab_to_srgb() -> ImageCms.ImageCmsTransform:
    lab, srgb = ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB")
    return ImageCms.buildTransform(lab, srgb, "LAB", "RGB")


def to_mode(image: Image.Image, mode: Mode = "RGB", background: int | Sequence[int] = 255) -> Image.Image:
    """`image` converted to 8-bit "L" or "RGB" by the rules in the module docstring.

    >>> to_mode(Image.new("I;16", (1, 1), 65535), "L").getpixel((0, 0))
    255
    """
    _check_mode(mode)
    image = ImageOps.exif_transpose(image)
    if image.mode in _WIDE_INT_MODES or image.mode == "F":
        image = Image.fromarray(_to_bytes(np.asarray(image), image.mode == "F"), "L")
    elif image.mode == "LAB":
        image = ImageCms.applyTransform(image, _lab_to_srgb())
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgb = tuple(background) if isinstance(background, Sequence) else (int(background),) * 3
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise ConvnetValueError(f"background must be a gray level or an (R, G, B) triple in 0..255, "
                                    f"got {background!r}")
        under = Image.new("RGBA", image.size, (*rgb, 255))
        image = Image.alpha_composite(under, image.convert("RGBA"))
    return image if image.mode == mode else image.convert(mode)


def _to_bytes(values: np.ndarray, floating: bool) -> np.ndarray:
    """A wide-integer or float (H, W) image as uint8 0..255, scaled by the range its values use.

    >>> _to_bytes(np.array([[0, 4080]], np.uint16), False).tolist()        # 12-bit data
    [[0, 254]]
    >>> _to_bytes(np.array([[0.0, 0.5, 1.0]], np.float32), True).tolist()   # float 0..1
    [[0, 128, 255]]
    """
    a = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if low < 0 or (floating and high > 255):
        scaled = (a - low) * (255.0 / (high - low)) if high > low else np.zeros_like(a)
    elif floating:
        scaled = a * 255.0 if high <= 1.0 else a
    else:
        bits = max(8, int(high).bit_length())                          # the bit depth the values use
        scaled = a * (255.0 / (2 ** bits - 1))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _check_mode(mode: str) -> None:
    if mode not in ("L", "RGB"):
        raise ConvnetValueError(f"mode must be 'L' (grayscale) or 'RGB', got {mode!r}")


def load_image(path: str | os.PathLike[str], mode: Mode = "RGB", background: int | Sequence[int] = 255,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """One image file as a uint8 array (C, H, W), C = 1 for "L" and 3 for "RGB".

    `size` (h, w) resizes it with Pillow's bilinear filter (antialiased when shrinking).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "red.png"
    >>> Image.new("RGB", (3, 2), (255, 0, 0)).save(p)
    >>> load_image(p).shape, load_image(p, "L")[0, 0, 0]
    ((3, 2, 3), np.uint8(76))
    """
    _check_mode(mode)
    path = Path(path)
    try:
        with open_lazily(path, str(path)) as image:
            image = to_mode(image, mode, background)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as e:
        raise DatasetError(f"cannot read image {path}: {e}") from None
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W)


class ImageFolder(ImageDataset):
    """A labelled image set from a folder with one sub-folder per class (``root/<class>/<image>``).

    Classes are the sub-folder names in sorted order; images (PNG, JPEG, BMP, GIF, TIFF, WebP) are read in
    sorted order, converted to `mode` ("L" or "RGB", see `load_image`) and held in memory. All images must
    share one size unless `image_size` (h, w) is given, which resizes them. ``samples`` lists
    ``(path, label)`` in dataset order.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("cat", "dog"):
    ...     (root / name).mkdir()
    ...     Image.new("RGB", (8, 8)).save(root / name / "1.png")
    >>> ds = ImageFolder(root, mode="L")
    >>> ds.classes, ds.images.shape, ds.targets.tolist()
    (('cat', 'dog'), (2, 1, 8, 8), [0, 1])
    """

    name = "image-folder"

    def __init__(self, root: str | os.PathLike[str], mode: Mode = "RGB", image_size: int | tuple[int, int] |
                 None = None, background: int | Sequence[int] = 255, transform: BatchTransform | None = None,
                 extensions: Sequence[str] = EXTENSIONS) -> None:
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(f"ImageFolder: {root} is not a folder; point it at a folder holding one "
                               "sub-folder of images per class")
        classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        suffixes = {e.lower() for e in extensions}
        self.samples = [(path, label) for label, name in enumerate(classes)
                        for path in sorted((root / name).rglob("*"))
                        if path.suffix.lower() in suffixes and path.name[0] != "." and path.is_file()]
        if not self.samples:
            raise DatasetError(f"ImageFolder: no images ({', '.join(sorted(suffixes))}) in the class "
                               f"sub-folders of {root} (found {len(classes)} sub-folders)")
        size = (image_size, image_size) if isinstance(image_size, int) else image_size
        arrays = [load_image(path, mode, background, size) for path, _ in self.samples]
        odd = next((i for i, a in enumerate(arrays) if a.shape != arrays[0].shape), None)
        if odd is not None:
            raise DatasetError(f"ImageFolder: images differ in size ({self.samples[0][0]} is "
                               f"{arrays[0].shape[1:]}, {self.samples[odd][0]} is {arrays[odd].shape[1:]});"
                               " pass image_size=(h, w) to resize them all")
        super().__init__(np.stack(arrays), [label for _, label in self.samples], classes, transform)
