"""Drawing with Pillow: text, tile grids, matrices of numbers, colour bars, layout and saving.

Every picture in `convnet.viz` is assembled from these pieces, so they share one look: a
white page, dark text in Pillow's built-in font (no system fonts needed), values enlarged
with nearest-neighbour sampling so that each pixel stays a crisp square.

>>> from convnet.viz import colors
>>> tiles = [values_image(np.eye(3), colors.gray(0, 1), zoom=10) for _ in range(5)]
>>> g = grid(tiles, labels=[f"tile {i}" for i in range(5)], columns=3)
>>> len(g.boxes), g.boxes[0][2] - g.boxes[0][0]
(5, 30)
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import ConvnetValueError
from .colors import ColorScale, fmt

BACKGROUND = (255, 255, 255)
INK = (34, 34, 34)
MUTED = (110, 110, 110)
FRAME = (190, 190, 190)
HIGHLIGHT = (230, 120, 0)

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]          # left, top, right, bottom (right and bottom exclusive)


@lru_cache(maxsize=16)
def font(size: int = 13) -> ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font at `size` pixels (ASCII, plus the middle dot and ellipsis)."""
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


_MEASURE = ImageDraw.Draw(Image.new("RGB", (1, 1)))


def text_size(text: str, size: int = 13) -> tuple[int, int]:
    """Width and height in pixels that `text` (possibly several lines) takes at `size`."""
    if not text:
        return 0, 0
    left, top, right, bottom = _MEASURE.multiline_textbbox((0, 0), text, font=font(size), spacing=2)
    return right - min(left, 0), bottom - min(top, 0)


def text_image(text: str, size: int = 13, color: RGB = INK, align: str = "center", margin: int = 2) -> Image.Image:
    """`text` on a small white image of its own, `margin` pixels all round."""
    w, h = text_size(text, size)
    img = Image.new("RGB", (w + 2 * margin, h + 2 * margin), BACKGROUND)
    ImageDraw.Draw(img).multiline_text((margin, margin), text, fill=color, font=font(size), spacing=2,
                                       align=align)
    return img


def ink_for(rgb: Sequence[int]) -> RGB:
    """Dark or white text, whichever reads better on a cell of colour `rgb`."""
    r, g, b = (int(v) for v in rgb[:3])
    return INK if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def upscale(rgb: np.ndarray, zoom: int) -> np.ndarray:
    """(H, W, 3) -> (H*zoom, W*zoom, 3), each value a zoom x zoom square."""
    return np.repeat(np.repeat(rgb, zoom, axis=0), zoom, axis=1) if zoom > 1 else rgb


def zoom_for(shape: Sequence[int], target: int = 112, most: int = 16) -> int:
    """An integer enlargement bringing the longer side of `shape` near `target` pixels."""
    return int(min(most, max(1, round(target / max(shape)))))


def values_image(values: np.ndarray, scale: ColorScale, zoom: int = 1) -> Image.Image:
    """A 2-D array drawn through `scale`, enlarged `zoom` times."""
    return Image.fromarray(upscale(scale(np.asarray(values)), zoom))


def rgb_image(values: np.ndarray, zoom: int = 1) -> Image.Image:
    """A (3, H, W) uint8 image, enlarged `zoom` times."""
    return Image.fromarray(upscale(np.ascontiguousarray(np.asarray(values).transpose(1, 2, 0)), zoom))


HATCH = (178, 178, 178)


