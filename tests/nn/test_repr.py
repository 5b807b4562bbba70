"""repr() of layers and models is character for character PyTorch's."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

import convnet.nn as nn

LAYERS = [
    ("Conv2d", (3, 16, 3), {}),
    ("Conv2d", (3, 16, (3, 5)), dict(stride=2, padding=(1, 2), dilation=3, groups=1, bias=False)),
    ("Conv2d", (4, 8, 3), dict(groups=4, padding="same", padding_mode="reflect")),
    ("Conv2d", (4, 8, 3), dict(padding="valid", padding_mode="circular")),
    ("ConvTranspose2d", (8, 4, 4), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose2d", (8, 4, 3), dict(dilation=2, bias=False)),
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), dict(stride=1, padding=1, dilation=2, ceil_mode=True,
                                  return_indices=True)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("AdaptiveAvgPool2d", ((None, 7),), {}),
    ("Conv1d", (3, 16, 3), dict(dilation=2, padding="same", padding_mode="reflect")),
    ("Conv3d", (4, 8, (1, 3, 3)), dict(padding="valid", dilation=2, groups=4, bias=False)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("MaxPool3d", ((1, 2, 2),), dict(dilation=2)),
    ("AvgPool1d", (3,), dict(stride=2)),
    ("AvgPool3d", (2,), dict(padding=1, ceil_mode=True)),
    ("AdaptiveMaxPool2d", (1,), dict(return_indices=True)),
    ("Linear", (10, 5), {}),
    ("Linear", (10, 5), dict(bias=False)),
    ("Flatten", (), {}),
    ("Flatten", (0, 2), {}),
    ("Unflatten", (1, (4, 4)), {}),
    ("Identity", (), {}),
    ("ReLU", (), {}),
    ("ReLU", (True,), {}),
    ("ReLU6", (True,), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2, True), {}),
    ("ELU", (0.5,), {}),
    ("GELU", (), dict(approximate="tanh")),
    ("SiLU", (), {}),
    ("Tanh", (), {}),
    ("Sigmoid", (), {}),
    ("Softmax", (), dict(dim=1)),
    ("LogSoftmax", (), {}),
    ("Dropout", (), {}),
    ("Dropout2d", (0.2, True), {}),
    ("BatchNorm1d", (10,), {}),
    ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=None, affine=False, track_running_stats=False)),
    ("BatchNorm2d", (3,), dict(bias=False)),
    ("LocalResponseNorm", (5,), dict(alpha=1e-3, beta=0.5, k=2)),
    ("CrossEntropyLoss", (), dict(label_smoothing=0.1)),
    ("NLLLoss", (), {}),
    ("MSELoss", (), {}),
    ("L1Loss", (), {}),
    ("BCEWithLogitsLoss", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_layer_repr_matches_torch(name: str, args: tuple, kwargs: dict) -> None:
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def alexnet_like(lib) -> object:
    return lib.Sequential(
        OrderedDict(
            features=lib.Sequential(
                lib.Conv2d(3, 64, 11, stride=4, padding=2), lib.ReLU(inplace=True),
                lib.LocalResponseNorm(5), lib.MaxPool2d(3, stride=2),
                lib.Sequential(lib.Conv2d(64, 192, 5, padding=2), lib.BatchNorm2d(192)),
            ),
            avgpool=lib.AdaptiveAvgPool2d((6, 6)),
            flatten=lib.Flatten(),
            classifier=lib.Sequential(lib.Dropout(), lib.Linear(192 * 36, 10)),
        )
    )


def test_nested_sequential_model_repr_matches_torch() -> None:
    ours, ref = repr(alexnet_like(nn)), repr(alexnet_like(torch.nn))
    assert ours == ref
    assert "\n      (0): Conv2d(64, 192" in ours  # three levels of indentation


def containers(lib) -> tuple[object, object]:
    blocks = lib.ModuleList([lib.Linear(4, 4) for _ in range(3)]
                            + [lib.ReLU(), lib.ReLU(), lib.Linear(4, 2)])
    heads = lib.ModuleDict({"a": lib.Linear(2, 1), "b": lib.Sequential()})
    return blocks, heads


def test_containers_repr_matches_torch() -> None:
    (blocks, heads), (ref_blocks, ref_heads) = containers(nn), containers(torch.nn)
    assert repr(blocks) == repr(ref_blocks)
    assert "(0-2): 3 x Linear" in repr(blocks)
    assert "(3-4): 2 x ReLU()" in repr(blocks)
    assert repr(heads) == repr(ref_heads)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


def test_custom_module_with_multiline_extra_repr_and_none_child() -> None:
    def build(lib):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                self.conv = lib.Conv2d(1, 1, 1)
                self.skip = None
                self.add_module("downsample", None)

            def extra_repr(self):
                return "first line\nsecond line"

        return Block()

    assert repr(build(nn)) == repr(build(torch.nn))
