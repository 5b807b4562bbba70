"""Kernel constraints: entries fixed at a value, entries tied to share one value, frozen filters.

The seeds describe a kernel as a weight matrix with two special kinds of entries: a value
of 0 that is not trainable, and entries that are *tied*, having the same value while
still being trained. Both are declared on a parameter here, and hold whatever optimizer
trains it:

* the gradient is constrained as it arrives (a hook): fixed entries get zero, and every
  place of a tied group gets the *sum* of the gradients of its places, which is exactly
  the gradient of one shared value used in several places;
* after each optimizer step, `Parameter.enforce_constraints` resets fixed entries to their
  values bit for bit (weight decay and momentum would otherwise move them) and sets every
  tied place to its group's value.

>>> import numpy as np, convnet as cn
>>> w = cn.nn.Parameter(cn.randn(1, 1, 3, 3))
>>> mask = np.zeros((1, 1, 3, 3), bool); mask[0, 0, 1, 1] = True
>>> fix(w, mask, value=0.0)            # the centre tap is 0 and untrainable
>>> groups = -np.ones((1, 1, 3, 3), int); groups[0, 0, 0, :] = 0
>>> tie(w, groups)                     # the top row shares one trainable value
>>> trainable_count(w)                 # 9 entries - 1 fixed - 2 tied away
6
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError
from .parameter import Parameter


class Constraint:
    """Fixed entries and tied groups of one parameter (at most one Constraint per parameter)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.fixed = np.zeros(shape, dtype=bool)
        self.values = np.zeros(shape)                   # values of the fixed entries
        self.groups = np.full(shape, -1, dtype=np.int64)  # tie group of each entry, -1 = none
        self.remove_hook: Any = None

    # ---------------------------------------------------------------- what it does
    def constrain_grad(self, grad: Tensor) -> Tensor:
        g = grad.data
        if not self.fixed.any() and self.groups.max() < 0:
            return grad
        g = g.copy()
        tied = self.groups >= 0
        if tied.any():
            labels = self.groups[tied]
            sums = np.bincount(labels, weights=g[tied], minlength=labels.max() + 1)
            g[tied] = sums[labels]                      # each place: the group's total gradient
        g[self.fixed] = 0
        return Tensor(g)

    def project(self, p: Parameter) -> None:
        data = p.data
        tied = self.groups >= 0
        if tied.any():
            labels = self.groups[tied]
            values = data[tied]
            # the first place of each group (in memory order) holds the group's value
            uniq, first = np.unique(labels, return_index=True)
            group_value = np.empty(labels.max() + 1, dtype=data.dtype)
            group_value[uniq] = values[first]
            data[tied] = group_value[labels]
        data[self.fixed] = self.values[self.fixed].astype(data.dtype)

    # ---------------------------------------------------------------- bookkeeping
    def trainable(self) -> int:
        free = ~self.fixed
        tied = (self.groups >= 0) & free
        tied_groups = len(np.unique(self.groups[tied]))
        return int(free.sum() - tied.sum() + tied_groups)


def _constraint(param: Parameter) -> Constraint:
    if not isinstance(param, Parameter):
        raise ConvnetTypeError(f"constraints apply to nn.Parameter objects, got {type(param).__name__}")
    c = getattr(param, "_constraint", None)
    if c is None:
        c = Constraint(param.shape)
        param._constraint = c
        param.constraints.append(c.project)
        c.remove_hook = param.register_hook(c.constrain_grad)
    return c


def _mask_arg(param: Parameter, mask: Any, what: str) -> np.ndarray:
    m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if m.shape != param.shape:
        raise ShapeError(
            f"{what}: the mask has shape {m.shape} but the parameter has shape "
            f"{tuple(param.shape)}; they must be equal"
        )
    if m.dtype != bool:
        if not np.isin(m, (0, 1)).all():
            raise ConvnetValueError(f"{what}: the mask must be boolean (or 0/1), got values other than 0 and 1")
        m = m.astype(bool)
    return m


def fix(param: Parameter, mask: Any, value: Any = None) -> None:
    """Fix the entries where `mask` is True at `value` (default: their current values).

    `value` may be a number or an array of the parameter's shape. No optimizer changes fixed
    entries, whatever the learning rate, momentum or weight decay.
    """
    m = _mask_arg(param, mask, "fix")
    c = _constraint(param)
    if value is None:
        vals = param.data
    else:
        vals = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=np.float64)
        try:
            vals = np.broadcast_to(vals, param.shape)
        except ValueError:
            raise ShapeError(f"fix: value of shape {vals.shape} does not fit the parameter's shape "
                             f"{tuple(param.shape)}") from None
        if np.isnan(vals[m]).any():
            raise ConvnetValueError("fix: the values to fix contain NaN")
    if (c.groups[m] >= 0).any():
        raise ConvnetValueError("fix: some of these entries are tied; untie them first (constraints.remove)")
    c.values[m] = vals[m]
    c.fixed |= m
    c.project(param)


