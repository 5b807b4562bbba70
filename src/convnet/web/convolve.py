"""What the convolution page shows: a kernel (or a pooling window) sliding over a grid, step by step.

The output is computed by `convnet.nn.functional` (conv2d with its bias, max_pool2d or avg_pool2d);
each step then records the numbers under the kernel's taps, their products with the kernel and
the sum, beside the output value the library computed, so the page shows the numbers convnet
computes. Sizes come from `convnet.arith.conv_output_size`, the formula every layer uses.

>>> c = convolve([[1, 2, 0], [0, 1, 3], [2, 2, 1]], kernel=[[1, 0], [0, -1]], bias=0.5)
>>> c.output.tolist(), c.formula["height"]
([[0.5, -0.5], [-1.5, 0.5]], '⌊(3 + 2·0 − 2) / 1⌋ + 1 = 2')
>>> s = c.steps(1, 1)[0]
>>> s["window"], s["products"], s["sum"], s["value"]
([[2.0, 0.0], [1.0, 3.0]], [[2.0, 0.0], [0.0, -3.0]], -1.0, -0.5)
>>> convolve([[1, 2]], kernel=[[1, 1, 1]]).output
Traceback (most recent call last):
...
convnet.errors.ConvnetValueError: conv2d (width): kernel 3 does not fit input 2 + padding 0; use a smaller kernel ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import arith
from .._tensor import Tensor
from ..errors import ConvnetValueError, ShapeError
from ..nn import functional as F

MODES = {"conv": "conv2d", "maxpool": "max_pool2d", "avgpool": "avg_pool2d"}
MAX_NUMBERS = 60_000        # window and product values in one answer: ask for fewer steps beyond that


def _numbers(a: np.ndarray) -> list[Any]:
    """A float32 array as nested lists of the exact values (minus infinity, max pooling's padding, as None)."""
    out = np.asarray(a, dtype=np.float64)
    if np.isneginf(out).any():
        return [[None if np.isneginf(v) else float(v) for v in row] for row in out]
    return out.tolist()


def size_formula(size: int, kernel: int, stride: int, padding: int, dilation: int) -> str:
    """The output-size formula with the numbers in it, and its result (from `arith.conv_output_size`)."""
    out = arith.conv_output_size(size, kernel, stride, padding, dilation)
    extent = f"{kernel}" if dilation == 1 else f"{dilation}·({kernel} − 1) − 1"
    return f"⌊({size} + 2·{padding} − {extent}) / {stride}⌋ + 1 = {out}"


@dataclass
class Convolution:
    """One convolution or pooling of a 2-D grid: the output from convnet.nn.functional, and its steps."""

    mode: str
    input: np.ndarray                  # (H, W) float32
    kernel: np.ndarray | None          # (KH, KW) for conv
    kernel_shape: tuple[int, int]
    bias: float
    padding: int
    stride: int
    dilation: int
    output: np.ndarray                 # (OH, OW), as the library computed it

    @property
    def padding_value(self) -> float:
        """What the padding counts as: minus infinity for max pooling (it never wins), else zero."""
        return -np.inf if self.mode == "maxpool" else 0.0

    @property
    def total_steps(self) -> int:
        return int(self.output.size)

    @property
    def formula(self) -> dict[str, str]:
        """The output-size formula in general, and per axis with the numbers in it."""
        general = "output = ⌊(input + 2·padding − kernel) / stride⌋ + 1" if self.dilation == 1 else \
            "output = ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1"
        (h, w), (kh, kw) = self.input.shape, self.kernel_shape
        return {"general": general,
                "height": size_formula(h, kh, self.stride, self.padding, self.dilation),
                "width": size_formula(w, kw, self.stride, self.padding, self.dilation)}

    def steps(self, first: int = 0, count: int = 256) -> list[dict[str, Any]]:
        """The records of steps `first` to `first + count - 1` (row by row over the output)."""
        if first >= max(self.total_steps, 1):
            raise ConvnetValueError(f"first_step {first} is past the last step: there are {self.total_steps} steps "
                                    f"(0 to {self.total_steps - 1})")
        kh, kw = self.kernel_shape
        taps = kh * kw * (2 if self.mode == "conv" else 1)
        count = min(count, self.total_steps - first)
        if count * taps > MAX_NUMBERS:
            raise ConvnetValueError(
                f"{count:,} steps of {kh}x{kw} numbers make {count * taps:,} numbers, more than one "
                f"answer holds ({MAX_NUMBERS:,}): ask for at most {MAX_NUMBERS // taps} steps (max_steps)"
            )
        p, s, d = self.padding, self.stride, self.dilation
        plane = np.pad(self.input, p, constant_values=self.padding_value)          # (H + 2P, W + 2P)
        ow = self.output.shape[1]
        records = []
        for index in range(first, first + count):
            i, j = divmod(index, ow)
            rows, cols = i * s + np.arange(kh) * d, j * s + np.arange(kw) * d
            window = plane[np.ix_(rows, cols)]                                      # (KH, KW)
            record: dict[str, Any] = {"index": index, "position": [i, j], "origin": [i * s, j * s],
                                      "window": _numbers(window), "products": None, "sum": None, "count": None,
                                      "argmax": None, "value": float(self.output[i, j])}
            if self.mode == "conv":
                products = window * self.kernel
                record.update(products=_numbers(products), sum=float(products.sum(dtype=np.float64)))
            elif self.mode == "avgpool":
                record.update(sum=float(window.sum(dtype=np.float64)), count=int(window.size))
            else:
                record.update(argmax=[int(v) for v in np.unravel_index(int(np.argmax(window)), window.shape)])
            records.append(record)
        return records


def convolve(grid: Any, mode: str = "conv", kernel: Any = None, kernel_size: int | None = None, bias: float = 0.0,
             padding: int = 0, stride: int = 1, dilation: int = 1) -> Convolution:
    """Slide `kernel` (conv) or a `kernel_size` window (maxpool, avgpool) over the 2-D `grid`.

    The library's own checks apply (a kernel that does not fit, pooling padding over half the
    window, ...) and raise ValueError with the numbers.
    """
    if mode not in MODES:
        raise ConvnetValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    x = np.asarray(grid, dtype=np.float32)
    if x.ndim != 2:
        raise ShapeError(f"the input must be a 2-D grid of numbers, got shape {x.shape}")
    xt = Tensor(x[None, None])                                                        # (1, 1, H, W)
    w = None
    if mode == "conv":
        if kernel is None:
            raise ConvnetValueError("a convolution needs a kernel (rows of numbers)")
        w = np.asarray(kernel, dtype=np.float32)
        shape = w.shape
        out = F.conv2d(xt, Tensor(w[None, None]), Tensor(np.array([bias], np.float32)), stride=stride,
                       padding=padding, dilation=dilation)
    elif kernel_size is None:
        raise ConvnetValueError(f"{mode} needs kernel_size, the size of its window")
    else:
        shape = (kernel_size, kernel_size)
        out = F.max_pool2d(xt, kernel_size, stride, padding, dilation) if mode == "maxpool" else \
            F.avg_pool2d(xt, kernel_size, stride, padding)
    return Convolution(mode, x, w, (int(shape[0]), int(shape[1])), float(bias), padding, stride, dilation,
                       out.numpy()[0, 0])
