"""PyTorch state_dicts shared as safetensors (or .npz) load into the zoo by name."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as tnn
from models.torchvision_oracle import torchvision
from safetensors.torch import save_file

import convnet as cn
from convnet import models
from convnet.io import WeightsError, load_torch_weights, read_weights
from convnet.nn import init


def zoo(name: str, **kwargs: object) -> cn.nn.Module:
    with init.skip_init():
        return models.create(name, **kwargs)


def randomize_batch_norm(model: tnn.Module) -> tnn.Module:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model.eval()


def same_outputs(ours: cn.nn.Module, theirs: tnn.Module, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    with cn.no_grad():
        got = ours.eval()(cn.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


@pytest.mark.parametrize("name", ["resnet18", "alexnet"])
def test_torchvision_weights_load_without_renaming(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    theirs = randomize_batch_norm(getattr(torchvision().models, name)(weights=None))
    path = tmp_path / f"{name}.safetensors"
    save_file(theirs.state_dict(), path)
    ours = zoo(name)
    assert tuple(load_torch_weights(ours, path)) == ([], [])
    same_outputs(ours, theirs, (3, 64, 64))


class TorchLeNet5(tnn.Module):
    """PyTorch's LeNet-5 with the zoo's layer names (features, classifier)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = tnn.Sequential(tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                                       tnn.ReLU(), tnn.MaxPool2d(2))
        self.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84),
                                         tnn.ReLU(), tnn.Linear(84, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@pytest.mark.parametrize("fmt", ["safetensors", "npz"])
def test_a_torch_lenet5_loads_into_the_zoo(fmt: str, tmp_path: Path) -> None:
    torch.manual_seed(1)
    theirs = TorchLeNet5().eval()
    state = theirs.state_dict()
    path = tmp_path / f"lenet.{fmt}"
    if fmt == "safetensors":
        save_file(state, path)
    else:
        np.savez(path, **{k: v.numpy() for k, v in state.items()})
    ours = zoo("lenet5")
    load_torch_weights(ours, path)
    same_outputs(ours, theirs, (1, 32, 32))


def test_half_precision_is_converted_and_data_parallel_prefix_removed(tmp_path: Path) -> None:
    theirs = TorchLeNet5().eval()
    path = tmp_path / "half.safetensors"
    save_file({f"module.{k}": v.half() for k, v in theirs.state_dict().items()}, path)
    ours = zoo("lenet5")
    load_torch_weights(ours, path)
    assert ours.features[0].weight.dtype == np.float32
    expected = theirs.features[0].weight.detach().half().float().numpy()
    np.testing.assert_allclose(ours.features[0].weight.numpy(), expected)


def test_wrong_shapes_and_missing_tensors_are_all_listed(tmp_path: Path) -> None:
    state = TorchLeNet5(num_classes=5).state_dict()
    del state["features.0.bias"], state["features.3.weight"]
    state["extra.weight"] = torch.zeros(2)
    path = tmp_path / "five-classes.safetensors"
    save_file(state, path)
    with pytest.raises(WeightsError) as e:
        load_torch_weights(zoo("lenet5"), path)
    msg = str(e.value)
    assert msg.startswith(str(path)) and "'features.0.bias'" in msg and "'features.3.weight'" in msg
    assert "'extra.weight'" in msg and "shape mismatch for 'classifier.5.weight'" in msg and "(5, 84)" in msg
    del state["extra.weight"], state["classifier.5.weight"], state["classifier.5.bias"]
    save_file(state, path)
    missing, unexpected = load_torch_weights(zoo("lenet5"), path, strict=False)
    assert set(missing) == {"features.0.bias", "features.3.weight", "classifier.5.weight", "classifier.5.bias"}
    assert unexpected == []


def test_truncated_and_damaged_files(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_file(TorchLeNet5().state_dict(), path)
    data = path.read_bytes()
    cases = {"truncated.safetensors": (data[:-100], "not a complete safetensors file"),
             "header-only.safetensors": (data[:40], "header"),
             "empty.safetensors": (b"", "the file is empty"),
             "short.npz": (b"PK\x03\x04" + bytes(10), "not a safetensors or .npz file"),
             "notes.txt": (b"just some text", "not a safetensors or .npz file")}
    with zipfile.ZipFile(tmp_path / "notes.npz", "w") as z:
        z.writestr("readme.txt", "not an array")
    cases["notes.npz"] = ((tmp_path / "notes.npz").read_bytes(), "['readme.txt'] are not NumPy arrays")
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(WeightsError) as e:
            read_weights(tmp_path / name)
        assert str(tmp_path / name) in str(e.value) and expected in str(e.value), (name, str(e.value))
    with pytest.raises(WeightsError, match="no such weights file"):
        read_weights(tmp_path / "missing.safetensors")


def test_bfloat16_gets_a_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "bf16.safetensors"
    save_file({"fc.weight": torch.zeros(2, 2, dtype=torch.bfloat16)}, path)
    with pytest.raises(WeightsError, match=r"fc.weight \(bfloat16\).*v.float\(\)"):
        read_weights(path)
