"""Operations with randomness or state: dropout's masks, batch_norm's running statistics."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

import convnet as cn
import convnet.nn.functional as F


def test_dropout_keeps_1_minus_p_and_rescales() -> None:
    x = cn.ones(200, 500, requires_grad=True)
    cn.manual_seed(0)
    y = F.dropout(x, p=0.3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.005                     # 100,000 Bernoulli draws
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # gradient passes the same mask


def test_dropout_is_repeatable_with_the_seed_and_off_in_eval() -> None:
    x = cn.randn(10, 10)
    cn.manual_seed(3)
    a = F.dropout(x, 0.5).numpy()
    cn.manual_seed(3)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert F.dropout(x, 0.5, training=False) is x
    assert not F.dropout(x, 1.0).numpy().any()


def test_dropout2d_drops_whole_channels() -> None:
    cn.manual_seed(1)
    y = F.dropout2d(cn.ones(8, 16, 5, 5), p=0.5).numpy()
    per_channel = y.reshape(8, 16, 25)
    assert ((per_channel == 0).all(axis=2) | (per_channel == 2).all(axis=2)).all()
    assert 0 < (per_channel[:, :, 0] == 0).mean() < 1


def test_batch_norm_running_statistics_match_torch() -> None:
    rng = np.random.default_rng(0)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    ours_m, ours_v = cn.tensor(rm), cn.tensor(rv)
    ref_m, ref_v = torch.tensor(rm), torch.tensor(rv)
    for _ in range(10):
        x = (rng.standard_normal((4, 3, 5, 5)) * 2 + 3).astype(np.float32)
        F.batch_norm(cn.tensor(x), ours_m, ours_v, training=True, momentum=0.1)
        TF.batch_norm(torch.tensor(x), ref_m, ref_v, training=True, momentum=0.1)
    np.testing.assert_allclose(ours_m.numpy(), ref_m.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours_v.numpy(), ref_v.numpy(), rtol=1e-5)
