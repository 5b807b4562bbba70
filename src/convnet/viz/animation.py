"""Animations of a kernel sliding over a padded input, one frame per output cell.

`animate` computes the whole result first with `convnet.nn.functional` (conv2d,
max_pool2d, avg_pool2d or conv_transpose2d) and then draws it: each frame shows the
kernel's taps on the padded input (padding hatched, in grey) and the output filling in
cell by cell. With ``values=True`` small integers are written in every cell, and each frame
shows the window, the kernel, their element-wise products and the sum (or the max, or the
mean), so the numbers drawn are the numbers computed. The records behind every frame are
kept as `Step` objects.

A transposed convolution is drawn the way it can be computed: a stride-1 convolution, with
the kernel flipped, over the input spread out by ``stride - 1`` zeros between its cells and
padded by ``dilation * (kernel - 1) - padding`` zeros all round.

>>> a = animate(input_size=5, kernel_size=3, padding=1, stride=2, values=True)
>>> len(a.steps), a.output.shape, len(a.frames)
(9, (3, 3), 9)
>>> s = a.steps[4]
>>> s.position, float(s.products.sum()) == s.value == float(a.output[1, 1])
((1, 1), True)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .. import arith
from .._tensor import Tensor
from ..errors import ConvnetValueError
from ..nn import functional as F
from . import canvas, colors

MODES = ("conv", "maxpool", "avgpool", "transposed")
MAX_INPUT, MAX_KERNEL = 16, 7
INPUT, PADDING, INSERTED = 0, 1, 2                 # what each cell of the plane is

INPUT_FILL = (198, 219, 239)
PAD_FILL = (232, 232, 232)
INSERTED_FILL = (247, 247, 247)
OUTPUT_FILL = (161, 217, 155)
EMPTY_FILL = (255, 255, 255)
WINDOW = canvas.HIGHLIGHT


@dataclass
class Step:
    """One output cell being computed: where the kernel's taps land and what they give."""

    index: int
    position: tuple[int, int]            # the output cell (row, column)
    rows: np.ndarray                     # plane rows under the kernel's taps (k,)
    cols: np.ndarray                     # plane columns under the kernel's taps (k,)
    window: np.ndarray                   # (k, k) the values under the taps
    products: np.ndarray | None          # window * kernel, for convolutions
    value: float                         # output[row, col] as convnet.nn.functional computed it
    shown: np.ndarray                    # (OH, OW) the output drawn so far; NaN where not yet reached


@dataclass
class Animation:
    """The frames, their durations (ms), the per-step records and the arrays they were drawn from."""

    mode: str
    input: np.ndarray                    # (n, n) the input before padding
    kernel: np.ndarray | None            # (k, k) as given to the function (None for pooling)
    plane: np.ndarray                    # what the kernel slides over: padded (and for transposed, spread) input
    kinds: np.ndarray                    # per plane cell: INPUT, PADDING or INSERTED
    output: np.ndarray                   # (OH, OW) from convnet.nn.functional
    steps: list[Step]
    frames: list[Image.Image]
    durations: list[int]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the animation as a looping GIF."""
        return canvas.save_gif(self.frames, path, self.durations)

    def save_frames(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write every frame as frame-000.png, frame-001.png, ... in `folder`."""
        return [canvas.save(f, Path(folder) / f"frame-{k:03d}.png") for k, f in enumerate(self.frames)]


def _check(name: str, value: int, lo: int, hi: int | None = None) -> int:
    if not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        limit = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ConvnetValueError(f"animate: {name} must be a whole number {limit}, got {value!r}"
                                + (" (animations stay small enough to read)" if hi is not None else ""))
    return value


def _compute(mode: str, x: np.ndarray, w: np.ndarray | None, k: int, s: int, p: int, d: int) -> np.ndarray:
    """The full result, from convnet.nn.functional: the source of every number drawn."""
    xt = Tensor(x[None, None])
    if mode == "conv":
        out = F.conv2d(xt, Tensor(w[None, None]), stride=s, padding=p, dilation=d)
    elif mode == "maxpool":
        out = F.max_pool2d(xt, k, stride=s, padding=p, dilation=d)
    elif mode == "avgpool":
        out = F.avg_pool2d(xt, k, stride=s, padding=p)
    else:
        out = F.conv_transpose2d(xt, Tensor(w[None, None]), stride=s, padding=p, dilation=d)
    return out.numpy()[0, 0]


