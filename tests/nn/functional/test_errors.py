"""Every shape and argument problem fails early, with the operation and the numbers named."""

from __future__ import annotations

import math

import pytest

import convnet as cn
import convnet.nn.functional as F

x4 = cn.zeros(2, 3, 8, 8)
w3 = cn.zeros(4, 3, 3, 3)


@pytest.mark.parametrize("call,error,pattern", [
    # conv2d
    (lambda: F.conv2d(cn.zeros(1, 1, 4, 4), cn.zeros(1, 1, 5, 5), padding=2, dilation=2),
     ValueError, r"conv2d \(height\): kernel 5 \(dilated 9\) does not fit input 4 \+ padding 2"),
    (lambda: F.conv2d(cn.zeros(1, 1, 4, 4), cn.zeros(1, 1, 6, 6)),
     ValueError, r"kernel 6 does not fit input 4 \+ padding 0"),
    (lambda: F.conv2d(cn.zeros(2, 1, 8, 8), w3),
     ValueError, r"input has 1 channels but the weight \(4, 3, 3, 3\) with groups=1 expects 3"),
    (lambda: F.conv2d(cn.zeros(1, 3, 8, 8), cn.zeros(4, 1, 3, 3), groups=2),
     ValueError, r"input channels 3 are not divisible by groups=2"),
    (lambda: F.conv2d(cn.zeros(1, 4, 8, 8), cn.zeros(3, 2, 3, 3), groups=2),
     ValueError, r"output channels 3 .* not divisible by groups=2"),
    (lambda: F.conv2d(cn.zeros(3, 8, 8), w3),
     ValueError, r"conv2d expects a 4-D input \(N, C, H, W\), got 3-D shape \(3, 8, 8\); "
                 r"a batch dimension is expected.*unsqueeze\(0\)"),
    (lambda: F.conv2d(x4, cn.zeros(4, 3, 3)), ValueError, r"4-D weight"),
    (lambda: F.conv2d(x4, w3, stride=0), ValueError, r"stride must be positive, got 0"),
    (lambda: F.conv2d(x4, w3, stride=(1, -2)), ValueError, r"stride must be positive, got -2"),
    (lambda: F.conv2d(x4, w3, dilation=0), ValueError, r"dilation must be positive, got 0"),
    (lambda: F.conv2d(x4, w3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: F.conv2d(x4, w3, padding="full"), ValueError, r"'valid' or 'same', got 'full'"),
    (lambda: F.conv2d(x4, w3, stride=1.5), TypeError, r"stride must be an integer, got 1.5"),
    (lambda: F.conv2d(x4, w3, stride=math.nan), ValueError, r"stride is NaN"),
    (lambda: F.conv2d(x4, w3, cn.zeros(3)), ValueError, r"bias must have shape \(4,\)"),
    (lambda: F.conv2d(cn.zeros(1, 3, 8, 8, dtype=cn.int64), w3), TypeError,
     r"conv2d: input has dtype int64.*\.float\(\)"),
    (lambda: F.conv2d(x4.numpy(), w3), TypeError, r"input must be a convnet Tensor, got ndarray"),
    # conv_transpose2d
    (lambda: F.conv_transpose2d(x4, cn.zeros(2, 4, 3, 3)), ValueError,
     r"input has 3 channels but the weight \(2, 4, 3, 3\) expects 2"),
    (lambda: F.conv_transpose2d(x4, cn.zeros(3, 4, 3, 3), stride=2, output_padding=2),
     ValueError, r"output_padding 2 .* smaller than the stride \(2\) or the dilation \(1\)"),
    # pooling
    (lambda: F.max_pool2d(x4, 3, padding=2), ValueError,
     r"padding 2 is more than half the kernel size 3"),
    (lambda: F.avg_pool2d(x4, 2, padding=2), ValueError, r"padding 2 is more than half"),
    (lambda: F.max_pool2d(cn.zeros(1, 1, 2, 2), 3), ValueError,
     r"max_pool2d \(height\): kernel 3 does not fit input 2"),
    (lambda: F.max_pool2d(cn.zeros(1, 1, 3, 2), (2, 2), (2, 3), 1, (2, 3)), ValueError,
     r"window at output 0 sees only padding \(input 2, kernel 2, dilation 3, padding 1\)"),
    (lambda: F.max_pool2d(cn.zeros(3, 8, 8), 2), ValueError, r"batch dimension is expected"),
    (lambda: F.max_pool2d(x4, 0), ValueError, r"kernel_size must be positive, got 0"),
    (lambda: F.max_pool2d(x4, 2, stride=0), ValueError, r"stride must be positive, got 0"),
    (lambda: F.max_pool2d(cn.zeros(1, 1, 4, 4, dtype=cn.int32), 2), TypeError, r"int32"),
    (lambda: F.avg_pool2d(x4, 2, divisor_override=0), ValueError, r"divisor_override"),
    (lambda: F.adaptive_avg_pool2d(x4, 0), ValueError, r"output_size must be positive"),
    (lambda: F.adaptive_max_pool2d(x4, (2, 2, 2)), ValueError, r"an int or a pair"),
    # linear
    (lambda: F.linear(cn.zeros(2, 5), cn.zeros(3, 4)), ValueError,
     r"input has 5 features .* expects 4; did you forget to flatten"),
    (lambda: F.linear(cn.zeros(2, 4), cn.zeros(3, 4), cn.zeros(4)), ValueError,
     r"bias must have shape \(3,\)"),
    # losses
    (lambda: F.cross_entropy(cn.zeros(3, 10), cn.tensor([1, 10, 2])), ValueError,
     r"target 10 is out of range for 10 classes \(valid: 0 to 9, or ignore_index=-100\)"),
    (lambda: F.cross_entropy(cn.zeros(3, 10), cn.tensor([1, -3, 2])), ValueError,
     r"target -3 is out of range"),
    (lambda: F.cross_entropy(cn.zeros(3, 10), cn.tensor([1, 2])), ValueError,
     r"target of shape \(2,\) does not fit input of shape \(3, 10\)"),
    (lambda: F.cross_entropy(cn.zeros(3, 10), cn.zeros(3)), ValueError,
     r"class probabilities .* class indices must be integers"),
    (lambda: F.cross_entropy(cn.zeros(3, 10, dtype=cn.int64), cn.tensor([1, 2, 3])), TypeError,
     r"input has dtype int64"),
    (lambda: F.cross_entropy(cn.zeros(3, 4), cn.tensor([1, 2, 3]), weight=cn.ones(3)),
     ValueError, r"weight must have one entry per class, shape \(4,\)"),
    (lambda: F.cross_entropy(cn.zeros(3, 4), cn.tensor([1, 2, 3]), label_smoothing=math.nan),
     ValueError, r"label_smoothing is NaN"),
    (lambda: F.cross_entropy(cn.zeros(3, 4), cn.tensor([1, 2, 3]), label_smoothing=1.5),
     ValueError, r"label_smoothing must be in \[0.0, 1.0\], got 1.5"),
    (lambda: F.cross_entropy(cn.zeros(3, 4), cn.tensor([1, 2, 3]), reduction="avg"),
     ValueError, r"reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: F.nll_loss(cn.zeros(3, 4), cn.zeros(3, 4)), TypeError, r"integer class indices"),
    (lambda: F.mse_loss(cn.zeros(4, 1), cn.zeros(4)), ValueError,
     r"input shape \(4, 1\) and target shape \(4,\) differ"),
    (lambda: F.l1_loss(cn.zeros(4), cn.zeros(4, dtype=cn.int64)), TypeError, r"target has dtype int64"),
    (lambda: F.binary_cross_entropy_with_logits(cn.zeros(4, 3), cn.zeros(4, 3),
                                                pos_weight=cn.ones(4)),
     ValueError, r"pos_weight of shape \(4,\) does not broadcast"),
    # others
    (lambda: F.dropout(x4, p=1.5), ValueError, r"p must be in \[0.0, 1.0\], got 1.5"),
    (lambda: F.dropout(x4, p=math.nan), ValueError, r"p is NaN"),
    (lambda: F.leaky_relu(x4, negative_slope=math.nan), ValueError, r"negative_slope is NaN"),
    (lambda: F.batch_norm(cn.zeros(1, 3), None, None, training=True), ValueError,
     r"more than one value per channel"),
    (lambda: F.batch_norm(x4, cn.zeros(4), cn.ones(4)), ValueError,
     r"running_mean must have shape \(3,\) for 3 channels, got \(4,\)"),
    (lambda: F.batch_norm(x4, None, None, training=False), ValueError, r"running_mean and running_var"),
    (lambda: F.local_response_norm(cn.zeros(2, 3), 2), ValueError, r"at least 3 dimensions"),
    (lambda: F.pad(x4, (1, 2, 3)), ValueError, r"\(before, after\) pairs"),
    (lambda: F.pad(x4, (8, 0), mode="reflect"), ValueError, r"reflect padding \(8, 0\) must be smaller"),
    (lambda: F.pad(x4, (1, 1), mode="wrap"), ValueError, r"mode must be"),
    (lambda: F.softmax(x4, dim=4), IndexError, r"dimension 4 is out of range"),
    (lambda: F.gelu(x4, approximate="fast"), ValueError, r"'none' or 'tanh'"),
])
def test_error(call, error: type[Exception], pattern: str) -> None:  # noqa: ANN001
    with pytest.raises(error, match=pattern):
        call()
