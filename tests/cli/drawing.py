"""Digits drawn with pen strokes (Pillow lines and arcs), as a person would, for predict tests."""

from __future__ import annotations

from PIL import Image, ImageDraw

# each digit: strokes in a unit box (x right, y down); ("line", points) or ("arc", box, start, end)
STROKES: dict[int, list[tuple]] = {
    0: [("arc", (0.2, 0.05, 0.8, 0.95), 0, 360)],
    1: [("line", [(0.35, 0.25), (0.55, 0.05), (0.55, 0.95)])],
    2: [("arc", (0.2, 0.05, 0.8, 0.5), 180, 360), ("line", [(0.8, 0.28), (0.2, 0.95), (0.85, 0.95)])],
    3: [("arc", (0.25, 0.05, 0.75, 0.5), 200, 90), ("arc", (0.2, 0.45, 0.8, 0.95), 270, 160)],
    4: [("line", [(0.6, 0.95), (0.6, 0.05), (0.15, 0.65), (0.85, 0.65)])],
    5: [("line", [(0.8, 0.05), (0.3, 0.05), (0.25, 0.45)]), ("arc", (0.2, 0.35, 0.8, 0.95), 220, 150)],
    6: [("arc", (0.2, 0.05, 0.9, 0.9), 200, 270), ("line", [(0.5, 0.05), (0.22, 0.6)]),
        ("arc", (0.2, 0.45, 0.8, 0.95), 0, 360)],
    7: [("line", [(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)])],
    8: [("arc", (0.27, 0.05, 0.73, 0.48), 0, 360), ("arc", (0.2, 0.48, 0.8, 0.95), 0, 360)],
    9: [("arc", (0.2, 0.05, 0.8, 0.5), 0, 360), ("line", [(0.8, 0.27), (0.72, 0.95)])],
}


def draw_digit(digit: int, canvas: tuple[int, int] = (200, 260), box: tuple[int, int, int, int] | None = None,
               ink: tuple[int, ...] | int = 0, paper: tuple[int, ...] | int = 255, mode: str = "L",
               width: int | None = None) -> Image.Image:
    """`digit` drawn in `box` (left, top, right, bottom; default: most of the canvas)."""
    img = Image.new(mode, canvas, paper)
    d = ImageDraw.Draw(img)
    left, top, right, bottom = box or (canvas[0] // 6, canvas[1] // 8, canvas[0] * 5 // 6, canvas[1] * 7 // 8)
    w, h = right - left, bottom - top
    pen = width or max(2, h // 9)

    def at(x: float, y: float) -> tuple[float, float]:
        return left + x * w, top + y * h

    for stroke in STROKES[digit]:
        if stroke[0] == "line":
            d.line([at(*p) for p in stroke[1]], fill=ink, width=pen, joint="curve")
        else:
            x0, y0, x1, y1 = stroke[1]
            d.arc([at(x0, y0), at(x1, y1)], stroke[2], stroke[3], fill=ink, width=pen)
    return img


def photographed(digit: int, lighting: str, seed: int = 0) -> Image.Image:
    """`digit` in dark ink on paper as a phone would see it: "clean", "gradient" (the page 55% to 100%
    lit from left to right), "shadow" (a hard shadow over part of the page and the digit), "texture"
    (blotchy paper) or "noise" (sensor noise, lower contrast)."""
    import numpy as np

    rng = np.random.default_rng(seed + digit)
    base = np.asarray(draw_digit(digit, canvas=(300, 400)), np.float64)        # ink 0, paper 255
    h, w = base.shape
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    ink = base < 128
    if lighting == "clean":
        out = base
    elif lighting == "gradient":
        out = np.where(ink, 40.0, 255 * (0.55 + 0.45 * xx / xx.max()))
    elif lighting == "shadow":
        out = np.where(ink, 40.0, np.where(xx + 0.5 * yy > 0.6, 120.0, 235.0))
    elif lighting == "texture":
        blotches = rng.normal(0, 1, (h // 8, w // 8))
        out = np.where(ink, 40.0, 215 + 15 * np.asarray(Image.fromarray(blotches).resize((w, h), Image.BILINEAR)))
    elif lighting == "noise":
        out = base * 0.8 + 30 + rng.normal(0, 18, base.shape)
    else:
        raise ValueError(f"unknown lighting {lighting!r}")
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