def _plane(mode: str, x: np.ndarray, k: int, s: int, p: int, d: int) -> tuple[np.ndarray, np.ndarray, int]:
    """What the kernel slides over, the kind of each cell, and the step between windows."""
    n = x.shape[0]
    if mode != "transposed":
        size = n + 2 * p
        plane = np.full((size, size), -np.inf if mode == "maxpool" else 0.0, np.float32)
        kinds = np.full((size, size), PADDING)
        plane[p:p + n, p:p + n] = x
        kinds[p:p + n, p:p + n] = INPUT
        return plane, kinds, s
    q = d * (k - 1) - p
    if q < 0:
        raise ConvnetValueError(f"animate: a transposed convolution is drawn as a convolution over padded input, which "
                                f"needs padding <= dilation * (kernel - 1) = {d * (k - 1)}; got padding {p}")
    spread = (n - 1) * s + 1
    size = spread + 2 * q
    plane = np.zeros((size, size), np.float32)
    kinds = np.full((size, size), PADDING)
    kinds[q:q + spread, q:q + spread] = INSERTED
    plane[q:q + spread:s, q:q + spread:s] = x
    kinds[q:q + spread:s, q:q + spread:s] = INPUT
    return plane, kinds, 1


def animate(input_size: int = 5, kernel_size: int = 3, padding: int = 0, stride: int = 1, dilation: int = 1,
            mode: str = "conv", values: bool = False, seed: int = 0) -> Animation:
    """Animate `mode` ("conv", "maxpool", "avgpool" or "transposed") on a square input.

    Inputs are small random integers (0-3 for convolutions, 0-9 for pooling) and the kernel
    integers from -1 to 2, drawn from `seed`; with `values` they are written in the cells.
    """
    if mode not in MODES:
        raise ConvnetValueError(f"animate: mode must be one of {', '.join(MODES)}, got {mode!r}")
    n = _check("input size", input_size, 1, MAX_INPUT)
    k = _check("kernel size", kernel_size, 1, MAX_KERNEL)
    p = _check("padding", padding, 0)
    s = _check("stride", stride, 1)
    d = _check("dilation", dilation, 1)
    if mode == "avgpool" and d != 1:
        raise ConvnetValueError("animate: average pooling has no dilation (avg_pool2d takes none); use --dilation 1")
    rng = np.random.default_rng(seed)
    pooling = mode in ("maxpool", "avgpool")
    x = rng.integers(0, 10 if pooling else 4, (n, n)).astype(np.float32)
    w = None if pooling else rng.integers(-1, 3, (k, k)).astype(np.float32)
    output = _compute(mode, x, w, k, s, p, d)
    plane, kinds, step = _plane(mode, x, k, s, p, d)
    slid = None if w is None else (w[::-1, ::-1] if mode == "transposed" else w)
    taps = np.arange(k) * d
    steps: list[Step] = []
    shown = np.full(output.shape, np.nan, np.float32)
    for idx, (i, j) in enumerate(np.ndindex(*output.shape)):
        rows, cols = i * step + taps, j * step + taps
        window = plane[np.ix_(rows, cols)]
        shown = shown.copy()
        shown[i, j] = output[i, j]
        steps.append(Step(idx, (i, j), rows, cols, window, None if slid is None else window * slid,
                          float(output[i, j]), shown))
    drawing = _Drawing(mode, x, slid, plane, kinds, output, values, (k, s, p, d))
    frames = canvas.same_size([drawing.frame(st, len(steps)) for st in steps])
    each = 1100 if values else 450
    durations = [each] * (len(frames) - 1) + [2600]
    return Animation(mode, x, w, plane, kinds, output, steps, frames, durations)


_OPS = {"conv": "conv2d", "maxpool": "max_pool2d", "avgpool": "avg_pool2d", "transposed": "conv_transpose2d"}


def _blend(rgb: np.ndarray, color: tuple[int, int, int], amount: float) -> np.ndarray:
    return np.rint(rgb * (1 - amount) + np.asarray(color) * amount).astype(np.uint8)


