"""BatchNorm's running statistics over many steps, its modes, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convnet as cn
import convnet.nn as nn


@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
@pytest.mark.parametrize("layer, shape", [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (5, 4, 6)),
                                          ("BatchNorm2d", (6, 4, 5, 5))])
def test_running_statistics_match_torch_after_ten_steps(layer: str, shape: tuple, momentum) -> None:
    ref = getattr(torch.nn, layer)(4, momentum=momentum)
    ours = getattr(nn, layer)(4, momentum=momentum)
    rng = np.random.default_rng(0)
    for step in range(10):
        # a different mean and spread per step, so that the averaging rule matters
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(np.float32)
        ref(torch.from_numpy(x))
        ours(cn.tensor(x))
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(ref, name).numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    assert ours.num_batches_tracked.dtype == np.int64
    assert int(ours.num_batches_tracked) == int(ref.num_batches_tracked) == 10
    # and evaluation then normalises with them, as torch does
    ref.eval()
    ours.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours(cn.tensor(x)).numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_momentum_none_is_the_plain_average_of_batch_statistics() -> None:
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [cn.tensor([[0.0, 1.0], [2.0, 5.0]]), cn.tensor([[4.0, 1.0], [6.0, 1.0]])]
    for b in batches:
        bn(b)
    np.testing.assert_allclose(bn.running_mean.numpy(), [3.0, 2.0])          # mean of (1, 3), (5, 3)
    np.testing.assert_allclose(bn.running_var.numpy(), [2.0, 4.0])           # mean of (2, 2), (8, 0)


def test_eval_mode_does_not_touch_running_statistics() -> None:
    bn = nn.BatchNorm2d(3).eval()
    bn(cn.randn(4, 3, 2, 2) + 5)
    assert bn.running_mean.tolist() == [0.0, 0.0, 0.0]
    assert int(bn.num_batches_tracked) == 0


def test_without_tracking_there_are_no_buffers_and_eval_uses_the_batch() -> None:
    bn = nn.BatchNorm2d(2, track_running_stats=False, affine=False).eval()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == []
    y = bn(cn.randn(8, 2, 3, 3) * 4 + 2)
    np.testing.assert_allclose(y.numpy().mean(axis=(0, 2, 3)), 0.0, atol=1e-5)


@pytest.mark.parametrize("layer, shape, expects", [
    (nn.BatchNorm2d, (4, 3), "4-D input (N, C, H, W)"),
    (nn.BatchNorm2d, (4, 3, 5), "4-D input (N, C, H, W)"),
    (nn.BatchNorm1d, (4, 3, 2, 2), "2-D (N, C) or 3-D (N, C, L)"),
    (nn.BatchNorm1d, (3,), "2-D (N, C) or 3-D (N, C, L)"),
])
def test_wrong_input_rank_is_a_clear_error(layer, shape, expects) -> None:
    with pytest.raises(ValueError, match=r"expects .*got \d-D input of shape") as err:
        layer(3)(cn.zeros(*shape))
    assert expects in str(err.value)


def test_wrong_channel_count_names_both_numbers() -> None:
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) got an input with 5 channels"):
        nn.BatchNorm2d(3)(cn.zeros(2, 5, 4, 4))


def test_a_single_value_per_channel_cannot_train() -> None:
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(cn.zeros(1, 3))
    nn.BatchNorm1d(3).eval()(cn.zeros(1, 3))  # fine in eval mode


def test_double_converts_running_stats_but_not_the_counter() -> None:
    bn = nn.BatchNorm2d(2).double()
    assert bn.weight.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    out = bn(cn.randn(3, 2, 2, 2, dtype=cn.float64))
    assert out.dtype == np.float64
