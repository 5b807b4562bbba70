"""Named geometry records: what a convolution or a pooling call looks like, in integers.

The public functions in `convnet.nn.functional` check their arguments, work out the sizes
with `convnet.arith` and describe the call with one of these records; the kernels read it,
the `Function` keeps it for backward, and `convnet.inspect` reads it off the graph to
follow receptive fields. Every field has a name: nothing is read by position.
"""

from __future__ import annotations

from dataclasses import dataclass

Pad2d = tuple[tuple[int, int], tuple[int, int]]     # ((top, bottom), (left, right))


@dataclass(frozen=True)
class ConvGeometry:
    """One 2-D convolution: input (N, C, H, W), weight (O, C/groups, KH, KW), output
    (N, O, OH, OW), with OH = (H + top + bottom - dilation*(KH - 1) - 1) // stride + 1."""

    batch: int
    in_channels: int
    in_size: tuple[int, int]
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: Pad2d
    dilation: tuple[int, int]
    groups: int
    out_size: tuple[int, int]

    @property
    def depthwise(self) -> bool:
        """One kernel per channel: groups == in_channels == out_channels > 1."""
        return self.groups > 1 and self.groups == self.in_channels == self.out_channels

    @property
    def padded_size(self) -> tuple[int, int]:
        (t, b), (l, r) = self.padding
        return self.in_size[0] + t + b, self.in_size[1] + l + r

    def as_ints(self) -> tuple[int, ...]:
        """The 18 integers the native kernels take: n, c, h, w, o, kh, kw, sh, sw, dh, dw,
        top, bottom, left, right, groups, oh, ow."""
        (t, b), (l, r) = self.padding
        return (self.batch, self.in_channels, *self.in_size, self.out_channels, *self.kernel,
                *self.stride, *self.dilation, t, b, l, r, self.groups, *self.out_size)


@dataclass(frozen=True)
class PoolGeometry:
    """One 2-D pooling: windows of `kernel` taps spaced by `dilation`, every `stride`
    pixels, over (N, C, H, W) with `padding` before (top, left) and after (bottom, right:
    as far as the last window reaches, which ceil_mode can make more than declared)."""

    batch: int
    channels: int
    in_size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: Pad2d
    dilation: tuple[int, int]
    out_size: tuple[int, int]

    def as_ints(self) -> tuple[int, ...]:
        """n, c, h, w, kh, kw, sh, sw, dh, dw, top, left, oh, ow for the native kernels."""
        (t, _), (l, _) = self.padding
        return (self.batch, self.channels, *self.in_size, *self.kernel, *self.stride,
                *self.dilation, t, l, *self.out_size)