def tie(param: Parameter, groups: Any) -> None:
    """Tie entries into groups that share one trainable value.

    `groups` has the parameter's shape: entries with the same label >= 0 form a group, -1
    leaves an entry untied. Each group starts from the value of its first entry; its
    gradient is the sum of the gradients of all its places.
    """
    g = np.asarray(groups.data if isinstance(groups, Tensor) else groups)
    if g.shape != param.shape:
        raise ShapeError(
            f"tie: groups has shape {g.shape} but the parameter has shape {tuple(param.shape)}; "
            "they must be equal (label >= 0 for tied entries, -1 for free ones)"
        )
    if g.dtype.kind not in "iu":
        raise ConvnetTypeError(f"tie: group labels must be integers, got {g.dtype}")
    c = _constraint(param)
    new = g >= 0
    if (c.fixed & new).any():
        raise ConvnetValueError("tie: some of these entries are fixed; an entry cannot be both")
    if (c.groups[new] >= 0).any():
        raise ConvnetValueError("tie: some of these entries are already tied; remove the old ties first")
    offset = c.groups.max() + 1 if (c.groups >= 0).any() else 0
    _, dense = np.unique(g[new], return_inverse=True)  # relabel 0..k-1, after existing groups
    c.groups[new] = dense.reshape(-1) + offset
    c.project(param)


def freeze(param: Parameter) -> None:
    """Stop training a whole parameter (it keeps its value and gets no gradient)."""
    if not isinstance(param, Parameter):
        raise ConvnetTypeError(f"freeze expects an nn.Parameter, got {type(param).__name__}")
    param.requires_grad_(False)
    param.grad = None


def freeze_filters(weight: Parameter, filters: int | Sequence[int],
                   bias: Parameter | None = None) -> None:
    """Fix whole output filters of a convolution's weight (O, C, KH, KW), and their biases."""
    idx = np.atleast_1d(np.asarray(filters))
    out = weight.shape[0]
    if idx.size == 0 or idx.min() < -out or idx.max() >= out:
        raise ConvnetValueError(f"freeze_filters: filter indices {idx.tolist()} out of range for "
                                f"{out} filters")
    mask = np.zeros(weight.shape, dtype=bool)
    mask[idx] = True
    fix(weight, mask)
    if bias is not None:
        bmask = np.zeros(bias.shape, dtype=bool)
        bmask[idx] = True
        fix(bias, bmask)


def remove(param: Parameter) -> None:
    """Drop every constraint of `param` (its current values stay)."""
    c = getattr(param, "_constraint", None)
    if c is None:
        return
    c.remove_hook()
    param.constraints.remove(c.project)
    del param._constraint


def trainable_count(param: Parameter) -> int:
    """Number of values an optimizer really trains: fixed entries and tied duplicates excluded."""
    if not param.requires_grad:
        return 0
    c = getattr(param, "_constraint", None)
    return param.numel() if c is None else c.trainable()


def fixed_count(param: Parameter) -> int:
    """Entries that are not trained: fixed ones, or all of a frozen parameter."""
    if not param.requires_grad:
        return param.numel()
    c = getattr(param, "_constraint", None)
    return 0 if c is None else int(c.fixed.sum())


def count_parameters(params: Any, trainable_only: bool = True) -> int:
    """Count a module's (or an iterable's) parameters, by default only the trainable values.

    Fixed entries, frozen parameters and the duplicates of tied groups are left out, so the
    original LeNet-5 counts exactly 60,000.
    """
    items: Iterable[Parameter] = params.parameters() if hasattr(params, "parameters") else params
    if trainable_only:
        return sum(trainable_count(p) for p in items)
    return sum(p.numel() for p in items)


def connection_mask(weight_shape: Sequence[int], table: Sequence[Sequence[int]]) -> np.ndarray:
    """Mask of the weight entries to *fix at zero* so that output map o sees only table[o].

    For a convolution weight (O, C, KH, KW) and a connection table listing, for each output
    map, the input maps it is connected to (LeNet-5's C3, for instance).
    """
    o, c = weight_shape[0], weight_shape[1]
    if len(table) != o:
        raise ConvnetValueError(f"connection_mask: the table has {len(table)} rows for {o} output maps")
    connected = np.zeros((o, c), dtype=bool)
    for row, inputs in enumerate(table):  # one row per output map, not per pixel
        ins = np.asarray(inputs, dtype=int)
        if ins.size and (ins.min() < 0 or ins.max() >= c):
            raise ConvnetValueError(f"connection_mask: row {row} names input maps {ins.tolist()}, but there "
                                    f"are only {c}")
        connected[row, ins] = True
    return np.broadcast_to(~connected[:, :, None, None], tuple(weight_shape)).copy()
