"""Sequential, ModuleList and ModuleDict behave like Python sequences and dicts, and like torch."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

import convnet as cn
import convnet.nn as nn


def layers(n: int = 3) -> list[nn.Module]:
    return [nn.Linear(2, 2) for _ in range(n)]


# ---------------------------------------------------------------- Sequential
def test_sequential_runs_its_modules_in_order() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = cn.randn(5, 3)
    assert model(x).tolist() == model[2](model[1](model[0](x))).tolist()
    assert nn.Sequential()(x) is x


def test_sequential_indexing_slicing_len_and_iteration() -> None:
    mods = layers(4)
    model = nn.Sequential(*mods)
    assert len(model) == 4
    assert model[0] is mods[0] and model[-1] is mods[3] and model[-4] is mods[0]
    assert list(model) == mods
    part = model[1:3]
    assert isinstance(part, nn.Sequential) and list(part) == mods[1:3]
    assert list(part._modules) == ["1", "2"]  # slicing keeps the names, as in torch
    assert list(model[::-1]) == mods[::-1]
    for bad in (4, -5):
        with pytest.raises(IndexError, match=f"index {bad} is out of range"):
            model[bad]


def test_sequential_from_ordered_dict_keeps_names() -> None:
    model = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), act=nn.ReLU()))
    assert [n for n, _ in model.named_children()] == ["conv", "act"]
    assert isinstance(model.conv, nn.Conv2d) and model[1] is model.act
    assert list(model.state_dict()) == ["conv.weight", "conv.bias"]


def test_sequential_editing_renumbers_like_torch() -> None:
    ours, ref = nn.Sequential(*layers(4)), torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(4)])
    for seq in (ours, ref):
        del seq[1]
        seq.append(type(seq[0])(2, 3))
        seq[0] = type(seq[0])(2, 5)
        seq.insert(1, type(seq[0])(2, 7))
        seq.extend([type(seq[0])(2, 9)])
        seq.pop(-2)
    assert list(ours._modules) == list(ref._modules)
    assert [m.out_features for m in ours] == [m.out_features for m in ref] == [5, 7, 2, 2, 9]
    del ours[1:3]
    assert [m.out_features for m in ours] == [5, 2, 9]
    assert list(ours._modules) == ["0", "1", "2"]


def test_sequential_rejects_non_modules() -> None:
    with pytest.raises(TypeError, match="must be a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match="use append"):
        nn.Sequential().extend(nn.ReLU())


# ---------------------------------------------------------------- ModuleList
def test_module_list_registers_parameters_and_behaves_like_a_list() -> None:
    mods = layers(3)
    ml = nn.ModuleList(mods)
    assert len(list(ml.parameters())) == 6
    assert ml[-1] is mods[2] and list(ml) == mods
    assert isinstance(ml[:2], nn.ModuleList) and list(ml[:2]) == mods[:2]
    ml += [nn.ReLU()]
    ml.append(nn.Tanh()).insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)]
    assert nn.ModuleList() is not None and len(nn.ModuleList()) == 0
    with pytest.raises(NotImplementedError):
        ml(cn.zeros(1))  # a list has no forward


# ---------------------------------------------------------------- ModuleDict
def test_module_dict_behaves_like_a_dict() -> None:
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    md["c"] = nn.Tanh()
    md.update([("d", nn.Sigmoid())])
    assert list(md) == md.keys() == ["a", "b", "c", "d"]
    assert "c" in md and len(md) == 4
    assert [type(m).__name__ for m in md.values()] == ["Linear", "ReLU", "Tanh", "Sigmoid"]
    assert md.items()[0][0] == "a"
    assert isinstance(md.pop("b"), nn.ReLU) and "b" not in md
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    with pytest.raises(KeyError, match=r"'z' is not in this ModuleDict; its keys are \['a', 'c', 'd'\]"):
        md["z"]
    with pytest.raises(TypeError, match=r"element 0 should be a \(key, module\) pair"):
        md.update(["ab"])
    md.clear()
    assert len(md) == 0


def test_identity_ignores_arguments_and_returns_its_input() -> None:
    x = cn.randn(2, 3)
    assert nn.Identity(54, unused="argument")(x) is x
