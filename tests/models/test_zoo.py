"""The zoo: published sizes, torchvision's names and outputs, and one training step each."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision_oracle import torchvision

import convnet as cn
from convnet import models, optim
from convnet.nn import constraints, init
from convnet.nn.utils import LayerError

PUBLISHED = {"lenet5": 61_706, "alexnet": 61_100_840, "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
             "googlenet": 6_624_904, "resnet18": 11_689_512, "resnet34": 21_797_672,
             "resnet50": 25_557_032, "resnet101": 44_549_160, "resnet152": 60_192_808}
# torchvision's published GFLOPS (multiply-accumulates) at 3x224x224
TORCHVISION_GMACS = {"alexnet": 0.714, "vgg16": 15.47, "googlenet": 1.498, "resnet18": 1.814,
                     "resnet50": 4.089}
TORCHVISION_MODELS = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
                      "googlenet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def build(name: str, **kw: object) -> cn.nn.Module:
    with init.skip_init():
        return models.create(name, **kw)


@pytest.mark.parametrize("name,count", PUBLISHED.items())
def test_published_parameter_counts(name: str, count: int) -> None:
    assert sum(p.numel() for p in build(name).parameters()) == count


def test_lenet5_classic_has_exactly_60000_trainable_parameters() -> None:
    model = models.create("lenet5-classic")
    per_layer = {name: sum(constraints.trainable_count(p) for p in model.get_submodule(name).parameters())
                 for name in ("c1", "s2", "c3", "s4", "c5", "f6", "output")}
    assert per_layer == {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164, "output": 0}
    assert constraints.count_parameters(model) == 60_000
    assert model(cn.randn(2, 1, 32, 32)).shape == (2, 10)


def test_mnist_bn_pools_before_normalising_and_fits_other_sizes() -> None:
    model = build("mnist-bn")
    kinds = [type(m).__name__ for m in model.features]
    assert kinds == ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"] * 3
    assert sum(p.numel() for p in model.parameters()) == 98_682             # 23,408 convolutional
    wide = build("mnist-bn", in_channels=3, widths=(8, 16), input_size=32)       # 32 -> 16 -> 8
    assert wide(cn.zeros(2, 3, 32, 32)).shape == (2, 10) and wide.classifier[1].in_features == 16 * 8 * 8


def test_lenet5_accepts_28x28_with_padding_2() -> None:
    model = build("lenet5", input_size=28)
    assert model.features[0].padding == (2, 2)
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert model(cn.zeros(1, 1, 28, 28)).shape == (1, 10)


@pytest.mark.parametrize("name,gmacs", TORCHVISION_GMACS.items())
def test_macs_within_1_percent_of_torchvision(name: str, gmacs: float) -> None:
    s = cn.summary(name, (3, 224, 224))
    assert abs(s.total_macs / 1e9 - gmacs) / gmacs < 0.01


def test_receptive_fields_of_the_distill_table() -> None:
    vgg = cn.summary("vgg16", (3, 224, 224)).layer("features.30")        # pool5
    assert (vgg.receptive_field, vgg.effective_stride, vgg.effective_padding) == (212, 32, 90)
    alexnet = build("alexnet")
    alexnet.features[0].padding = (0, 0)                                  # the paper's unpadded conv1
    pool5 = cn.summary(alexnet, (3, 227, 227)).layer("features.12")
    assert (pool5.receptive_field, pool5.effective_stride, pool5.effective_padding) == (195, 32, 64)
    c5 = cn.summary("lenet5-classic", (1, 32, 32)).layer("c5")
    assert c5.receptive_field == 32 and c5.output_shape == (120, 1, 1)   # sees the whole input
    # mnist-bn: conv 3 -> pool 2 -> conv 3 -> pool 2 -> conv 3 -> pool 2; 3 + 1 + 2*2 + 1*2 + 2*4 + 1*4 = 22
    last = cn.summary("mnist-bn", (1, 28, 28)).layer("features.11")
    assert (last.receptive_field, last.effective_stride, last.output_shape) == (22, 8, (64, 3, 3))


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_same_keys_and_outputs_as_torchvision(name: str) -> None:
    tv = torchvision()
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    ref = getattr(tv.models, name)(**kwargs).eval()
    ours = build(name).eval()
    ref_state = ref.state_dict()
    assert list(ours.state_dict()) == list(ref_state)
    ours.load_state_dict({k: v.numpy() for k, v in ref_state.items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with cn.no_grad():
        got = ours(cn.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("name", models.list())
def test_every_model_runs_and_trains_one_step_at_its_canonical_size(name: str) -> None:
    cn.manual_seed(0)
    info = models.info(name)
    model = models.create(name)
    batch = 2 if name in ("vgg-mnist", "mnist-bn") else 1    # their BatchNorm1d needs two values per channel
    x = cn.randn(batch, *info.input_shape)
    target = cn.randint(0, info.num_classes, (batch,))
    out = model(x)
    logits = out[0] if isinstance(out, tuple) else out
    assert logits.shape == (batch, info.num_classes)
    assert logits.shape[1:] == cn.summary(name, info.input_shape).output_shape
    params = [p for p in model.parameters() if p.requires_grad]
    before = [p.numpy().copy() for p in params]
    loss = cn.nn.functional.cross_entropy(logits, target)
    opt = optim.SGD(params, lr=0.01)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert np.isfinite(loss.item())
    changed = sum(not np.array_equal(b, p.numpy()) for b, p in zip(before, params, strict=True))
    assert changed >= 0.8 * len(params)


def test_unknown_name_and_too_small_input() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'resnet9'.*known models: lenet5, lenet5-classic, alexnet"):
        models.create("resnet9")
    with pytest.raises(LayerError, match=r"layer features\.12 \(MaxPool2d\) got input 256x1x1: max_pool2d "
                                         r"\(height\): kernel 3 does not fit input 1 \+ padding 0"):
        cn.summary("alexnet", (3, 32, 32))
