"""Layers check their constructor arguments and say what is wrong, with the numbers."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
import convnet.nn as nn


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Conv2d(in_channels=3, out_channels=5, kernel_size=3, groups=2), ValueError,
     r"in_channels=3 is not divisible by groups=2.*out_channels=5"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels=6 is not divisible by groups=4"),
    (lambda: nn.Conv2d(3, 4, 3, groups=0), ValueError, "groups must be positive, got 0"),
    (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels must be positive, got 0"),
    (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be positive, got 0"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), ValueError, r"kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError, "stride must be positive"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), ValueError, "padding must be >= 0, got -1"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "'same' or 'valid'; got 'full'"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
    (lambda: nn.Conv2d(3, 4, 2.5), TypeError, "kernel_size must be an integer, got 2.5"),
    (lambda: nn.Conv2d(3, 4, 3, dtype=cn.int64), TypeError, "must be floating-point"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), ValueError, "only padding_mode='zeros'"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding="same"), ValueError, "an int or a pair"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, groups=3), ValueError, "in_channels=4 is not divisible"),
    (lambda: nn.Linear(0, 3), ValueError, "in_features must be positive, got 0"),
    (lambda: nn.Linear(3, 2.0), TypeError, "out_features must be an integer"),
    (lambda: nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be positive"),
    (lambda: nn.MaxPool2d(2, dilation=0), ValueError, "dilation must be positive"),
    (lambda: nn.AvgPool2d(2, padding=-1), ValueError, "AvgPool2d: padding must be >= 0"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, "divisor_override must be a positive"),
    (lambda: nn.AdaptiveAvgPool2d((2, 2, 2)), ValueError, "an int or a pair"),
    (lambda: nn.AdaptiveMaxPool2d(0), ValueError, "output_size must be positive"),
    (lambda: nn.Dropout(1.5), ValueError,
     r"Dropout: p \(the probability of dropping\) must be in \[0.0, 1.0\], got 1.5"),
    (lambda: nn.Dropout2d(-0.1), ValueError, "must be in"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features must be positive"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, "momentum must be in"),
    (lambda: nn.BatchNorm1d(3, eps=0), ValueError, r"eps must be in \(0.0"),
    (lambda: nn.LocalResponseNorm(0), ValueError, "size must be positive"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope must be a number"),
    (lambda: nn.GELU("erf"), ValueError, "'none' or 'tanh', got 'erf'"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "'mean', 'sum' or 'none', got 'avg'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=2.0), ValueError, "label_smoothing must be in"),
    (lambda: nn.NLLLoss(weight=np.ones(3)), TypeError, "buffer 'weight' must be a Tensor"),
    (lambda: nn.Unflatten(1, 6), TypeError, "non-empty tuple or list"),
    (lambda: nn.Unflatten(1, (2, -1, -1)), ValueError, "at most one -1"),
    (lambda: nn.Flatten(1.5), TypeError, "start_dim must be an integer"),
])
def test_bad_constructor_arguments_raise_teaching_errors(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_legacy_loss_arguments_map_to_reduction() -> None:
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"
    assert nn.CrossEntropyLoss(None, True, -100, True).reduction == "mean"


def test_forward_errors_come_from_functional_with_numbers() -> None:
    with pytest.raises(ValueError, match="input has 4 channels"):
        nn.Conv2d(3, 8, 3)(cn.zeros(1, 4, 8, 8))
    with pytest.raises(ValueError, match="x.unsqueeze"):
        nn.Conv2d(3, 8, 3)(cn.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="did you forget to flatten"):
        nn.Linear(16, 2)(cn.zeros(1, 4, 2, 2))


def test_conv_transpose_output_size_out_of_range_lists_valid_sizes() -> None:
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"valid sizes range from \(7, 7\) to \(8, 8\)"):
        up(cn.zeros(1, 1, 4, 4), output_size=(9, 8))
    with pytest.raises(ValueError, match=r"\(H, W\) or \(N, C, H, W\)"):
        up(cn.zeros(1, 1, 4, 4), output_size=(8,))


def test_layer_dtype_argument() -> None:
    conv = nn.Conv2d(1, 2, 3, dtype=cn.float64)
    assert conv.weight.dtype == np.float64 and conv.bias.dtype == np.float64
    bn = nn.BatchNorm1d(3, dtype=cn.float64)
    assert bn.running_mean.dtype == np.float64 and bn.weight.dtype == np.float64
