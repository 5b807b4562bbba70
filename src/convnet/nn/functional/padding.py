"""F.pad: add (or, with negative amounts, remove) values around the last dimensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetValueError
from ._checks import int_arg, number_arg, tensor_arg

_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each output position along one axis, the input position it copies."""
    pos = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if mode == "circular":
        return pos % size
    period = 2 * (size - 1)                                         # reflect, edge not repeated
    m = np.abs(pos) % period if period else np.zeros_like(pos)
    return np.where(m < size, m, period - m)


class PadFn(Function):
    """Constant mode: backward crops. Other modes copy input values, so backward adds the
    gradient of every copy back to its source: a one-hot matrix per axis, transposed."""

    def forward(self, x: np.ndarray, widths: list[tuple[int, int]], mode: str,
                value: float) -> np.ndarray:
        self.shape, self.widths, self.mode = x.shape, widths, mode
        if mode == "constant":
            grow = [(max(b, 0), max(a, 0)) for b, a in widths]
            out = np.pad(x, grow, constant_values=value) if any(any(w) for w in grow) else x
            cut = tuple(slice(max(-b, 0), out.shape[i] - max(-a, 0))
                        for i, (b, a) in enumerate(widths))
            return out[cut]
        return np.pad(x, widths, mode=_NUMPY_MODE[mode])

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.mode == "constant":
            inverse = [(-b, -a) for b, a in self.widths]
            return PadFn().forward(g, inverse, "constant", 0.0)
        for axis, (b, a) in enumerate(self.widths):
            if b == 0 and a == 0:
                continue
            size = self.shape[axis]
            src = _source_index(size, b, a, self.mode)
            onehot = (src[:, None] == np.arange(size)[None, :]).astype(g.dtype)  # (out, in)
            g = np.moveaxis(np.moveaxis(g, axis, -1) @ onehot, -1, axis)
        return g


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """Pad the last len(pad) // 2 dimensions: pad = (left, right, top, bottom, ...).

    Modes: "constant" (with `value`, default 0; negative amounts crop), "reflect" (mirror
    without repeating the edge), "replicate" (repeat the edge), "circular" (wrap around).

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.pad(cn.ones(1, 1, 2, 2), (1, 1, 1, 1)).shape
    (1, 1, 4, 4)
    """
    op = "pad"
    tensor_arg(input, op)
    if mode not in ("constant", *_NUMPY_MODE):
        raise ConvnetValueError(f"{op}: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                                f"got {mode!r}")
    if not isinstance(pad, Sequence) or len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ConvnetValueError(f"{op}: pad must list (before, after) pairs for at most {input.ndim} "
                                f"dimensions, last dimension first; got {pad!r}")
    minimum = -(10**12) if mode == "constant" else 0
    amounts = [int_arg(p, op, "padding", minimum) for p in pad]
    widths: list[Any] = [(0, 0)] * input.ndim
    for i in range(len(amounts) // 2):
        axis = input.ndim - 1 - i
        b, a = amounts[2 * i], amounts[2 * i + 1]
        size = input.shape[axis]
        if mode == "reflect" and (b >= size or a >= size):
            raise ConvnetValueError(f"{op}: reflect padding ({b}, {a}) must be smaller than the size "
                                    f"{size} of dimension {axis}")
        if mode == "circular" and (b > size or a > size):
            raise ConvnetValueError(f"{op}: circular padding ({b}, {a}) cannot exceed the size {size} "
                                    f"of dimension {axis}")
        if mode == "constant" and size + b + a < 0:
            raise ConvnetValueError(f"{op}: padding ({b}, {a}) removes more than the {size} elements "
                                    f"of dimension {axis}")
        widths[axis] = (b, a)
    fill = 0.0 if value is None else number_arg(value, op, "value")
    return PadFn.apply(input, widths=widths, mode=mode, value=fill)
