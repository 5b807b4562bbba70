"""Images sent to the web app: base64 text, uploaded files or arrays of pixels, checked before use.

Limits protect the server: an image file may hold at most 5 MB, and at most
`convnet.data.folder.MAX_PIXELS` pixels (50 megapixels, the limit every image reader of convnet
shares), read from the file's header before any pixel is decoded; a large JPEG is decoded at a
reduced scale (draft mode). Every refusal raises an
`UploadError` whose message says what was wrong and what to send instead; its `status` is the
HTTP status the app answers with (413 too large, 415 not an image, 422 unusable content).

>>> import base64, io
>>> from PIL import Image
>>> buf = io.BytesIO(); Image.new("L", (3, 2)).save(buf, "PNG")
>>> decode_base64("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()).size
(3, 2)
>>> decode_base64("aGVsbG8=")
Traceback (most recent call last):
...
convnet.web.images.NotAnImage: the file is not an image Pillow can read (5 bytes, starting ...); send a PNG, ...
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..data.folder import ImageTooLarge, open_lazily
from ..data.preprocess import WORKING_SIDE
from ..errors import ConvnetValueError

MAX_BYTES = 5 * 1024 * 1024          # an image file: 5 MB (its pixels: MAX_PIXELS, shared with the CLI)


class UploadError(ConvnetValueError):
    """Input the app cannot use; `status` is the HTTP status to answer with."""

    status = 422


class TooLarge(UploadError):
    status = 413


class NotAnImage(UploadError):
    status = 415


def megabytes(n: int) -> str:
    """A byte count for people: '5.00 MB'."""
    return f"{n / (1024 * 1024):.2f} MB"


def open_upload(data: bytes) -> Image.Image:
    """An image file's bytes as a decoded PIL image (the first frame of an animation), within the limits."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the image file is {megabytes(len(data))}; the limit is {megabytes(MAX_BYTES)}: send a "
                       "smaller or more compressed image")
    if not data:
        raise UploadError("the image file is empty")
    try:
        image = open_lazily(io.BytesIO(data), "the image")
    except ImageTooLarge as e:
        raise TooLarge(str(e)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise NotAnImage(f"the file is not an image Pillow can read ({len(data)} bytes, starting "
                         f"{data[:8]!r}: {e.__class__.__name__}); send a PNG, JPEG, BMP, GIF, TIFF or WebP "
                         "file") from None
    declared = image.size
    if image.format == "JPEG":
        image.draft(image.mode, (WORKING_SIDE, WORKING_SIDE))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise NotAnImage(f"the {image.format or 'image'} file is damaged or truncated ({e}); save it again and "
                         "resend it") from None
    image.info["declared_size"] = declared
    return image


def decode_base64(text: str) -> Image.Image:
    """An image file sent as base64 text (optionally a ``data:image/...;base64,`` URL), decoded."""
    head, sep, body = text.partition(",")
    if sep and head.startswith("data:"):
        if not head.endswith(";base64"):
            raise UploadError(f"the data URL must be base64-encoded (data:image/png;base64,...), got {head!r}")
        text = body
    if len(text) > (MAX_BYTES * 4) // 3 + 4:
        raise TooLarge(f"the image is about {megabytes(len(text) * 3 // 4)} once decoded; the limit is "
                       f"{megabytes(MAX_BYTES)}: send a smaller or more compressed image")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("'image' is not valid base64: send the file's bytes base64-encoded (A-Z, a-z, 0-9, "
                          "+ and /, padded with =), or a data: URL") from None
    return open_upload(data)


def pixel_array(values: Any, shape: tuple[int, int, int]) -> np.ndarray:
    """`values` (rows of numbers 0-255, or channels of rows) as the uint8 (C, H, W) array a model of
    input `shape` takes; a single-channel grid is accepted for one-channel models."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        raise UploadError("'pixels' must be a rectangular array of numbers: rows of equal length (and, for "
                          "several channels, channels of equal size)") from None
    c, h, w = shape
    if arr.ndim == 2 and c == 1:
        arr = arr[None]
    if arr.shape != shape:
        want = f"{h} rows of {w} numbers" if c == 1 else f"{c} channels of {h} rows of {w} numbers"
        raise UploadError(f"'pixels' has shape {'x'.join(map(str, arr.shape))} but the model takes "
                          f"{'x'.join(map(str, shape))}: send {want}")
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 255:
        raise UploadError("'pixels' must hold numbers from 0 to 255 (the image's brightness), got values from "
                          f"{np.nanmin(arr):g} to {np.nanmax(arr):g}")
    return np.rint(arr).astype(np.uint8)
