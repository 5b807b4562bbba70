"""`Parameter`: a tensor that a module learns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor registered as a learnable weight when assigned to a Module attribute.

    Requires grad by default. ``constraints`` holds callables that optimizers run after
    every step (``enforce_constraints``), so that entries fixed or tied by
    `convnet.nn.constraints` stay as declared whatever the update rule.

    >>> import convnet as cn
    >>> p = cn.nn.Parameter(cn.zeros(3))
    >>> p.requires_grad
    True
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.zeros(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data.data
        else:
            arr = np.asarray(data)
        super().__init__(arr, requires_grad=requires_grad)
        self.constraints: list[Callable[[Parameter], None]] = []

    def enforce_constraints(self) -> None:
        """Re-apply every constraint to the values (optimizers call this after each step)."""
        for project in self.constraints:
            project(self)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
