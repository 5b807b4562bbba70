"""Receptive fields of real models, read off the graph their forward pass recorded.

For every tensor computed from the input, along each spatial axis, we track which input
pixels its cell 0 depends on, [u, v] (negative or past the edge: padding), and the jump j
between neighbouring cells in input pixels (Araujo, Norris and Sim, "Computing receptive
fields of convolutional neural networks", Distill 2019). A layer with kernel k, stride s,
dilation d and padding p (before) maps

    u' = u - p j,    v' = v + (d (k - 1) - p) j,    j' = s j

so the receptive field is r = v - u + 1, the effective stride j, and the effective padding
-u. Where paths meet (residual additions, concatenations) the field is the union over the
paths: u = min, v = max. Once the spatial grid is gone (flatten, global pooling, linear
layers), an output depends on every cell it was reduced from: u stays, v grows by
(size - 1) j, and the last jump is kept for reference.

This works for any model built from convnet's operations, because it follows the graph the
model actually ran, not a table of layers written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import arith
from .._ops import Index, Permute, Reshape
from .._tensor import Tensor
from ..nn.functional.conv import Conv2dFn, ConvTranspose2dFn
from ..nn.functional.padding import PadFn
from ..nn.functional.pooling import AdaptiveAvgPool2dFn, AdaptiveMaxPool2dFn, AvgPool2dFn, MaxPool2dFn


@dataclass(frozen=True)
class Axis:
    """Along one axis: input pixels [u, v] seen by cell 0, and the jump between cells."""

    u: float
    v: float
    j: float

    def conv(self, k: int, s: int, p: int, d: int = 1) -> Axis:
        return Axis(self.u - p * self.j, self.v + (d * (k - 1) - p) * self.j, self.j * s)

    def union(self, other: Axis) -> Axis:
        return Axis(min(self.u, other.u), max(self.v, other.v), max(self.j, other.j))

    def spread(self, size: int) -> Axis:
        """Every cell of a map of `size` cells reduced into one value."""
        return Axis(self.u, self.v + (size - 1) * self.j, self.j)

    @property
    def field(self) -> float:
        return self.v - self.u + 1

    @property
    def padding(self) -> float:
        return -self.u


@dataclass(frozen=True)
class Geometry:
    """A tensor's receptive field along height and width; `spatial` is False once the grid is gone."""

    h: Axis
    w: Axis
    spatial: bool = True

    def union(self, other: Geometry) -> Geometry:
        return Geometry(self.h.union(other.h), self.w.union(other.w), self.spatial and other.spatial)

    def flattened(self, size: tuple[int, int] | None) -> Geometry:
        if not self.spatial or size is None:
            return Geometry(self.h, self.w, False)
        return Geometry(self.h.spread(size[0]), self.w.spread(size[1]), False)

    @property
    def receptive_field(self) -> tuple[float, float]:
        return self.h.field, self.w.field

    @property
    def effective_stride(self) -> tuple[float, float]:
        return self.h.j, self.w.j

    @property
    def effective_padding(self) -> tuple[float, float]:
        return self.h.padding, self.w.padding


INPUT = Geometry(Axis(0, 0, 1), Axis(0, 0, 1))


def _hw(t: Tensor) -> tuple[int, int] | None:
    return tuple(t.shape[2:]) if t.ndim == 4 else None  # type: ignore[return-value]


