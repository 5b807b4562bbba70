"""Prepare a user's own image the way a trained model expects its inputs, and say what was done.

MNIST digits are white on black, scaled so the digit fits a 20x20 box, and placed in a
28x28 image with their centre of mass at the centre. A photo of a digit written on paper
is the opposite on every count: dark ink on a light background, any size, anywhere in the
frame. `prepare_image` undoes the difference:

* ``"digits"``: grayscale, invert if the background is light, subtract the paper's brightness
  estimated locally (so gradients, shadows and paper texture do not count as ink), crop to the
  ink, scale the longer side to 20 pixels and centre by centre of mass (MNIST's own procedure);
* ``"objects"``: the same, but the object fills the frame (Fashion-MNIST);
* ``"photo"``: resize the shorter side and crop the centre (CIFAR-10, image folders).

>>> import numpy as np
>>> from PIL import Image
>>> page = np.full((200, 120), 255, np.uint8); page[40:160, 50:70] = 0   # a dark "1" on paper
>>> img, notes = prepare_image(Image.fromarray(page), in_channels=1, size=(28, 28), style="digits")
>>> img.shape, int(img[0, 14, 14]) > 200, int(img[0, 0, 0])
((1, 28, 28), True, 0)
>>> notes[0]
'inverted it (dark strokes on a light background; the model expects light on dark)'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, UnidentifiedImageError

from ..errors import ConvnetValueError
from .download import DatasetError
from .folder import MAX_PIXELS, ImageTooLarge, open_lazily, to_mode

STYLES = ("digits", "objects", "photo")


WORKING_SIDE = 2048       # larger images are shrunk to about this before they are analysed


def open_image(path: str | os.PathLike[str], draft_side: int | None = None) -> Image.Image:
    """Open an image file, with errors that say what is wrong with it.

    Its declared size is checked against `MAX_PIXELS` before decoding (`ImageTooLarge`). With
    `draft_side`, a JPEG whose sides are both at least twice that is decoded at 1/2, 1/4 or 1/8
    scale (its sides staying at least `draft_side`): far less time and memory for a large photo.
    ``info["declared_size"]`` keeps the size the file declares.
    """
    p = Path(path)
    if not p.exists():
        raise DatasetError(f"{p}: no such file")
    if p.is_dir():
        raise DatasetError(f"{p} is a folder, not an image")
    if p.stat().st_size == 0:
        raise DatasetError(f"{p}: the file is empty")
    try:
        with open_lazily(p, str(p)) as im:
            declared = im.size
            if draft_side is not None and im.format == "JPEG":
                im.draft(im.mode, (draft_side, draft_side))
            im.load()
            out = im.copy()
            out.info["declared_size"] = declared
            out.info["frames"] = getattr(im, "n_frames", 1)
            return out
    except ImageTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise DatasetError(f"{p}: not an image Pillow can read ({e.__class__.__name__}: {e}); "
                           "use PNG, JPEG, BMP, GIF, TIFF or WebP") from None


_ORIENTATION = 0x0112          # the EXIF tag saying how the camera was held
_TURNS = {2: "mirrored it", 3: "turned it 180 degrees", 4: "flipped it upside down", 5: "mirrored and turned it",
          6: "turned it 90 degrees clockwise", 7: "mirrored and turned it", 8: "turned it 90 degrees anticlockwise"}


def _file_notes(image: Image.Image) -> list[str]:
    """What `to_mode` will do to this file beyond resizing: frames, EXIF rotation, colour space, transparency."""
    notes = []
    frames = image.info.get("frames", getattr(image, "n_frames", 1))
    if frames > 1:
        notes.append(f"used the first of its {frames} frames")
    turn = _TURNS.get(image.getexif().get(_ORIENTATION, 1))
    if turn:
        notes.append(f"{turn} (as its EXIF orientation says)")
    if image.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        notes.append(f"converted it from {image.mode} colours to RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        notes.append("flattened its transparent parts onto white")
    return notes


def _mass_span(ink: np.ndarray, axis: int, tail: float = 0.003) -> tuple[int, int]:
    """First and last row (axis 0) or column holding ink, ignoring specks that carry under `tail`
    of the ink's mass at either end (a shadow's edge, a stray dot)."""
    strong = np.where(ink > 0.1 * 255, ink, 0.0)
    profile = strong.sum(axis=1 - axis)
    cum = np.cumsum(profile) / profile.sum()
    return int(np.searchsorted(cum, tail, side="right")), int(np.searchsorted(cum, 1 - tail, side="left"))


def _dark_ink(gray: np.ndarray, border: float) -> bool:
    """Whether the strokes are darker than the page: the border's level decides, unless a shadow or
    gradient leaves it in the middle; then the polarity whose thin strokes stand out more wins."""
    if border > 170 or border < 85:
        return border > 127
    dark, _ = _ink_over_local_background(255 - gray)
    light, _ = _ink_over_local_background(gray)
    return float(dark.sum()) > float(light.sum())


def _box_mean(a: np.ndarray, r: int) -> np.ndarray:
    """The mean over a (2r+1) x (2r+1) window around each pixel (edges repeated)."""
    p = np.pad(a.astype(np.float64), r + 1, mode="edge")
    c = p.cumsum(0).cumsum(1)
    n = 2 * r + 1
    s = c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]         # (H+1, W+1) window sums
    return (s[: a.shape[0], : a.shape[1]] / (n * n)).astype(np.float32)


def _ink_over_local_background(gray: np.ndarray, relative: bool = False) -> tuple[np.ndarray, bool]:
    """Light-on-dark `gray` minus its background estimated locally, and whether that background varies.

    The background is the image with its strokes removed: a grey-level opening (a minimum then a
    maximum over a window wider than a stroke) at about 64 pixels a side, smoothed and scaled back.
    What remains is the ink, however the page was lit (gradients, shadows); weak texture and noise
    (under a fifth of the strongest ink, after a light blur) are set to zero.
    """
    h, w = gray.shape
    f = max(1, max(h, w) // 64)
    small = Image.fromarray(gray.astype(np.float32), "F")
    if f > 1:
        small = small.reduce(f)
    k = 2 * max(2, round(max(small.size) * 0.08)) + 1
    opened = small.filter(ImageFilter.MinFilter(k)).filter(ImageFilter.MaxFilter(k))
    bg_small = np.asarray(opened, dtype=np.float32)
    bg_small = np.minimum(bg_small, _box_mean(bg_small, k // 2))
    # a shadow's edge: upscaling blurs it, so take each small pixel's brightest neighbour first (no false ink)
    bg_up = np.asarray(Image.fromarray(bg_small, "F").filter(ImageFilter.MaxFilter(3)), dtype=np.float32)
    bg = np.asarray(Image.fromarray(bg_up, "F").resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)
    ink = np.clip(gray - bg, 0, None)
    if relative:                         # dark ink on paper: contrast relative to the paper's brightness there
        ink *= 255.0 / np.maximum(255.0 - bg, 32.0)
    blurred = _box_mean(ink, max(1, min(h, w) // 100))
    floor = 0.2 * float(blurred.max())
    ink = np.where(blurred > floor, ink, 0.0)
    uneven = float(np.ptp(bg_small)) > 0.1 * 255
    return ink, uneven


def _border(a: np.ndarray) -> np.ndarray:
    k = max(1, min(a.shape) // 20)
    return np.concatenate([a[:k].ravel(), a[-k:].ravel(), a[:, :k].ravel(), a[:, -k:].ravel()])


def _fit(a: np.ndarray, box: int) -> np.ndarray:
    """Scale a 2-D float image so its longer side is `box`, keeping the aspect ratio."""
    h, w = a.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((nw, nh), Image.Resampling.LANCZOS if scale < 1 else
                                 Image.Resampling.BILINEAR), dtype=np.float32)


def _place(a: np.ndarray, size: tuple[int, int], by_mass: bool) -> np.ndarray:
    """Put `a` on a black canvas of `size`, centred by centre of mass or by its box."""
    out = np.zeros(size, np.float32)
    h, w = a.shape
    if by_mass and a.sum() > 0:
        ys, xs = np.mgrid[:h, :w]
        cy, cx = (ys * a).sum() / a.sum(), (xs * a).sum() / a.sum()
    else:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    top = int(round((size[0] - 1) / 2 - cy))
    left = int(round((size[1] - 1) / 2 - cx))
    top, left = min(max(top, 0), size[0] - h), min(max(left, 0), size[1] - w)
    out[top:top + h, left:left + w] = a
    return out


def prepare_image(source: Any, in_channels: int, size: tuple[int, int], style: str = "digits",
                  ) -> tuple[np.ndarray, list[str]]:
    """A uint8 array (C, H, W) ready for the model, and notes describing each change.

    `source` is a path or a PIL image; `size` the model's (H, W); `style` one of
    "digits", "objects" or "photo" (see the module docstring).
    """
    if style not in STYLES:
        raise ConvnetValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    image = source if isinstance(source, Image.Image) else open_image(source, draft_side=WORKING_SIDE)
    w0, h0 = image.info.get("declared_size", image.size)
    notes: list[str] = []
    if w0 * h0 > MAX_PIXELS:
        raise ImageTooLarge(f"the image is {w0}x{h0} pixels ({w0 * h0 / 1e6:,.1f} megapixels); the limit is "
                            f"{MAX_PIXELS / 1e6:g} megapixels (for example 8000x6000): shrink it first")
    notes += _file_notes(image)
    if image.size != (w0, h0):
        notes.append(f"decoded it at {image.size[0]}x{image.size[1]} (JPEG draft mode, to save time and memory)")
    factor = -(-max(image.size) // WORKING_SIDE)                      # ceil: 1 for images up to 2048 px
    if factor > 1:
        before = image.size
        if image.mode == "1" or image.mode.startswith("I;16"):
            image = image.convert("L" if image.mode == "1" else "I")     # modes reduce() cannot average
        elif image.mode in ("P", "PA"):
            image = to_mode(image, "RGB")
        image = image.reduce(factor)
        notes.append(f"shrank it from {before[0]}x{before[1]} to {image.size[0]}x{image.size[1]} first "
                     f"(averaging {factor}x{factor} blocks, to save time and memory)")
    rgb = np.asarray(to_mode(image, "RGB"), dtype=np.float32)         # (H, W, 3)
    colour = bool((rgb.max(axis=2) != rgb.min(axis=2)).any())
    mode = "L" if in_channels == 1 else "RGB"
    if colour and mode == "L":
        notes.append("converted it from colour to grayscale")
    elif not colour and mode == "RGB":
        notes.append("converted it from grayscale to RGB")
    converted = np.asarray(to_mode(image, mode), dtype=np.float32)     # (H, W) or (H, W, 3)

    if style == "photo":
        short = min(size) / min(h0, w0)
        nh, nw = max(size[0], round(h0 * short)), max(size[1], round(w0 * short))
        img = Image.fromarray(converted.astype(np.uint8), mode=mode).resize(
            (nw, nh), Image.Resampling.BILINEAR)
        top, left = (nh - size[0]) // 2, (nw - size[1]) // 2
        arr = np.asarray(img)[top:top + size[0], left:left + size[1]]
        notes.append(f"resized it from {w0}x{h0} to {size[1]}x{size[0]} (shorter side, centre crop)")
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        return np.ascontiguousarray(arr, dtype=np.uint8), notes

    gray = converted if converted.ndim == 2 else converted.mean(axis=2)
    inverted = _dark_ink(gray, float(np.median(_border(gray))))
    if inverted:
        gray = 255 - gray
        notes.append("inverted it (dark strokes on a light background; the model expects light on dark)")
    ink, uneven = _ink_over_local_background(gray, relative=inverted)
    if uneven:
        notes.append("evened out its lighting (subtracted the paper's brightness, estimated around each stroke)")
    peak = float(ink.max())
    if peak < 8:
        raise DatasetError("the image looks blank: nothing stands out from its background")
    ink *= 255.0 / peak
    (top, bottom), (left, right) = _mass_span(ink, 0), _mass_span(ink, 1)
    crop = ink[top:bottom + 1, left:right + 1]
    box = round(min(size) * 20 / 28) if style == "digits" else min(size)
    placed = _place(_fit(crop, box), size, by_mass=style == "digits")
    what = "digit scaled to fit 20x20 and centred by its centre of mass" if style == "digits" \
        else "object scaled to fill the frame"
    notes.append(f"resized it from {w0}x{h0} to {size[1]}x{size[0]} ({what})")
    arr = np.clip(np.rint(placed), 0, 255).astype(np.uint8)[None]
    if in_channels == 3:
        arr = np.repeat(arr, 3, axis=0)
    return arr, notes


def find_images(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """The image files named by `paths`: files as given, folders searched (not recursively)."""
    from .folder import EXTENSIONS

    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            inside = sorted(q for q in p.iterdir() if q.suffix.lower() in EXTENSIONS and q.is_file())
            if not inside:
                raise DatasetError(f"{p}: the folder holds no images ({', '.join(EXTENSIONS)})")
            found += inside
        else:
            found.append(p)
    return found
