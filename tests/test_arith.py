"""convnet.arith against brute force: enumerate the kernel positions and count them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convnet import arith


def positions(size: int, k: int, s: int, begin: int, end: int, d: int) -> list[int]:
    """Start of every window that lies inside the padded input, found by walking it."""
    span = size + begin + end
    ext = d * (k - 1) + 1
    return [p for p in range(0, span, s) if p + ext <= span]


@given(size=st.integers(1, 40), k=st.integers(1, 9), s=st.integers(1, 5),
       begin=st.integers(0, 5), end=st.integers(0, 5), d=st.integers(1, 4))
def test_output_size_counts_the_kernel_positions(size: int, k: int, s: int, begin: int, end: int,
                                                 d: int) -> None:
    expected = len(positions(size, k, s, begin, end, d))
    if expected == 0:
        with pytest.raises(ValueError, match="does not fit"):
            arith.conv_output_size(size, k, s, (begin, end), d)
    else:
        assert arith.conv_output_size(size, k, s, (begin, end), d) == expected


def test_the_textbook_formula() -> None:
    # (W - K + 2P) / S + 1 with the seeds' numbers
    assert arith.conv_output_size(4, 3) == 2          # 3x3 over 4x4 -> 2x2
    assert arith.conv_output_size(5, 3, 2, 1) == 3    # 5x5, 3x3, padding 1, stride 2 -> 3x3
    assert arith.conv_output_size(5, 3, padding=1) == 5   # "same"
    assert arith.conv_output_size(32, 5) == 28        # LeNet-5's C1
    assert arith.conv_output_size(224, 11, 4, 2) == 55  # AlexNet's first layer


@given(size=st.integers(1, 60), k=st.integers(1, 9), s=st.integers(1, 5), d=st.integers(1, 3))
def test_same_padding_gives_ceil_of_size_over_stride(size: int, k: int, s: int, d: int) -> None:
    begin, end = arith.same_padding(size, k, s, d)
    assert 0 <= end - begin <= 1                       # the odd pixel goes at the end
    assert arith.conv_output_size(size, k, s, (begin, end), d) == -(-size // s)


def test_same_padding_is_k_minus_1_over_2_for_odd_kernels() -> None:
    for k in (1, 3, 5, 7):
        assert arith.same_padding(28, k) == ((k - 1) // 2, (k - 1) // 2)


@given(size=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_ceil_mode_keeps_a_last_window_that_starts_inside(size: int, k: int, s: int, p: int,
                                                          d: int) -> None:
    ext = d * (k - 1) + 1
    if p > k // 2:                          # pooling allows padding up to half the kernel
        return
    ceil_out = arith.conv_output_size(size, k, s, p, d, ceil_mode=True) \
        if ext - (size + 2 * p) < s else None
    if ext > size + 2 * p:                  # too long: one window if it overhangs by < stride
        assert ceil_out == (1 if ext - (size + 2 * p) < s and p < size + p else None)
        return
    floor_out = arith.conv_output_size(size, k, s, p, d)
    # ceil mode rounds (span - ext) / s up: one more window, overhanging the end by less than
    # a stride, kept only if it starts inside the input or its left padding
    nxt = floor_out * s
    overhang = nxt + ext - (size + 2 * p)
    keep = 0 < overhang < s and nxt < size + p
    assert ceil_out == floor_out + keep


@given(size=st.integers(1, 50), out=st.integers(1, 20))
def test_adaptive_windows_cover_the_input_in_order(size: int, out: int) -> None:
    w = arith.adaptive_windows(size, out)
    assert len(w) == out and w[0][0] == 0 and w[-1][1] == size
    assert all(a < b for a, b in w)
    assert all(w[i][0] <= w[i + 1][0] and w[i][1] <= w[i + 1][1] for i in range(out - 1))
    covered = set().union(*(range(a, b) for a, b in w))
    assert covered == set(range(size))


@given(size=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 3))
def test_transposed_size_inverts_the_convolution(size: int, k: int, s: int, p: int, d: int) -> None:
    t = arith.transposed_output_size(size, k, s, p, 0, d)
    if t >= 1 and d * (k - 1) + 1 <= t + 2 * p:
        assert arith.conv_output_size(t, k, s, p, d) == size


def test_uncovered_pixels() -> None:
    assert arith.uncovered(28, 5, stride=2) == 1   # positions 0, 2, ..., 22 reach pixel 26
    assert arith.uncovered(28, 2, stride=2) == 0
    assert arith.uncovered(7, 3, stride=3) == 1


def test_error_names_the_numbers() -> None:
    with pytest.raises(ValueError, match=r"kernel 5 \(dilated 9\) does not fit input 4 \+ padding 2"):
        arith.conv_output_size(4, 5, padding=2, dilation=2)
