"""`Conv2d` and `ConvTranspose2d`: a learnable bank of kernels around F.conv2d / F.conv_transpose2d."""

from __future__ import annotations

from typing import Any

from ... import arith
from ..._tensor import Tensor
from ...errors import ConvnetValueError, ShapeError
from .. import functional as F
from ..functional._checks import int_arg, ndim_arg, pair_arg, tensor_arg
from ..module import Module
from .linear import empty_parameter, init_weight_and_bias

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvBase(Module):
    """What Conv2d and ConvTranspose2d share: channels, kernel geometry, groups, parameters."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: tuple[int, int] | str, dilation: Any, output_padding: tuple[int, int],
                 groups: int, bias: bool, padding_mode: str, transposed: bool, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = int_arg(in_channels, name, "in_channels", 1)
        self.out_channels = int_arg(out_channels, name, "out_channels", 1)
        self.groups = int_arg(groups, name, "groups", 1)
        for which, channels in (("in_channels", self.in_channels),
                                ("out_channels", self.out_channels)):
            if channels % self.groups:
                raise ConvnetValueError(
                    f"{name}: {which}={channels} is not divisible by groups={self.groups}; each "
                    f"group needs the same number of channels, so pick groups that divide both "
                    f"in_channels={self.in_channels} and out_channels={self.out_channels}"
                )
        if padding_mode not in _PADDING_MODES:
            raise ConvnetValueError(f"{name}: padding_mode must be one of {', '.join(_PADDING_MODES)}; "
                                    f"got {padding_mode!r}")
        self.kernel_size = pair_arg(kernel_size, name, "kernel_size", 1)
        self.stride = pair_arg(stride, name, "stride", 1)
        self.padding = padding
        self.dilation = pair_arg(dilation, name, "dilation", 1)
        self.transposed = transposed
        self.output_padding = output_padding
        self.padding_mode = padding_mode
        # weight: (out, in/groups, kh, kw) for a convolution, (in, out/groups, kh, kw) transposed
        first, second = ((self.in_channels, self.out_channels) if transposed
                         else (self.out_channels, self.in_channels))
        self.weight = empty_parameter((first, second // self.groups, *self.kernel_size), dtype)
        if bias:
            self.bias = empty_parameter((self.out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
        init_weight_and_bias(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvBase):
    """2-D convolution over (N, C, H, W): ``out_channels`` kernels of ``in_channels / groups``
    x kernel_size, slid over the input with `stride`, `padding` and `dilation`.

    Output size per axis: floor((H + 2P - D(K - 1) - 1) / S) + 1 (see `convnet.arith`).
    ``padding`` is an int, a pair, ``"valid"`` (none) or ``"same"`` (output size
    ceil(H / S); unlike PyTorch also with stride > 1). ``padding_mode`` chooses what the
    border holds: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
    Parameters: ``weight`` (out_channels, in_channels / groups, kh, kw), ``bias``
    (out_channels,).

    >>> import convnet as cn, convnet.nn as nn
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    >>> conv(cn.randn(1, 3, 32, 32)).shape
    (1, 8, 16, 16)
    >>> conv
    Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, dtype: Any = None) -> None:
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ConvnetValueError(f"Conv2d: padding must be an int, a pair, 'same' or 'valid'; "
                                        f"got {padding!r}")
        else:
            padding = pair_arg(padding, "Conv2d", "padding", 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, (0, 0),
                         groups, bias, padding_mode, False, dtype)

    def _border(self, input: Tensor) -> tuple[int, int, int, int]:
        """Padding as F.pad wants it, (left, right, top, bottom), for non-zero padding modes."""
        if self.padding == "valid":
            return 0, 0, 0, 0
        if self.padding == "same":
            (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
            top, bottom = arith.same_padding(input.shape[-2], kh, sh, dh)
            left, right = arith.same_padding(input.shape[-1], kw, sw, dw)
            return left, right, top, bottom
        ph, pw = self.padding
        return pw, pw, ph, ph

    def forward(self, input: Tensor) -> Tensor:
        return self._convolve(input, F.conv2d)

    def forward_relu(self, input: Tensor) -> Tensor:
        """relu(self(input)) in one pass (`F.conv2d_relu`); nn.Sequential uses it."""
        return self._convolve(input, F.conv2d_relu)

    def _convolve(self, input: Tensor, conv: Any) -> Tensor:
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        padded = F.pad(input, self._border(input), mode=self.padding_mode)
        return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ConvTranspose2d(_ConvBase):
    """Transposed convolution (learnable upsampling): each input pixel stamps a weighted copy
    of the kernel onto the output. Output size per axis:
    (H - 1) * S - 2P + D(K - 1) + output_padding + 1.

    ``forward(input, output_size)`` may name the wanted (H, W) (or (N, C, H, W)) instead of
    setting output_padding, to resolve the ambiguity of strided inputs. Parameters:
    ``weight`` (in_channels, out_channels / groups, kh, kw), ``bias`` (out_channels,).
    Only ``padding_mode="zeros"`` exists, as in PyTorch.

    >>> import convnet as cn, convnet.nn as nn
    >>> up = nn.ConvTranspose2d(8, 3, kernel_size=3, stride=2, padding=1)
    >>> up(cn.randn(1, 8, 16, 16), output_size=(32, 32)).shape
    (1, 3, 32, 32)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", *, dtype: Any = None) -> None:
        name = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise ConvnetValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ConvnetValueError(f"{name}: padding must be an int or a pair, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         pair_arg(padding, name, "padding", 0), dilation,
                         pair_arg(output_padding, name, "output_padding", 0), groups, bias,
                         padding_mode, True, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, int]:
        """The output_padding that gives `output_size`: how far it is above the smallest size."""
        if output_size is None:
            return self.output_padding
        tensor_arg(input, "ConvTranspose2d")
        ndim_arg(input, 4, "ConvTranspose2d", "(N, C, H, W)")
        size = tuple(int(s) for s in output_size)
        if len(size) == 4:
            size = size[2:]
        if len(size) != 2:
            raise ConvnetValueError(f"ConvTranspose2d: output_size must be (H, W) or (N, C, H, W), "
                                    f"got {tuple(output_size)}")
        smallest = tuple(arith.transposed_output_size(input.shape[2 + i], self.kernel_size[i],
                                                      self.stride[i], self.padding[i], 0,
                                                      self.dilation[i]) for i in range(2))
        largest = tuple(lo + s - 1 for lo, s in zip(smallest, self.stride, strict=True))
        if any(not lo <= want <= hi for want, lo, hi in zip(size, smallest, largest, strict=True)):
            raise ShapeError(
                f"ConvTranspose2d: output_size {size} cannot be reached from an input of size "
                f"{tuple(input.shape[2:])}: valid sizes range from {smallest} to {largest} "
                f"(stride {self.stride})"
            )
        return size[0] - smallest[0], size[1] - smallest[1]

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)
