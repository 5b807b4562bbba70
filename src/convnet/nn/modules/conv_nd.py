"""`Conv1d` and `Conv3d`: learnable banks of kernels around F.conv1d / F.conv3d."""

from __future__ import annotations

from typing import Any

from ... import arith
from ..._tensor import Tensor
from ...errors import ConvnetValueError
from .. import functional as F
from ..functional._checks import int_arg, ntuple_arg
from ..module import Module
from .conv import _PADDING_MODES
from .linear import empty_parameter, init_weight_and_bias


class _ConvNd(Module):
    """What Conv1d and Conv3d share: channels, kernel geometry, groups, parameters."""

    spatial = 0
    conv: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *,
                 dtype: Any = None) -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial
        self.in_channels = int_arg(in_channels, name, "in_channels", 1)
        self.out_channels = int_arg(out_channels, name, "out_channels", 1)
        self.groups = int_arg(groups, name, "groups", 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ConvnetValueError(f"{name}: in_channels={self.in_channels} and out_channels={self.out_channels} must "
                                    f"both be divisible by groups={self.groups}")
        if padding_mode not in _PADDING_MODES:
            raise ConvnetValueError(
                f"{name}: padding_mode must be one of {', '.join(_PADDING_MODES)}; got {padding_mode!r}"
            )
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ConvnetValueError(f"{name}: padding must be an int, {n} ints, 'same' or 'valid'; got {padding!r}")
        self.kernel_size = ntuple_arg(kernel_size, n, name, "kernel_size", 1)
        self.stride = ntuple_arg(stride, n, name, "stride", 1)
        self.padding = padding if isinstance(padding, str) else ntuple_arg(padding, n, name, "padding", 0)
        self.dilation = ntuple_arg(dilation, n, name, "dilation", 1)
        self.padding_mode = padding_mode
        self.weight = empty_parameter((self.out_channels, self.in_channels // self.groups, *self.kernel_size), dtype)
        if bias:
            self.bias = empty_parameter((self.out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
        init_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        conv = type(self).conv
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        return conv(F.pad(input, self._border(input), mode=self.padding_mode), self.weight, self.bias, self.stride,
                    0, self.dilation, self.groups)

    def _border(self, input: Tensor) -> list[int]:
        """Padding as F.pad wants it (last axis first) for the non-zero padding modes."""
        sizes = input.shape[2:]
        if self.padding == "same":
            pads = [arith.same_padding(n, k, s, d) for n, k, s, d in
                    zip(sizes, self.kernel_size, self.stride, self.dilation, strict=True)]
        elif self.padding == "valid":
            pads = [(0, 0)] * self.spatial
        else:
            pads = [(p, p) for p in self.padding]
        return [v for before, after in reversed(pads) for v in (before, after)]

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):          # as PyTorch: "valid" is shown, 0 is not
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) (signals, sequences): F.conv1d with learnable weights
    (out_channels, in_channels / groups, K) and bias (out_channels,).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Conv1d(3, 8, 5, padding=2)(cn.randn(2, 3, 100)).shape
    (2, 8, 100)
    """

    spatial = 1
    conv = staticmethod(F.conv1d)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) (volumes, video clips): F.conv3d with learnable
    weights (out_channels, in_channels / groups, KD, KH, KW) and bias (out_channels,).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Conv3d(1, 4, 3, padding=1)(cn.randn(1, 1, 8, 16, 16)).shape
    (1, 4, 8, 16, 16)
    """

    spatial = 3
    conv = staticmethod(F.conv3d)
