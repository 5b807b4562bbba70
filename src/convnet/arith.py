"""Convolution arithmetic on plain integers: output sizes, "same" padding, adaptive windows.

Every layer in convnet gets its output size from `conv_output_size`; summaries and the
`convnet arith` calculator use the same functions, so the numbers you read are the numbers
the layers compute.

For an input of size i, kernel k, stride s, dilation d and padding p_begin + p_end:

    o = floor((i + p_begin + p_end - d(k - 1) - 1) / s) + 1

which for d = 1 and symmetric padding P is the familiar (W - K + 2P) / S + 1.

>>> conv_output_size(28, 5, padding=2)
28
>>> conv_output_size(5, 3, stride=2, padding=1)
3
>>> same_padding(28, 4, stride=2)
(1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ConvnetValueError


def _pads(padding: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(padding, int):
        return padding, padding
    begin, end = padding
    return int(begin), int(end)


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Extent of a dilated kernel: d(k - 1) + 1 input pixels from first tap to last."""
    return dilation * (kernel - 1) + 1


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | Sequence[int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    op: str = "conv",
) -> int:
    """Number of kernel positions along one axis.

    `padding` is one int (both sides) or a (begin, end) pair. With `ceil_mode` (pooling),
    a last partial window is kept if it starts inside the input or its left padding.
    Raises ValueError, with the numbers, when the kernel does not fit.
    """
    begin, end = _pads(padding)
    span = size + begin + end
    ext = effective_kernel(kernel, dilation)
    if ceil_mode:
        # round (span - ext) / stride up; Python's // floors negatives, so a kernel longer
        # than the padded input still gets its one window if that window starts inside
        out = (span - ext + stride - 1) // stride + 1
        if (out - 1) * stride >= size + begin:  # last window would start in the end padding
            out -= 1
    else:
        out = (span - ext) // stride + 1 if ext <= span else 0
    if out < 1:
        dilated = f" (dilated {ext})" if dilation != 1 else ""
        raise ConvnetValueError(
            f"{op}: kernel {kernel}{dilated} does not fit input {size} + padding "
            f"{begin + end if begin != end else begin}"
            f"{'' if begin == end else f' ({begin} before, {end} after)'}; "
            "use a smaller kernel or dilation, more padding, or a larger input"
        )
    return out


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(begin, end) padding so that output = ceil(size / stride), the odd pixel at the end.

    This is ONNX's SAME_UPPER and TensorFlow's "same"; for stride 1 and odd kernels it is
    the symmetric (K - 1) / 2 of the textbooks.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def transposed_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                           output_padding: int = 0, dilation: int = 1) -> int:
    """Output size of a transposed convolution: (i - 1)s - 2p + d(k - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + effective_kernel(kernel, dilation) + output_padding


def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """[start, end) of each window of adaptive pooling: floor(i*n/o) to ceil((i+1)*n/o)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def uncovered(size: int, kernel: int, stride: int = 1, padding: int | Sequence[int] = 0,
              dilation: int = 1) -> int:
    """How many input pixels at the end are never reached by any kernel position."""
    begin, end = _pads(padding)
    o = conv_output_size(size, kernel, stride, (begin, end), dilation)
    last_covered = (o - 1) * stride + effective_kernel(kernel, dilation)  # in padded coords
    return max(size + begin - last_covered, 0)
