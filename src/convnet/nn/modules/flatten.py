"""`Flatten` (feature maps to vectors, before the fully connected layers) and `Unflatten`."""

from __future__ import annotations

from collections.abc import Sequence

from ..._tensor import Tensor
from ...errors import ConvnetTypeError, ConvnetValueError
from ..functional._checks import int_arg
from ..module import Module


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one; by default (N, C, H, W) -> (N, C*H*W).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Flatten()(cn.zeros(2, 16, 5, 5)).shape
    (2, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = int_arg(start_dim, "Flatten", "start_dim", -(2**31))
        self.end_dim = int_arg(end_dim, "Flatten", "end_dim", -(2**31))

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension `dim` into `unflattened_size` (one entry may be -1).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Unflatten(1, (16, 5, 5))(cn.zeros(2, 400)).shape
    (2, 16, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, list | tuple) or not unflattened_size:
            raise ConvnetTypeError(f"Unflatten: unflattened_size must be a non-empty tuple or list of "
                                   f"ints, got {unflattened_size!r}")
        sizes = [int_arg(s, "Unflatten", "unflattened_size entry", -1) for s in unflattened_size]
        if 0 in sizes or sizes.count(-1) > 1:
            raise ConvnetValueError(f"Unflatten: unflattened_size entries must be positive, with at most "
                                    f"one -1 (inferred), got {tuple(unflattened_size)}")
        self.dim = int_arg(dim, "Unflatten", "dim", -(2**31))
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
