"""Kernel constraints: fixed entries never move, tied entries stay equal, under any optimizer."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
import convnet.nn as nn
import convnet.nn.functional as F
from convnet import optim
from convnet.nn import constraints

# LeNet-5's C3 (LeCun et al. 1998, Table I): the input maps each of the 16 maps sees.
C3_TABLE = [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 0], [5, 0, 1],
            [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 5, 0, 1], [5, 0, 1, 2],
            [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]]


def constrained_conv() -> tuple[nn.Conv2d, np.ndarray, np.ndarray]:
    cn.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1)
    fixed = np.zeros(conv.weight.shape, bool)
    fixed[0, 0] = [[True, False, True], [False, True, False], [True, False, True]]
    fixed[2, 1, 1, 1] = True
    value = np.where(fixed, 0.0, 0.0)
    value[2, 1, 1, 1] = 0.5                                     # fixed at a non-zero value
    constraints.fix(conv.weight, fixed, value)
    groups = -np.ones(conv.weight.shape, int)
    groups[1, 0] = [[0, 0, 0], [-1, -1, -1], [1, 1, 1]]         # top row shared, bottom row shared
    groups[2, :, 0, 0] = 7                                      # a group across input channels
    constraints.tie(conv.weight, groups)
    return conv, fixed, groups


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.05, nesterov=True),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.1, weight_decay=0.1),
    lambda p: optim.Adam(p, lr=0.05, weight_decay=0.1),
    lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.5),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9, weight_decay=0.1, centered=True),
], ids=["sgd-nesterov", "sgd-dampening", "adam", "adamw", "rmsprop"])
def test_fixed_and_tied_entries_hold_for_100_steps(make_opt) -> None:  # noqa: ANN001
    conv, fixed, groups = constrained_conv()
    start = conv.weight.numpy().copy()
    opt = make_opt(conv.parameters())
    rng = np.random.default_rng(1)
    for _ in range(100):
        x = cn.tensor(rng.standard_normal((4, 2, 6, 6)).astype(np.float32))
        target = cn.tensor(rng.standard_normal((4, 3, 6, 6)).astype(np.float32))
        loss = F.mse_loss(conv(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    w = conv.weight.numpy()
    np.testing.assert_array_equal(w[fixed], start[fixed])            # bit for bit
    assert w[2, 1, 1, 1] == np.float32(0.5)
    for label in np.unique(groups[groups >= 0]):
        vals = w[groups == label]
        assert (vals == vals[0]).all(), f"tied group {label} drifted apart: {vals}"
    free = ~fixed & (groups < 0)
    assert (w[free] != start[free]).mean() > 0.9                     # the rest did train


def test_tied_gradient_is_the_sum_of_the_places() -> None:
    conv, fixed, groups = constrained_conv()
    plain = nn.Conv2d(2, 3, 3, padding=1)
    plain.load_state_dict(conv.state_dict())
    x = cn.randn(2, 2, 5, 5)
    (conv(x) ** 2).sum().backward()
    (plain(x) ** 2).sum().backward()
    free_g, g = plain.weight.grad.numpy(), conv.weight.grad.numpy()
    for label in (0, 1, 7):
        np.testing.assert_allclose(g[groups == label], free_g[groups == label].sum(), rtol=1e-5)
    assert (g[fixed] == 0).all()
    untouched = ~fixed & (groups < 0)
    np.testing.assert_array_equal(g[untouched], free_g[untouched])


def test_a_tied_group_trains_like_one_shared_value() -> None:
    """Three taps tied together behave exactly like one scalar used three times."""
    x = cn.randn(3, 1, 4, 6)
    w = nn.Parameter(cn.zeros(1, 1, 1, 3))
    constraints.tie(w, np.array([[[[0, 0, 0]]]]))
    s = cn.tensor(0.0, requires_grad=True)
    opt_w, opt_s = optim.SGD([w], lr=0.1, momentum=0.9), optim.SGD([s], lr=0.1, momentum=0.9)
    target = cn.randn(3, 1, 4, 4)
    for _ in range(20):
        for opt, weight in ((opt_w, w), (opt_s, s * cn.ones(1, 1, 1, 3))):
            opt.zero_grad()
            F.mse_loss(F.conv2d(x, weight), target).backward()
            opt.step()
    np.testing.assert_allclose(w.numpy().ravel(), [s.item()] * 3, rtol=1e-5)


def test_freeze_parameter_and_filters() -> None:
    cn.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3)
    constraints.freeze_filters(conv.weight, [1, 3], bias=conv.bias)
    lin = nn.Linear(3, 2)
    constraints.freeze(lin.bias)
    w0, b0, lb0 = conv.weight.numpy().copy(), conv.bias.numpy().copy(), lin.bias.numpy().copy()
    opt = optim.SGD([*conv.parameters(), *lin.parameters()], lr=0.5, momentum=0.9, weight_decay=0.1)
    for _ in range(10):
        opt.zero_grad()
        out = lin(conv(cn.randn(2, 1, 5, 5)).mean(dim=(2, 3))[:, :3])
        out.sum().backward()
        opt.step()
    np.testing.assert_array_equal(conv.weight.numpy()[[1, 3]], w0[[1, 3]])
    np.testing.assert_array_equal(conv.bias.numpy()[[1, 3]], b0[[1, 3]])
    assert (conv.weight.numpy()[[0, 2]] != w0[[0, 2]]).all()
    np.testing.assert_array_equal(lin.bias.numpy(), lb0)
    assert constraints.count_parameters(conv) == 2 * 9 + 2
    assert constraints.count_parameters(lin) == 6
    assert constraints.count_parameters(lin, trainable_only=False) == 8


def test_lenet5_c3_partial_connections() -> None:
    c3 = nn.Conv2d(6, 16, 5)
    constraints.fix(c3.weight, constraints.connection_mask(c3.weight.shape, C3_TABLE), 0.0)
    assert constraints.trainable_count(c3.weight) + constraints.trainable_count(c3.bias) == 1516
    x = cn.randn(1, 6, 14, 14)
    moved = x.numpy().copy()
    moved[0, 3] += 10.0                                    # map 0 does not see input map 3
    a, b = c3(x).numpy(), c3(cn.tensor(moved)).numpy()
    np.testing.assert_array_equal(a[0, 0], b[0, 0])
    assert not np.allclose(a[0, 1], b[0, 1])               # map 1 sees maps 1, 2 and 3


def test_errors() -> None:
    w = nn.Parameter(cn.zeros(2, 3))
    with pytest.raises(ValueError, match=r"mask has shape \(3, 2\) but the parameter has shape \(2, 3\)"):
        constraints.fix(w, np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match=r"groups has shape \(6,\)"):
        constraints.tie(w, np.zeros(6, int))
    with pytest.raises(TypeError, match="integers"):
        constraints.tie(w, np.zeros((2, 3)))
    constraints.fix(w, np.eye(2, 3, dtype=bool))
    with pytest.raises(ValueError, match="fixed"):
        constraints.tie(w, np.zeros((2, 3), int))
    with pytest.raises(TypeError, match="Parameter"):
        constraints.fix(cn.zeros(2, 3), np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="table has 2 rows for 16"):
        constraints.connection_mask((16, 6, 5, 5), [[0], [1]])
