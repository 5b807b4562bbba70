"""nn.init and the layers' default initialisation: bounds and spreads against PyTorch's formulas,
with seeded draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import convnet as cn
import convnet.nn as nn
from convnet.nn import init


@pytest.fixture(autouse=True)
def seeded() -> None:
    cn.manual_seed(1234)


def check_uniform(values: np.ndarray, bound: float) -> None:
    """All samples in [-bound, bound], reaching close to it, with the std of U(-b, b)."""
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert abs(values.mean()) < 0.01 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def check_normal(values: np.ndarray, std: float) -> None:
    assert abs(values.mean()) < 0.01 * std
    assert values.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity: str, param) -> None:
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param))


def test_calculate_gain_errors() -> None:
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative slope"):
        init.calculate_gain("leaky_relu", "0.2")


@pytest.mark.parametrize("mode, nonlinearity, a", [("fan_in", "leaky_relu", 0.0),
                                                   ("fan_out", "relu", 0.0),
                                                   ("fan_in", "leaky_relu", math.sqrt(5))])
def test_kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan(mode, nonlinearity, a) -> None:
    w = cn.empty(128, 64, 3, 3)
    out = init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    assert out is w
    fan = 64 * 9 if mode == "fan_in" else 128 * 9
    check_uniform(w.numpy(), init.calculate_gain(nonlinearity, a) * math.sqrt(3 / fan))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_std_is_gain_over_sqrt_fan(mode: str) -> None:
    w = init.kaiming_normal_(cn.empty(96, 128, 3, 3), mode=mode, nonlinearity="relu")
    fan = 128 * 9 if mode == "fan_in" else 96 * 9
    check_normal(w.numpy(), math.sqrt(2) / math.sqrt(fan))


def test_xavier_uniform_and_normal() -> None:
    w = init.xavier_uniform_(cn.empty(300, 500), gain=2.0)
    check_uniform(w.numpy(), 2.0 * math.sqrt(6 / 800))
    w = init.xavier_normal_(cn.empty(64, 32, 5, 5))
    check_normal(w.numpy(), math.sqrt(2 / ((64 + 32) * 25)))


def test_uniform_normal_and_constants() -> None:
    values = init.uniform_(cn.empty(100_000), -3.0, 1.0).numpy()
    assert values.min() >= -3.0 and values.max() <= 1.0
    assert values.mean() == pytest.approx(-1.0, abs=0.02)
    values = init.normal_(cn.empty(100_000), mean=2.0, std=0.5).numpy()
    assert values.mean() == pytest.approx(2.0, abs=0.01) and values.std() == pytest.approx(0.5, rel=0.01)
    assert init.constant_(cn.empty(3), 0.25).tolist() == [0.25] * 3
    assert init.ones_(cn.empty(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(cn.ones(2)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="lower bound"):
        init.uniform_(cn.empty(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="std must be non-negative"):
        init.normal_(cn.empty(2), std=-1.0)


def _truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    def pdf(z: float) -> float:
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z: float) -> float:
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    var = std**2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0),
                                             (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments(mean, std, a, b) -> None:
    values = init.trunc_normal_(cn.empty(200, 500), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    expected_mean, expected_std = _truncated_moments(mean, std, a, b)
    assert values.mean() == pytest.approx(expected_mean, abs=0.01 * std)
    assert values.std() == pytest.approx(expected_std, rel=0.01)


def test_trunc_normal_refuses_an_improbable_interval() -> None:
    with pytest.raises(ValueError, match="holds only"):
        init.trunc_normal_(cn.empty(3), mean=0.0, std=1.0, a=10.0, b=11.0)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(cn.empty(3), a=1.0, b=-1.0)


def test_eye_and_dirac_match_torch() -> None:
    np.testing.assert_array_equal(init.eye_(cn.empty(3, 5)).numpy(),
                                  torch.nn.init.eye_(torch.empty(3, 5)).numpy())
    for shape, groups in [((6, 4, 3, 3), 1), ((6, 2, 3, 3), 3), ((4, 4, 5), 1), ((2, 3, 3, 3, 3), 1)]:
        np.testing.assert_array_equal(init.dirac_(cn.empty(*shape), groups).numpy(),
                                      torch.nn.init.dirac_(torch.empty(shape), groups).numpy())
    x = cn.randn(1, 4, 6, 6)  # a dirac-initialised convolution passes its input through
    conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    np.testing.assert_allclose(conv(x).numpy(), x.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="not divisible by groups=4"):
        init.dirac_(cn.empty(6, 1, 3, 3), groups=4)


def test_init_works_on_parameters_without_recording_gradients() -> None:
    p = nn.Parameter(cn.zeros(4, 4))
    assert init.kaiming_uniform_(p) is p
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    init.normal_(p)
    (p * 2).sum().backward()
    assert p.grad.tolist() == [[2.0] * 4] * 4


def test_init_errors_teach() -> None:
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(cn.empty(5))
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'"):
        init.kaiming_normal_(cn.empty(3, 3), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point"):
        init.zeros_(cn.zeros(3, dtype=cn.int64))
    with pytest.raises(TypeError, match="convnet Tensor"):
        init.ones_(np.zeros(3))
    with pytest.warns(UserWarning, match="no elements"):
        init.kaiming_uniform_(cn.empty(0, 3))


def test_float64_tensors_stay_float64() -> None:
    w = init.kaiming_normal_(cn.empty(4, 4, dtype=cn.float64))
    assert w.dtype == np.float64


# ---------------------------------------------------------------- default initialisation of layers
@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Conv2d(64, 128, 3), 64 * 9),
    (lambda: nn.Conv2d(64, 128, (3, 5), groups=4), 16 * 15),
    (lambda: nn.Linear(300, 400), 300),
    # a transposed conv weight is (in, out/groups, kh, kw): PyTorch takes fan_in from dim 1
    (lambda: nn.ConvTranspose2d(64, 96, 4), 96 * 16),
    (lambda: nn.ConvTranspose2d(64, 96, 4, groups=2), 48 * 16),
])
def test_weight_and_bias_are_uniform_within_one_over_sqrt_fan_in(make, fan_in: int) -> None:
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    check_uniform(layer.weight.numpy(), bound)
    bias = layer.bias.numpy()
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.9 * bound


def test_default_weight_bounds_agree_with_torch_layers() -> None:
    torch.manual_seed(0)
    pairs = [(nn.Conv2d(16, 32, 5), torch.nn.Conv2d(16, 32, 5)),
             (nn.ConvTranspose2d(32, 16, 3, stride=2), torch.nn.ConvTranspose2d(32, 16, 3, stride=2)),
             (nn.Linear(200, 300), torch.nn.Linear(200, 300))]
    for ours, ref in pairs:
        expected = np.abs(ref.weight.detach().numpy()).max()
        assert np.abs(ours.weight.numpy()).max() == pytest.approx(expected, rel=0.01)


def test_batchnorm_starts_as_the_identity_transform() -> None:
    bn = nn.BatchNorm2d(5)
    assert bn.weight.tolist() == [1.0] * 5 and bn.bias.tolist() == [0.0] * 5
    assert bn.running_mean.tolist() == [0.0] * 5 and bn.running_var.tolist() == [1.0] * 5
    assert int(bn.num_batches_tracked) == 0


def test_manual_seed_makes_model_construction_repeatable() -> None:
    def build() -> dict[str, np.ndarray]:
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 4),
                              nn.ConvTranspose2d(4, 2, 2))
        return {k: v.numpy().copy() for k, v in model.state_dict().items()}

    cn.manual_seed(7)
    first = build()
    cn.manual_seed(7)
    second = build()
    third = build()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    assert not np.array_equal(first["0.weight"], third["0.weight"])


def test_reset_parameters_draws_again() -> None:
    conv = nn.Conv2d(2, 2, 3)
    before = conv.weight.numpy().copy()
    conv.reset_parameters()
    assert not np.array_equal(before, conv.weight.numpy())
