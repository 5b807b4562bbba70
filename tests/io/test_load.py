"""`convnet.load`: a trained model from its checkpoint or ONNX file, predicting as it did when saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from trained import train_lenet

import convnet
from convnet.errors import ConvnetError, ConvnetFileError, ConvnetFileNotFoundError, ConvnetValueError
from convnet.io import load_model
from convnet.train import CheckpointError


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """LeNet-5 after one epoch on 1,000 generated digits: the run, with its best model in memory."""
    out = tmp_path_factory.mktemp("load-run")
    return train_lenet(out, out / "cache", images=1000, epochs=1, val=200, batch_size=64)


def batch(result) -> convnet.Tensor:  # noqa: ANN001
    """Eight test digits, prepared as the model saw its training data."""
    images = result.test_data.images[:8].astype(np.float32) / 255.0
    mean, std = result.meta["dataset"]["mean"][0], result.meta["dataset"]["std"][0]
    return convnet.tensor((images - mean) / std)


def outputs(model: convnet.nn.Module, x: convnet.Tensor) -> np.ndarray:
    with convnet.no_grad():
        return model(x).numpy()


def test_checkpoint_loads_ready_for_inference_with_the_saved_predictions(trained) -> None:  # noqa: ANN001
    x = batch(trained)
    model = convnet.load(trained.best_checkpoint)
    assert not model.training
    assert type(model) is type(trained.model)
    np.testing.assert_array_equal(outputs(model, x), outputs(trained.model, x))
    same, meta = load_model(str(trained.best_checkpoint))
    assert meta["dataset"] == trained.meta["dataset"] and meta["model"]["name"] == "lenet5"
    np.testing.assert_array_equal(outputs(same, x), outputs(trained.model, x))


def test_onnx_file_loads_with_the_same_predictions(trained, tmp_path: Path) -> None:  # noqa: ANN001
    pytest.importorskip("onnx")
    path = convnet.onnx.export(trained.model, tmp_path / "lenet.onnx", (1, 28, 28), dataset=trained.meta["dataset"])
    x = batch(trained)
    model = convnet.load(path)
    assert not model.training
    np.testing.assert_allclose(outputs(model, x), outputs(trained.model, x), rtol=1e-5, atol=1e-5)
    assert (outputs(model, x).argmax(1) == outputs(trained.model, x).argmax(1)).all()
    _, meta = load_model(path)
    assert meta["dataset"] == trained.meta["dataset"]


def test_onnx_without_a_dataset_description_is_loaded_with_a_note(trained, tmp_path: Path) -> None:  # noqa: ANN001
    pytest.importorskip("onnx")
    path = convnet.onnx.export(trained.model, tmp_path / "bare.onnx", (1, 28, 28))
    notes: list[str] = []
    model, meta = load_model(path, note=notes.append)
    assert len(notes) == 1 and "bare.onnx does not record how its images were prepared" in notes[0]
    assert meta["dataset"]["image_size"] == [28, 28] and not model.training


@pytest.mark.parametrize("name", ["gone.safetensors", "gone.onnx", "gone.pt", "gone.bin"])
def test_a_missing_file_is_a_clear_error(tmp_path: Path, name: str) -> None:
    if name.endswith(".onnx"):
        pytest.importorskip("onnx")
    kind = {"gone.safetensors": "checkpoint file", "gone.onnx": "ONNX file"}.get(name, "file")
    with pytest.raises(ConvnetFileNotFoundError, match=f"{name}: no such {kind}") as err:
        convnet.load(tmp_path / name)
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, ConvnetError)


def test_files_that_are_not_models_are_refused(trained, tmp_path: Path) -> None:  # noqa: ANN001
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(
        ConvnetValueError,
        match=r"notes\.txt: not a model file convnet reads; give a "
        r"\.safetensors checkpoint \(from convnet train\) or an \.onnx file",
    ):
        convnet.load(text)
    pickled = tmp_path / "model.pth"
    pickled.write_bytes(b"\x80\x04\x95" + bytes(20))
    with pytest.raises(CheckpointError, match="convnet never loads pickle"):
        convnet.load(pickled)
    renamed = tmp_path / "model.weights"  # a checkpoint under another name still loads
    renamed.write_bytes(Path(trained.best_checkpoint).read_bytes())
    assert type(convnet.load(renamed)) is type(trained.model)
    with pytest.raises(ConvnetFileError, match="a folder, not a model file"):
        convnet.load(tmp_path)
