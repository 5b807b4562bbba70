"""The checkpoint file: round trip, atomic writes, and clear errors for anything else."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

import convnet as cn
from convnet import models, optim
from convnet.io import checkpoint
from convnet.train import CheckpointError, load_checkpoint, save_checkpoint


def trained_pair() -> tuple[cn.nn.Module, optim.Optimizer]:
    cn.manual_seed(0)
    model = models.create("lenet5", input_size=28)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        loss = cn.nn.functional.cross_entropy(model(cn.randn(4, 1, 28, 28)), cn.tensor([1, 2, 3, 4]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def test_round_trip_model_optimizer_and_meta(tmp_path: Path) -> None:
    model, opt = trained_pair()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, {"epoch": 3, "note": "hi"})
    ckpt = load_checkpoint(path)
    assert ckpt.model_name == "lenet5" and ckpt.model_kwargs == {"input_size": 28}
    assert ckpt.meta["epoch"] == 3 and ckpt.meta["convnet_version"] == cn.__version__
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(ckpt.model_state[k], v.numpy())
    restored = optim.Adam(models.create("lenet5", input_size=28).parameters(), lr=1e-3)
    restored.load_state_dict(ckpt.optimizer_state())
    a, b = opt.state_dict(), restored.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for i in a["state"]:
        assert a["state"][i]["step"] == b["state"][i]["step"]
        np.testing.assert_array_equal(a["state"][i]["exp_avg_sq"], b["state"][i]["exp_avg_sq"])
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)   # not mkstemp's private mode



def test_batch_norm_counters_keep_their_zero_dimensional_shape(tmp_path: Path) -> None:
    model = models.create("vgg-mnist")
    model(cn.randn(2, 1, 28, 28))                      # training mode: the counters move to 1
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "bn.safetensors", model))
    counter = ckpt.model_state["features.1.num_batches_tracked"]
    assert counter.shape == () and int(counter) == 1
    fresh = models.create("vgg-mnist")
    fresh.load_state_dict(ckpt.model_state)            # a shape mismatch would raise here
    assert int(fresh.features[1].num_batches_tracked.item()) == 1

def test_a_crash_while_writing_leaves_the_old_file_intact(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    model, opt = trained_pair()
    path = save_checkpoint(tmp_path / "last.safetensors", model, opt, {"epoch": 1})
    before = path.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, opt, {"epoch": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]   # no temporary left


@pytest.mark.parametrize("damage,pattern", [
    (lambda raw: b"", "the file is empty"),
    (lambda raw: raw[: len(raw) // 2], "not a readable safetensors file"),
    (lambda raw: b"\x00" * 8 + raw[8:], "not a readable safetensors file"),
    (lambda raw: b"GIF89a not a checkpoint at all", "not a readable safetensors file"),
])
def test_damaged_files_give_clear_errors(tmp_path: Path, damage, pattern: str) -> None:  # noqa: ANN001
    model, opt = trained_pair()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, {})
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=pattern) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)


def test_plain_safetensors_and_missing_files(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    plain = tmp_path / "weights.safetensors"
    save_file({"w": np.zeros(3, np.float32)}, plain)
    with pytest.raises(CheckpointError, match="not a convnet checkpoint"):
        load_checkpoint(plain)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    model, _ = trained_pair()
    future = tmp_path / "future.safetensors"
    save_checkpoint(future, model, None, {})
    raw = future.read_bytes()
    future.write_bytes(raw.replace(b'"format_version":"1"', b'"format_version":"9"'))
    with pytest.raises(CheckpointError, match="format 9 is newer"):
        load_checkpoint(future)


class _Payload:
    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):  # noqa: ANN204
        return (Path.write_text, (Path(self.target), "pwned"))


def test_a_pickle_is_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(CheckpointError, match=r"pickled PyTorch file.*save_file\(torch.load"):
        load_checkpoint(evil)
    renamed = tmp_path / "model.safetensors"
    evil.rename(renamed)
    with pytest.raises(CheckpointError):
        load_checkpoint(renamed)
    assert not marker.exists()


def test_metadata_is_plain_json(tmp_path: Path) -> None:
    model, opt = trained_pair()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, {"history": [{"loss": np.float32(0.5)}]})
    header = checkpoint._header(path.read_bytes())
    meta = json.loads(header["__metadata__"]["convnet"])
    assert meta["history"] == [{"loss": 0.5}] and header["__metadata__"]["format"] == "convnet-checkpoint"
