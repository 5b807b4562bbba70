"""Dropout layers: randomly silence units while training, so that no unit can rely on another."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from ..functional._checks import number_arg
from ..module import Module


class _DropoutBase(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        number_arg(p, type(self).__name__, "p (the probability of dropping)", 0.0, 1.0)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutBase):
    """While training, zero each element with probability p and scale the others by 1/(1 - p)
    (so the expected value is unchanged); in eval mode, the identity.

    >>> import convnet as cn, convnet.nn as nn
    >>> drop = nn.Dropout(0.5).eval()
    >>> drop(cn.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutBase):
    """While training, zero whole channels of (N, C, H, W) with probability p (neighbouring
    pixels are correlated, so dropping single pixels would regularise little).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Dropout2d(0.2)(cn.ones(2, 8, 4, 4)).shape
    (2, 8, 4, 4)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