def _transfer(node: Any, out: Tensor, parents: list[tuple[Tensor, Geometry]]) -> Geometry:
    """The geometry of `out` = node(parents), from the node's saved geometry."""
    first, g = parents[0]
    if isinstance(node, Conv2dFn | MaxPool2dFn | AvgPool2dFn) and first is node.parents[0]:
        k = node.geometry                      # a ConvGeometry or a PoolGeometry: the same names
        return Geometry(g.h.conv(k.kernel[0], k.stride[0], k.padding[0][0], k.dilation[0]),
                        g.w.conv(k.kernel[1], k.stride[1], k.padding[1][0], k.dilation[1]), g.spatial)
    if isinstance(node, AdaptiveAvgPool2dFn | AdaptiveMaxPool2dFn):
        (h, w), (oh, ow) = first.shape[2:], out.shape[2:]
        if (oh, ow) == (1, 1):
            return g.flattened((h, w))
        axes = []
        for axis, size, o in ((g.h, h, oh), (g.w, w, ow)):
            start, end = arith.adaptive_windows(size, o)[0]
            axes.append(Axis(axis.u, axis.v + (end - 1) * axis.j, axis.j * size / o))
        return Geometry(axes[0], axes[1], g.spatial)
    if isinstance(node, ConvTranspose2dFn):
        t = node.geometry                      # of the convolution it is the input gradient of
        axes = []
        for axis, k, s, p, d in ((g.h, t.kernel[0], t.stride[0], t.padding[0][0], t.dilation[0]),
                                 (g.w, t.kernel[1], t.stride[1], t.padding[1][0], t.dilation[1])):
            # output cell 0 receives input cells i with i*s + t*d = p for some tap t
            cells = [(p - t * d) // s for t in range(k) if (p - t * d) % s == 0]
            lo, hi = (min(cells), max(cells)) if cells else (0, 0)
            axes.append(Axis(axis.u + lo * axis.j, axis.v + hi * axis.j, axis.j / s))
        return Geometry(axes[0], axes[1], g.spatial)
    if isinstance(node, PadFn) and out.ndim == 4 and g.spatial:
        (top, _), (left, _) = node.widths[2], node.widths[3]
        return Geometry(Axis(g.h.u - top * g.h.j, g.h.v - top * g.h.j, g.h.j),
                        Axis(g.w.u - left * g.w.j, g.w.v - left * g.w.j, g.w.j), True)
    if isinstance(node, Index) and out.ndim == 4 and first.ndim == 4 and g.spatial:
        index = node.index if isinstance(node.index, tuple) else (node.index,)
        if len(index) == 4 and all(isinstance(i, slice) for i in index):
            axes = []
            for axis, sl, size in ((g.h, index[2], first.shape[2]), (g.w, index[3], first.shape[3])):
                start, _, step = sl.indices(size)
                axes.append(Axis(axis.u + start * axis.j, axis.v + start * axis.j, axis.j * step))
            return Geometry(axes[0], axes[1], True)
    # everything else: elementwise (and broadcasting) ops keep the grid if it is unchanged,
    # joining several paths; anything that reshapes it reduces every cell into each output
    merged: Geometry | None = None
    for t, geo in parents:
        same_grid = geo.spatial and out.ndim == 4 and _hw(t) == _hw(out) and \
            not isinstance(node, Reshape | Permute)
        geo = geo if same_grid else geo.flattened(_hw(t))
        merged = geo if merged is None else merged.union(geo)
    assert merged is not None
    return merged


def trace_geometry(source: Tensor, outputs: list[Tensor]) -> dict[int, Geometry]:
    """Geometry of every tensor between `source` (the input) and `outputs`, by id().

    The tensors must come from a forward pass run with gradient recording on and `source`
    requiring grad, so that each one links back to the operation that made it.
    """
    geometry: dict[int, Geometry] = {id(source): INPUT}
    order: list[Tensor] = []
    expanded: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(t, False) for t in outputs]
    while stack:                       # post-order DFS: parents before the tensors they made
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in expanded or t._grad_fn is None:
            continue
        expanded.add(id(t))
        stack.append((t, True))
        stack += [(p, False) for p in t._grad_fn.parents if p is not None]
    for t in order:
        node = t._grad_fn
        parents = [(p, geometry[id(p)]) for p in node.parents if p is not None and id(p) in geometry]
        if parents:
            geometry[id(t)] = _transfer(node, t, parents)
    return geometry
