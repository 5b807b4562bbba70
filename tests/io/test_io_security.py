"""No pickle ever runs: a file whose unpickling would create a marker file never does."""

from __future__ import annotations

import builtins
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import convnet.onnx
from convnet.io import WeightsError, load_torch_weights, read_weights
from convnet.models import create


class Payload:
    """Unpickling this object opens (so creates) the marker file: code run by loading data."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return builtins.open, (str(self.marker), "w")


def crafted_files(tmp_path: Path, marker: Path) -> dict[str, bytes]:
    plain = pickle.dumps({"fc.weight": Payload(marker)})
    zipped = tmp_path / "zipped.pt"
    torch.save({"fc.weight": Payload(marker)}, zipped)          # PyTorch's zip format, pickle inside
    holder = tmp_path / "objects.npz"
    np.savez(holder, w=np.array([Payload(marker)], dtype=object))  # a pickled object array inside a .npz
    return {"plain": plain, "torch-zip": zipped.read_bytes(), "object-npz": holder.read_bytes()}


def test_the_payload_works_when_unpickled(tmp_path: Path) -> None:
    """The test below could fail: unpickling this payload does create the marker."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Payload(marker))).close()
    assert marker.exists()


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin", ".ckpt", ".npz", ".safetensors", ""])
def test_pickles_never_run_whatever_their_name(suffix: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for kind, data in crafted_files(tmp_path, marker).items():
        path = tmp_path / f"{kind}{suffix}"
        path.write_bytes(data)
        with pytest.raises(WeightsError) as e:
            load_torch_weights(create("lenet5"), path)
        assert str(path) in str(e.value)
        assert not marker.exists(), f"{path.name}: unpickled!"


def test_the_refusal_explains_how_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(WeightsError) as e:
        read_weights(path)
    msg = str(e.value)
    assert "never loads pickle" in msg and "torch.load('model.pth', weights_only=True)" in msg
    assert "from safetensors.torch import save_file" in msg


def test_an_onnx_named_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for kind, data in crafted_files(tmp_path, marker).items():
        path = tmp_path / f"{kind}.onnx"
        path.write_bytes(data)
        with pytest.raises(convnet.onnx.LoadError, match=str(path)):
            convnet.onnx.load(path)
    assert not marker.exists()