class _Drawing:
    """Draws the frames of one animation, in order: what stays the same is drawn once, and each
    frame redraws only the cells under the kernel and the output cell it fills."""

    def __init__(self, mode: str, x: np.ndarray, slid: np.ndarray | None, plane: np.ndarray, kinds: np.ndarray,
                 output: np.ndarray, values: bool, geometry: tuple[int, int, int, int]) -> None:
        self.mode, self.slid, self.kinds, self.output = mode, slid, kinds, output
        self.values = values
        self.cell = 40 if values else 30
        k, s, p, d = geometry
        n, oh = x.shape[0], output.shape[0]
        dil = f", dilation {d}" if d > 1 else ""
        what = "kernel" if mode in ("conv", "transposed") else "window"
        title = f"{_OPS[mode]}: input {n}x{n}, {what} {k}x{k}, padding {p}, stride {s}{dil} -> output {oh}x{oh}"
        if mode == "transposed":
            subtitle = (f"output size = ({n} - 1)·{s} - 2·{p} + {d}·({k} - 1) + 1 = {oh}.  Drawn as a stride-1 "
                        f"convolution with the kernel flipped, over the input spread out ({s - 1} zero(s) between "
                        f"cells) and padded by {d * (k - 1) - p}")
            plane_label = f"input {n}x{n}, spread out and padded ({plane.shape[0]}x{plane.shape[0]})"
        else:
            ext = f"{k}" if d == 1 else f"{d}·({k} - 1) + 1"
            subtitle = f"output size = floor(({n} + 2·{p} - {ext}) / {s}) + 1 = {arith.conv_output_size(n, k, s, p, d)}"
            plane_label = f"input {n}x{n} with padding {p}" if p else f"input {n}x{n}"
        pad_text = "" if mode == "maxpool" else "0"
        self.texts = [[(colors.fmt(v) if kind != PADDING else pad_text) for v, kind in zip(row, krow, strict=True)]
                      for row, krow in zip(plane, kinds, strict=True)]
        self.fills = np.array([INPUT_FILL, PAD_FILL, INSERTED_FILL], np.uint8)[kinds]          # (P, P, 3)
        self.plane_base = canvas.matrix(self.fills, self.texts if values else None, self.cell,
                                        hatch=kinds == PADDING)
        self.output_done = canvas.matrix(np.full((*output.shape, 3), 255, np.uint8), None, self.cell,
                                         line=canvas.FRAME)
        self.plane_label = canvas.text_image(plane_label, 13, color=canvas.MUTED)
        self.output_label = canvas.text_image(f"output {output.shape[0]}x{output.shape[1]}", 13, color=canvas.MUTED)
        width = max(self.plane_base.width + self.output_done.width + 48, 420)
        self.header = canvas.stack([canvas.text_image(title, 16, align="left"),
                                    canvas.text_image(canvas.wrap(subtitle, width, 12), 12, color=canvas.MUTED,
                                                      align="left")], gap=8, align="start")
        self.legend = self._legend()
        self.kernel_panel = None
        if slid is not None:
            kscale = colors.symmetric(slid)
            self.kernel_panel = self._labelled("flipped kernel" if mode == "transposed" else "kernel",
                                               canvas.number_matrix(slid, colors.ColorScale(2 * kscale.lo,
                                                                                            2 * kscale.hi), 34))

    def _cell(self, rgb: np.ndarray, text: str, hatch: bool = False, line: tuple[int, int, int] = (255, 255, 255)
              ) -> Image.Image:
        return canvas.matrix(np.asarray(rgb, np.uint8)[None, None], [[text]] if self.values else None, self.cell,
                             line=line, hatch=np.array([[hatch]]))

    def _plane_image(self, step: Step) -> Image.Image:
        img = self.plane_base.copy()
        cells = [(int(a), int(b)) for a in step.rows for b in step.cols]
        for a, b in cells:
            img.paste(self._cell(_blend(self.fills[a, b], WINDOW, 0.45), self.texts[a][b],
                                 self.kinds[a, b] == PADDING), (b * self.cell, a * self.cell))
        self._outline(img, cells)
        return img

    def _output_image(self, step: Step) -> Image.Image:
        i, j = step.position
        text = colors.fmt(step.value)
        img = self.output_done.copy()
        img.paste(self._cell(_blend(np.array(OUTPUT_FILL), WINDOW, 0.45), text, line=canvas.FRAME),
                  (j * self.cell, i * self.cell))
        self._outline(img, [(i, j)])
        self.output_done.paste(self._cell(np.array(OUTPUT_FILL), text, line=canvas.FRAME),
                               (j * self.cell, i * self.cell))       # filled for the frames after this one
        return img

    def _outline(self, img: Image.Image, cells: Iterable[tuple[int, int]]) -> None:
        draw = ImageDraw.Draw(img)
        for a, b in cells:
            draw.rectangle([b * self.cell, a * self.cell, (b + 1) * self.cell, (a + 1) * self.cell], outline=WINDOW,
                           width=3)

    @staticmethod
    def _labelled(label: str, image: Image.Image) -> Image.Image:
        return canvas.stack([canvas.text_image(label, 13, color=canvas.MUTED), image], gap=4)

    @staticmethod
    def _sign(text: str) -> Image.Image:
        return canvas.text_image(text, 20)

    def _computation(self, step: Step) -> Image.Image:
        """The window, the kernel, their products and the result, for one step."""
        cell = 34
        wtexts = [[self.texts[a][b] for b in step.cols] for a in step.rows]
        window = self._labelled("window", canvas.matrix(self.fills[np.ix_(step.rows, step.cols)], wtexts, cell,
                                                        hatch=self.kinds[np.ix_(step.rows, step.cols)] == PADDING))
        value = colors.fmt(step.value)
        if step.products is not None and self.kernel_panel is not None:
            products = self._labelled("products", canvas.matrix(
                np.full((*step.products.shape, 3), 255, np.uint8),
                [[colors.fmt(v) for v in row] for row in step.products], cell, line=canvas.FRAME))
            parts = [window, self._sign("x"), self.kernel_panel, self._sign("="), products,
                     self._sign(f"sum = {value}")]
        elif self.mode == "maxpool":
            parts = [window, self._sign(f"max = {value}")]
        else:
            total = colors.fmt(float(step.window.sum()))
            parts = [window, self._sign(f"mean = {total} / {step.window.size} = {value}")]
        return canvas.stack(parts, vertical=False, gap=14)

    def _legend(self) -> Image.Image:
        padding = {"maxpool": "padding (-inf: never the max)", "avgpool": "padding (zeros, counted in the mean)"}
        items = [(INPUT_FILL, False, "input"), (PAD_FILL, True, padding.get(self.mode, "padding (zeros)"))]
        if self.mode == "transposed":
            items.append((INSERTED_FILL, False, "zeros inserted between input cells"))
        items += [(tuple(_blend(np.array(INPUT_FILL), WINDOW, 0.45)), False,
                   "under the window" if self.mode in ("maxpool", "avgpool") else "under the kernel"),
                  (OUTPUT_FILL, False, "output computed")]
        pieces = []
        for fill, hatched, text in items:
            swatch = canvas.matrix(np.array([[fill]], np.uint8), None, 16, line=canvas.FRAME,
                                   hatch=np.array([[hatched]]))
            pieces.append(canvas.stack([swatch, canvas.text_image(text, 11)], vertical=False, gap=4))
        return canvas.stack(pieces, vertical=False, gap=16)

    def frame(self, step: Step, total: int) -> Image.Image:
        """The frame of `step`; frames must be drawn in order (the output fills in as they go)."""
        i, j = step.position
        grids, _ = canvas.place([[self.plane_label, self._plane_image(step)],
                                 [self.output_label, self._output_image(step)]], gap=4, column_gap=48)
        shown = f" = {colors.fmt(step.value)}" if self.values else ""
        line = canvas.text_image(f"step {step.index + 1} of {total}: output cell (row {i}, column {j}){shown}", 13)
        parts = [self.header, grids, line, *([self._computation(step)] if self.values else []), self.legend]
        return canvas.margin(canvas.stack(parts, gap=10, align="start"), 16)