def hatched(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """RGB `pixels` (H, W, 3) with thin diagonal grey stripes where `mask` (H, W) is set."""
    yy, xx = np.indices(mask.shape)
    stripes = ((yy + xx) % 9 == 0) & mask
    return np.where(stripes[..., None], np.array(HATCH, np.uint8), pixels)


def matrix(colors: np.ndarray, texts: Sequence[Sequence[str]] | None = None, cell: int = 36,
           size: int | None = None, line: RGB = (255, 255, 255), hatch: np.ndarray | None = None) -> Image.Image:
    """A grid of cells filled with `colors` (H, W, 3) and, optionally, `texts` written in them.

    Text is dark on light cells and white on dark ones; `size` defaults to suit `cell`. Cells
    where the boolean mask `hatch` (H, W) is set get thin diagonal stripes (e.g. padding).
    """
    h, w = colors.shape[:2]
    img = Image.new("RGB", (w * cell + 1, h * cell + 1), line)
    pixels = upscale(np.ascontiguousarray(colors, dtype=np.uint8), cell)          # (h*cell, w*cell, 3)
    if hatch is not None:
        pixels = hatched(pixels, upscale(np.asarray(hatch)[..., None], cell)[..., 0])
    img.paste(Image.fromarray(pixels), (0, 0))
    draw = ImageDraw.Draw(img)
    for k in range(h + 1):
        draw.line([(0, k * cell), (w * cell, k * cell)], fill=line)
    for k in range(w + 1):
        draw.line([(k * cell, 0), (k * cell, h * cell)], fill=line)
    if texts is not None:
        size = size or max(8, cell * 3 // 8)
        for i in range(h):
            for j in range(w):
                if texts[i][j]:
                    draw.text(((j + 0.5) * cell, (i + 0.5) * cell), texts[i][j], fill=ink_for(colors[i, j]),
                              font=font(size), anchor="mm")
    return img


def number_matrix(values: np.ndarray, scale: ColorScale, cell: int = 36) -> Image.Image:
    """`values` (H, W) as coloured cells with each number written in its cell."""
    v = np.asarray(values)
    return matrix(scale(v), [[fmt(x) for x in row] for row in v], cell=cell)


@dataclass
class Grid:
    """A picture made of tiles: the image, where each tile lies in it, and what each tile shows
    (`keys`, one per box when the maker gives them, e.g. (layer, channel))."""

    image: Image.Image
    boxes: list[Box]
    keys: list[Any] = field(default_factory=list)

    def compose(self, title: str | None = None, subtitle: str | None = None,
                below: Sequence[Image.Image] = (), border: int = 16, size: int = 16) -> Grid:
        """This grid with a title above (`size` pixels), more pictures below and a white border;
        boxes follow."""
        header = [text_image(title, size, align="left")] if title else []
        if subtitle:
            header.append(text_image(wrap(subtitle, max(self.image.width, 480), 12), 12, color=MUTED, align="left"))
        parts = ([stack(header, gap=2, align="start")] if header else []) + [self.image, *below]
        gap = 8
        top = border + (parts[0].height + gap if header else 0)
        out = margin(stack(parts, gap=gap, align="start"), border)
        return Grid(out, [(a + border, b + top, c + border, d + top) for a, b, c, d in self.boxes], self.keys)


def stack_grids(grids: Sequence[Grid], gap: int = 24) -> Grid:
    """Grids one below the other, left-aligned, as one grid (boxes and keys in order)."""
    image = stack([g.image for g in grids], gap=gap, align="start")
    boxes: list[Box] = []
    keys: list[Any] = []
    top = 0
    for g in grids:
        boxes += [(a, b + top, c, d + top) for a, b, c, d in g.boxes]
        keys += g.keys
        top += g.image.height + gap
    return Grid(image, boxes, keys)


def grid(tiles: Sequence[Image.Image], labels: Sequence[str] | None = None, columns: int | None = None,
         row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
         gap: int = 10, label_size: int = 12, keys: Sequence[Any] | None = None) -> Grid:
    """Tiles in rows of `columns` (default: about square), each with an optional label below,
    optional row headers on the left and column headers on top, and a thin frame round each tile.

    Every cell is as wide as the widest tile or label, so no label is ever cut off. `keys`
    (one per tile) are kept on the result to say what each tile shows.
    """
    if not tiles:
        raise ConvnetValueError("grid: no tiles to draw")
    n = len(tiles)
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / columns)
    label_h = max((text_size(t, label_size)[1] for t in labels or [] if t), default=0)
    label_w = max((text_size(t, label_size)[0] for t in labels or [] if t), default=0)
    cell_w = max(max(t.width for t in tiles), label_w) + 2
    cell_h = max(t.height for t in tiles) + 2 + (label_h + 4 if label_h else 0)
    head_w = max((text_size(t, label_size)[0] for t in row_labels or []), default=0)
    head_w += 8 if head_w else 0
    head_h = max((text_size(t, label_size)[1] for t in col_labels or []), default=0)
    head_h += 6 if head_h else 0
    width = head_w + columns * cell_w + (columns + 1) * gap
    height = head_h + rows * cell_h + (rows + 1) * gap
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    boxes: list[Box] = []
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        x0 = head_w + gap + c * (cell_w + gap)
        y0 = head_h + gap + r * (cell_h + gap)
        left, top = x0 + (cell_w - tile.width) // 2, y0 + 1
        img.paste(tile, (left, top))
        draw.rectangle([left - 1, top - 1, left + tile.width, top + tile.height], outline=FRAME)
        boxes.append((left, top, left + tile.width, top + tile.height))
        if labels is not None and labels[k]:
            draw.multiline_text((x0 + cell_w / 2, top + tile.height + 4), labels[k], fill=INK, anchor="ma",
                                font=font(label_size), spacing=2, align="center")
    tile_h = max(t.height for t in tiles)
    for r, text in enumerate(row_labels or []):
        y = head_h + gap + r * (cell_h + gap) + 1 + tile_h / 2
        draw.text((head_w - 8, y), text, fill=INK, font=font(label_size), anchor="rm")
    for c, text in enumerate(col_labels or []):
        x = head_w + gap + c * (cell_w + gap) + cell_w / 2
        draw.text((x, head_h + gap - 6), text, fill=INK, font=font(label_size), anchor="md")
    return Grid(img, boxes, list(keys or []))


def stack(images: Sequence[Image.Image], vertical: bool = True, gap: int = 12, align: str = "center"
          ) -> Image.Image:
    """Images one below the other (or side by side), aligned "start" or "center"."""
    images = [im for im in images if im is not None]
    if vertical:
        width, height = max(im.width for im in images), sum(im.height for im in images) + gap * (len(images) - 1)
    else:
        width, height = sum(im.width for im in images) + gap * (len(images) - 1), max(im.height for im in images)
    out = Image.new("RGB", (width, height), BACKGROUND)
    at = 0
    for im in images:
        if vertical:
            out.paste(im, ((width - im.width) // 2 if align == "center" else 0, at))
            at += im.height + gap
        else:
            out.paste(im, (at, (height - im.height) // 2 if align == "center" else 0))
            at += im.width + gap
    return out


def place(columns: Sequence[Sequence[Image.Image]], gap: int = 8, column_gap: int = 28
          ) -> tuple[Image.Image, list[list[Box]]]:
    """Columns side by side, each a stack of pictures centred in its column; returns the image
    and the box of every picture, column by column."""
    widths = [max(p.width for p in col) for col in columns]
    heights = [sum(p.height for p in col) + gap * (len(col) - 1) for col in columns]
    img = Image.new("RGB", (sum(widths) + column_gap * (len(columns) - 1), max(heights)), BACKGROUND)
    boxes: list[list[Box]] = []
    x = 0
    for col, width in zip(columns, widths, strict=True):
        y, placed = 0, []
        for p in col:
            left = x + (width - p.width) // 2
            img.paste(p, (left, y))
            placed.append((left, y, left + p.width, y + p.height))
            y += p.height + gap
        boxes.append(placed)
        x += width + column_gap
    return img, boxes


def wrap(text: str, width: int, size: int = 12) -> str:
    """`text` with line breaks so that no line is wider than `width` pixels."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_size(f"{lines[-1]} {word}", size)[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def titled(image: Image.Image, title: str, subtitle: str | None = None, size: int = 16) -> Image.Image:
    """`image` under a bold-ish title line (and a smaller grey subtitle), left-aligned."""
    parts = [text_image(title, size, align="left")]
    if subtitle:
        parts.append(text_image(subtitle, max(10, size - 4), color=MUTED, align="left"))
    return stack([stack(parts, gap=2, align="start"), image], gap=8, align="start")


def same_size(images: Sequence[Image.Image]) -> list[Image.Image]:
    """`images` on white canvases of one size (the largest), top-left aligned: GIF frames must agree."""
    width, height = max(im.width for im in images), max(im.height for im in images)
    out = []
    for im in images:
        page = Image.new("RGB", (width, height), BACKGROUND)
        page.paste(im, (0, 0))
        out.append(page)
    return out


def margin(image: Image.Image, pixels: int = 16) -> Image.Image:
    """`image` with a white border of `pixels` all round."""
    out = Image.new("RGB", (image.width + 2 * pixels, image.height + 2 * pixels), BACKGROUND)
    out.paste(image, (pixels, pixels))
    return out


def colorbar(scale: ColorScale, length: int = 180, thickness: int = 12, title: str | None = None,
             size: int = 11) -> Image.Image:
    """A horizontal colour bar for `scale`, with its ends (and zero) labelled underneath."""
    ramp = scale(np.linspace(scale.lo, scale.hi, length))                          # (length, 3)
    strip = Image.fromarray(np.ascontiguousarray(np.broadcast_to(ramp, (thickness, length, 3))))
    labels = [(v, fmt(v)) for v in scale.ticks]
    pad = max(text_size(t, size)[0] for _, t in labels) // 2 + 2
    text_h = text_size("0123456789", size)[1]
    img = Image.new("RGB", (length + 2 * pad, thickness + text_h + 8), BACKGROUND)
    img.paste(strip, (pad, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle([pad - 1, 0, pad + length, thickness], outline=FRAME)
    for v, t in labels:
        x = pad + (v - scale.lo) / (scale.hi - scale.lo) * (length - 1)
        draw.line([(x, thickness), (x, thickness + 3)], fill=INK)
        draw.text((x, thickness + 4), t, fill=INK, font=font(size), anchor="ma")
    if title:
        return stack([text_image(title, size, color=MUTED), img], gap=0)
    return img


def _encode(image: Image.Image, fmt_name: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt_name)
    return buf.getvalue()


_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}


def save(image: Image.Image, path: str | os.PathLike[str]) -> Path:
    """Write `image` to `path` atomically, in the format its extension names (PNG, JPEG, GIF, WebP)."""
    from ..io.atomic import atomic_write_bytes

    p = Path(path)
    fmt_name = _FORMATS.get(p.suffix.lower())
    if fmt_name is None:
        raise ConvnetValueError(f"{p}: cannot tell the image format from {p.suffix or 'no extension'!r}; "
                                f"end the name with {', '.join(_FORMATS)}")
    atomic_write_bytes(p, _encode(image.convert("RGB"), fmt_name))
    return p


def save_gif(frames: Sequence[Image.Image], path: str | os.PathLike[str], durations: Sequence[int]) -> Path:
    """Write `frames` as a looping GIF, frame k shown for durations[k] milliseconds, atomically.

    All frames share one 64-colour palette (flat colours and text need no more), which keeps
    the file small and the colours steady from frame to frame.
    """
    from ..io.atomic import atomic_write_bytes

    p = Path(path)
    if p.suffix.lower() != ".gif":
        raise ConvnetValueError(f"{p}: an animation is written as a GIF; end the name with .gif")
    rgb = [f.convert("RGB") for f in frames]
    sample = rgb[::max(1, len(rgb) // 12)]                  # one palette for all frames, from a dozen of them
    sheet = Image.new("RGB", (max(f.width for f in sample), sum(f.height for f in sample)), BACKGROUND)
    for k, f in enumerate(sample):
        sheet.paste(f, (0, sum(g.height for g in sample[:k])))
    palette = sheet.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    first, *rest = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in rgb]
    buf = io.BytesIO()
    first.save(buf, format="GIF", save_all=True, append_images=rest, duration=list(durations), loop=0, disposal=1)
    atomic_write_bytes(p, buf.getvalue())
    return p
