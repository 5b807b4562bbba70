"""Pooling layers: `MaxPool2d`, `AvgPool2d` and their adaptive versions (fixed output size)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...errors import ConvnetValueError
from .. import functional as F
from ..functional._checks import pair_arg
from ..module import Module


class MaxPool2d(Module):
    """Keep the largest value of each kernel_size window, per channel, of (N, C, H, W).

    `stride` defaults to `kernel_size`. Padding counts as -infinity. ``ceil_mode`` keeps a
    last partial window; ``return_indices`` also returns where each maximum was (flat index
    into its channel), as PyTorch does.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.MaxPool2d(2)(cn.randn(1, 3, 28, 28)).shape
    (1, 3, 14, 14)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        pair_arg(kernel_size, "MaxPool2d", "kernel_size", 1)
        if stride is not None:
            pair_arg(stride, "MaxPool2d", "stride", 1)
        pair_arg(padding, "MaxPool2d", "padding", 0)
        pair_arg(dilation, "MaxPool2d", "dilation", 1)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average each kernel_size window, per channel, of (N, C, H, W).

    `stride` defaults to `kernel_size`. ``count_include_pad`` (default True) counts zero
    padding in the divisor; ``divisor_override`` replaces the divisor.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.AvgPool2d(2)(cn.ones(1, 1, 4, 4)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        pair_arg(kernel_size, "AvgPool2d", "kernel_size", 1)
        if stride is not None:
            pair_arg(stride, "AvgPool2d", "stride", 1)
        pair_arg(padding, "AvgPool2d", "padding", 0)
        if divisor_override is not None and (isinstance(divisor_override, bool)
                                             or not isinstance(divisor_override, int)
                                             or divisor_override < 1):
            raise ConvnetValueError(f"AvgPool2d: divisor_override must be a positive integer or None, "
                                    f"got {divisor_override!r}")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _check_output_size(output_size: Any, name: str) -> None:
    """An int, or a pair whose entries are ints or None (None keeps the input's size)."""
    if isinstance(output_size, list | tuple):
        if len(output_size) != 2:
            raise ConvnetValueError(f"{name}: output_size must be an int or a pair (h, w), got "
                                    f"{output_size!r}")
        for s in output_size:
            if s is not None:
                pair_arg(s, name, "output_size", 1)
    else:
        pair_arg(output_size, name, "output_size", 1)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (H_out, W_out) whatever the input size; ``1`` gives global
    average pooling. A None entry keeps that input dimension.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.AdaptiveAvgPool2d((2, 2))(cn.randn(1, 3, 13, 9)).shape
    (1, 3, 2, 2)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _check_output_size(output_size, "AdaptiveAvgPool2d")
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed (H_out, W_out) whatever the input size.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.AdaptiveMaxPool2d(1)(cn.randn(2, 3, 7, 7)).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        _check_output_size(output_size, "AdaptiveMaxPool2d")
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
