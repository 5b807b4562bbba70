"""state_dict and load_state_dict: PyTorch's names and order, NumPy values, and errors that
list every problem."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import convnet as cn
import convnet.nn as nn


def small_cnn(lib) -> object:
    """The same architecture in either library (lib is torch.nn or convnet.nn)."""

    class SmallCNN(lib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = lib.Sequential(
                lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
                lib.Conv2d(4, 8, 3, groups=2, bias=False), lib.BatchNorm2d(8), lib.ReLU(),
            )
            self.pool = lib.AdaptiveAvgPool2d(2)
            self.classifier = lib.Sequential(OrderedDict(
                flatten=lib.Flatten(), fc=lib.Linear(32, 16), act=lib.ReLU(),
                out=lib.Linear(16, 10)))

        def forward(self, x):
            return self.classifier(self.pool(self.features(x)))

    return SmallCNN()


def torch_trained_state() -> tuple[torch.nn.Module, dict[str, np.ndarray]]:
    torch.manual_seed(0)
    ref = small_cnn(torch.nn)
    ref(torch.randn(8, 1, 12, 12))  # one training step of BatchNorm: non-trivial running stats
    return ref, {k: v.detach().numpy() for k, v in ref.state_dict().items()}


def test_keys_and_order_match_torch() -> None:
    ref = small_cnn(torch.nn)
    ours = small_cnn(nn)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "features.1.num_batches_tracked" in ours.state_dict()
    assert ours.state_dict()["features.1.num_batches_tracked"].dtype == np.int64
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    for key, value in ours.state_dict().items():
        assert value.shape == tuple(ref.state_dict()[key].shape), key


@pytest.mark.parametrize("training", [False, True])
def test_torch_weights_load_unchanged_and_give_the_same_outputs(training: bool) -> None:
    ref, state = torch_trained_state()
    ours = small_cnn(nn)
    assert ours.load_state_dict(state) == ([], [])
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key], err_msg=key)
    ref.train(training)
    ours.train(training)
    x = np.random.default_rng(1).standard_normal((4, 1, 12, 12)).astype(np.float32)
    np.testing.assert_allclose(ours(cn.tensor(x)).numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_loading_copies_values_into_the_same_parameter_objects() -> None:
    _, state = torch_trained_state()
    ours = small_cnn(nn)
    weight = ours.features[0].weight
    ours.load_state_dict(state)
    assert ours.features[0].weight is weight
    assert weight.requires_grad
    state["features.0.weight"][...] = 0  # the model holds a copy, not the caller's array
    assert np.abs(weight.numpy()).sum() > 0


def test_round_trip_between_convnet_models_and_dtype_casting() -> None:
    a, b = small_cnn(nn), small_cnn(nn)
    b.load_state_dict(a.state_dict())
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)
    fc = nn.Linear(2, 1)
    fc.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([3.0])})  # float64 in
    assert fc.weight.dtype == np.float32 and fc.weight.tolist() == [[1.0, 2.0]]


def test_a_torch_state_dict_loads_directly() -> None:
    ref, _ = torch_trained_state()
    ours = small_cnn(nn)
    ours.load_state_dict(ref.state_dict())
    np.testing.assert_array_equal(ours.features[1].running_var.numpy(),
                                  ref.features[1].running_var.numpy())


def test_state_dict_values_share_memory_and_carry_no_gradient() -> None:
    fc = nn.Linear(2, 1)
    sd = fc.state_dict()
    assert not sd["weight"].requires_grad and not isinstance(sd["weight"], nn.Parameter)
    assert np.shares_memory(sd["weight"].numpy(), fc.weight.numpy())
    assert fc.state_dict(keep_vars=True)["weight"] is fc.weight
    assert list(fc.state_dict(prefix="head.")) == ["head.weight", "head.bias"]


def test_missing_key_is_named() -> None:
    _, state = torch_trained_state()
    del state["classifier.fc.bias"]
    with pytest.raises(RuntimeError, match="missing keys.*'classifier.fc.bias'"):
        small_cnn(nn).load_state_dict(state)


def test_unexpected_key_is_named() -> None:
    _, state = torch_trained_state()
    state["classifier.extra.weight"] = np.zeros(3, np.float32)
    with pytest.raises(RuntimeError, match="unexpected keys.*'classifier.extra.weight'"):
        small_cnn(nn).load_state_dict(state)


def test_wrong_shape_names_the_key_and_both_shapes() -> None:
    _, state = torch_trained_state()
    state["classifier.out.weight"] = np.zeros((10, 15), np.float32)
    with pytest.raises(ValueError, match=r"'classifier.out.weight': the state_dict has \(10, 15\), "
                                         r"the model has \(10, 16\)"):
        small_cnn(nn).load_state_dict(state)


def test_all_problems_are_reported_at_once_and_nothing_is_loaded() -> None:
    _, state = torch_trained_state()
    del state["features.0.bias"]
    del state["features.1.running_var"]
    state["bogus"] = np.zeros(1, np.float32)
    state["features.0.weight"] = np.zeros((4, 1, 5, 5), np.float32)
    state["classifier.fc.bias"] = "not an array"
    ours = small_cnn(nn)
    before = ours.features[4].weight.numpy().copy()
    with pytest.raises(nn.StateDictError) as err:
        ours.load_state_dict(state)
    message = str(err.value)
    for fragment in ("'features.0.bias'", "'features.1.running_var'", "'bogus'",
                     "(4, 1, 5, 5)", "(4, 1, 3, 3)", "'classifier.fc.bias' holds a str",
                     "SmallCNN", "strict=False"):
        assert fragment in message
    np.testing.assert_array_equal(ours.features[4].weight.numpy(), before)


def test_strict_false_loads_what_matches_and_returns_the_rest() -> None:
    _, state = torch_trained_state()
    del state["classifier.out.bias"]
    state["head.weight"] = np.zeros(2, np.float32)
    ours = small_cnn(nn)
    result = ours.load_state_dict(state, strict=False)
    assert result.missing_keys == ["classifier.out.bias"]
    assert result.unexpected_keys == ["head.weight"]
    missing, unexpected = result
    assert (missing, unexpected) == (["classifier.out.bias"], ["head.weight"])
    np.testing.assert_array_equal(ours.classifier.out.weight.numpy(), state["classifier.out.weight"])
    assert "missing_keys=['classifier.out.bias']" in repr(result)


def test_strict_false_still_refuses_wrong_shapes() -> None:
    with pytest.raises(ValueError, match="shape mismatch for 'weight'"):
        nn.Linear(2, 3).load_state_dict({"weight": np.zeros((3, 3))}, strict=False)


def test_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="mapping"):
        nn.Linear(2, 3).load_state_dict([("weight", np.zeros((3, 2)))])


def test_non_persistent_buffers_and_none_entries_are_left_out() -> None:
    m = nn.Module()
    m.register_buffer("kept", cn.zeros(2))
    m.register_buffer("scratch", cn.zeros(2), persistent=False)
    m.register_buffer("absent", None)
    m.register_parameter("nothing", None)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]


def test_loss_weights_are_buffers_as_in_torch() -> None:
    w = np.array([1.0, 2.0, 3.0], np.float32)
    ours = nn.CrossEntropyLoss(weight=cn.tensor(w))
    ref = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(w))
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=cn.ones(3)).state_dict()) == ["pos_weight"]


def test_shared_layers_appear_under_every_name_but_parameters_once() -> None:
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    ref_shared = torch.nn.Linear(3, 3)
    ref = torch.nn.Sequential(ref_shared, torch.nn.ReLU(), ref_shared)
    assert list(model.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert len(list(model.modules())) == len(list(ref.modules()))
