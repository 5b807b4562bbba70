"""Module: registration by assignment, traversal, modes, bulk changes and forward hooks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import convnet as cn
import convnet.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
        self.scale = nn.Parameter(cn.ones(1))
        self.register_buffer("steps", cn.zeros(1, dtype=cn.int64))
        self.note = "plain attribute"

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).relu()) * self.scale


# ---------------------------------------------------------------- registration
def test_assignment_registers_parameters_modules_and_keeps_plain_attributes() -> None:
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["conv", "bn", "head"]
    assert list(net._buffers) == ["steps"]
    assert net.note == "plain attribute" and "note" in net.__dict__
    assert net.scale is net._parameters["scale"]
    assert isinstance(net.head, nn.Sequential)


def test_plain_tensor_is_not_a_parameter_and_reassigning_a_buffer_keeps_it_a_buffer() -> None:
    net = Net()
    net.cache = cn.zeros(2)
    assert "cache" not in dict(net.named_parameters()) and "cache" not in net._buffers
    net.steps = cn.ones(1, dtype=cn.int64)
    assert net._buffers["steps"].tolist() == [1]


def test_replacing_a_kind_moves_the_name_between_registries() -> None:
    net = Net()
    net.conv = nn.Parameter(cn.zeros(2))      # a module name becomes a parameter
    assert "conv" not in net._modules and "conv" in net._parameters
    net.note = nn.ReLU()                       # a plain attribute becomes a module
    assert "note" not in net.__dict__ and isinstance(net._modules["note"], nn.ReLU)


def test_replacing_a_layer_keeps_its_place_in_the_state_dict() -> None:
    net = Net()
    keys = list(net.state_dict())
    net.conv = nn.Conv2d(1, 2, 3, bias=False)
    net.scale = nn.Parameter(cn.zeros(1))
    assert list(net.state_dict()) == [k for k in keys if k != "conv.bias"]


def test_wrong_values_for_registered_names_are_type_errors() -> None:
    net = Net()
    with pytest.raises(TypeError, match="cannot assign a Tensor to parameter 'scale'"):
        net.scale = cn.ones(1)
    with pytest.raises(TypeError, match="child module 'conv'"):
        net.conv = 3
    with pytest.raises(TypeError, match="buffer 'steps'"):
        net.steps = [1]
    net.scale = None
    net.conv = None
    assert net.scale is None and net.conv is None
    assert "scale" not in dict(net.named_parameters())


def test_register_methods_validate_names_and_values() -> None:
    m = nn.Module()
    with pytest.raises(KeyError, match="cannot contain '.'"):
        m.register_buffer("a.b", cn.zeros(1))
    with pytest.raises(KeyError, match="empty"):
        m.register_parameter("", nn.Parameter(cn.zeros(1)))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("forward", cn.zeros(1))
    with pytest.raises(TypeError, match="must be a string"):
        m.add_module(3, nn.ReLU())
    with pytest.raises(TypeError, match="wrap it as nn.Parameter"):
        m.register_parameter("w", cn.zeros(1))
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        m.register_buffer("b", np.zeros(1))
    with pytest.raises(TypeError, match="must be a Module or None"):
        m.add_module("child", "relu")
    m.register_module("child", nn.ReLU())
    assert isinstance(m.child, nn.ReLU)


def test_forgetting_super_init_is_explained() -> None:
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_missing_attribute_and_missing_forward() -> None:
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = Net().nope
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(cn.zeros(1))


def test_delattr_and_dir() -> None:
    net = Net()
    assert {"conv", "bn", "head", "scale", "steps", "note", "forward"} <= set(dir(net))
    del net.conv, net.scale, net.steps, net.note
    for name in ("conv", "scale", "steps", "note"):
        assert not hasattr(net, name)
    assert "0" not in dir(nn.Sequential(nn.ReLU()))


# ---------------------------------------------------------------- traversal
def test_named_members_and_their_order() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.scale"
    assert [n for n, _ in net.named_buffers()] == [
        "steps", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["conv", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "conv", "bn", "head", "head.0", "head.1"]
    assert list(net.children())[0] is net.conv
    assert len(list(net.modules())) == 6
    assert len(list(net.parameters())) == 7 and len(list(net.buffers())) == 4


def test_get_submodule() -> None:
    net = Net()
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match=r"head has no sub-module '7'.*\['0', '1'\]"):
        net.get_submodule("head.7")


# ---------------------------------------------------------------- modes and bulk changes
def test_train_and_eval_propagate_to_every_submodule() -> None:
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.head.train(False)
    assert net.training and not net.head[0].training
    with pytest.raises(ValueError, match="True or False"):
        net.train("yes")


def test_zero_grad_and_requires_grad() -> None:
    net = Net()
    net(cn.randn(2, 1, 6, 6)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.conv.requires_grad_(False)
    net(cn.randn(2, 1, 6, 6)).sum().backward()
    assert net.conv.weight.grad is None and net.head[1].weight.grad is not None


def test_apply_visits_children_first_then_self() -> None:
    visited = []
    net = Net()
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Conv2d", "BatchNorm2d", "Flatten", "Linear", "Sequential", "Net"]


def test_to_double_converts_in_place_keeping_parameter_objects() -> None:
    net = Net()
    net(cn.randn(2, 1, 6, 6)).sum().backward()
    params = list(net.parameters())
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert net.bn.running_mean.dtype == np.float64
    assert net.steps.dtype == np.int64 and net.bn.num_batches_tracked.dtype == np.int64
    assert net(cn.randn(2, 1, 6, 6, dtype=cn.float64)).dtype == np.float64
    net.float()
    assert net.conv.weight.dtype == np.float32
    net.to(cn.float64)
    assert net.conv.weight.dtype == np.float64
    net.to(cn.zeros(1, dtype=cn.float32))
    assert net.conv.weight.dtype == np.float32
    assert net.to("cpu") is net and net.cpu() is net and net.to(device="cpu", dtype=None) is net
    with pytest.raises(TypeError, match="floating-point"):
        net.to(cn.int64)
    with pytest.raises(ValueError, match="CPU only"):
        net.to("cuda")


def test_deepcopy_gives_an_independent_model() -> None:
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.conv.weight is not net.conv.weight
    np.testing.assert_array_equal(clone.conv.weight.numpy(), net.conv.weight.numpy())
    with cn.no_grad():
        clone.conv.weight.fill_(0.0)
    assert net.conv.weight.numpy().any()


# ---------------------------------------------------------------- hooks
def test_forward_hooks_see_module_args_and_output_and_can_be_removed() -> None:
    layer = nn.Linear(3, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append((m, args, out)))
    x = cn.randn(4, 3)
    y = layer(x)
    assert len(seen) == 1
    module, args, out = seen[0]
    assert module is layer and isinstance(args, tuple) and args[0] is x and out is y
    handle.remove()
    layer(x)
    assert len(seen) == 1
    handle.remove()  # removing twice is harmless


def test_hooks_can_replace_inputs_and_outputs() -> None:
    layer = nn.ReLU()
    pre = layer.register_forward_pre_hook(lambda m, args: args[0] * -1)  # a bare value is wrapped
    post = layer.register_forward_hook(lambda m, args, out: out + 1)
    assert layer(cn.tensor([-2.0, 3.0])).tolist() == [3.0, 1.0]
    pre.remove()
    post.remove()
    assert layer(cn.tensor([-2.0, 3.0])).tolist() == [0.0, 3.0]
    calls = []
    with layer.register_forward_pre_hook(lambda m, args: calls.append(len(args))):
        layer(cn.ones(1))
    layer(cn.ones(1))
    assert calls == [1]


def test_hooks_capture_every_layer_output_of_a_model() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 3 * 3, 5))
    shapes = {}
    handles = [m.register_forward_hook(lambda m, a, out, name=name: shapes.__setitem__(name, out.shape))
               for name, m in model.named_modules() if name]
    assert model(cn.randn(2, 1, 8, 8)).shape == (2, 5)
    assert shapes == {"0": (2, 4, 6, 6), "1": (2, 4, 6, 6), "2": (2, 4, 3, 3), "3": (2, 36),
                      "4": (2, 5)}
    for h in handles:
        h.remove()
    shapes.clear()
    model(cn.randn(2, 1, 8, 8))
    assert shapes == {}


def test_hooks_run_in_registration_order_and_keyword_arguments_reach_forward() -> None:
    order = []
    up = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    up.register_forward_pre_hook(lambda m, a: order.append("pre"))
    up.register_forward_hook(lambda m, a, o: order.append("first"))
    up.register_forward_hook(lambda m, a, o: order.append("second"))
    assert up(cn.zeros(1, 1, 4, 4), output_size=(8, 8)).shape == (1, 1, 8, 8)
    assert order == ["pre", "first", "second"]
