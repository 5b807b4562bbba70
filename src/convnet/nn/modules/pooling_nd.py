"""Pooling over one and three spatial axes: `MaxPool1d`, `MaxPool3d`, `AvgPool1d`, `AvgPool3d`
(around F.max_pool1d, F.max_pool3d, F.avg_pool1d, F.avg_pool3d)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from ..functional._checks import ntuple_arg
from ..module import Module


class _PoolNd(Module):
    """Window geometry shared by the 1-D and 3-D pooling layers: checked here, kept as given
    (an int or a tuple, as PyTorch keeps it, so that repr matches)."""

    spatial = 0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False) -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial
        ntuple_arg(kernel_size, n, name, "kernel_size", 1)
        if stride is not None:
            ntuple_arg(stride, n, name, "stride", 1)
        ntuple_arg(padding, n, name, "padding", 0)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPoolNd(_PoolNd):
    pool: Any = None

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        ntuple_arg(dilation, self.spatial, type(self).__name__, "dilation", 1)
        self.dilation = dilation
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:
        return type(self).pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                               self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The largest value of each window along L, per channel, of (N, C, L).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.MaxPool1d(2)(cn.randn(1, 3, 10)).shape
    (1, 3, 5)
    """

    spatial = 1
    pool = staticmethod(F.max_pool1d)


class MaxPool3d(_MaxPoolNd):
    """The largest value of each (D, H, W) window, per channel, of (N, C, D, H, W).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.MaxPool3d(2)(cn.randn(1, 3, 4, 8, 8)).shape
    (1, 3, 2, 4, 4)
    """

    spatial = 3
    pool = staticmethod(F.max_pool3d)


class AvgPool1d(_PoolNd):
    """The mean of each window along L, per channel, of (N, C, L).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.AvgPool1d(2)(cn.ones(1, 1, 4)).tolist()
    [[[1.0, 1.0]]]
    """

    spatial = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        # PyTorch keeps AvgPool1d's geometry as 1-tuples
        self.kernel_size, self.stride, self.padding = (ntuple_arg(v, 1, "AvgPool1d", k, 0) for k, v in
                                                       (("kernel_size", self.kernel_size), ("stride", self.stride),
                                                        ("padding", self.padding)))
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool3d(_PoolNd):
    """The mean of each (D, H, W) window, per channel, of (N, C, D, H, W).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.AvgPool3d(2)(cn.ones(1, 1, 2, 4, 4)).shape
    (1, 1, 1, 2, 2)
    """

    spatial = 3

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)
