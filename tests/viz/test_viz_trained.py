"""On a trained LeNet-5: top patches, activation maximisation, and the end-of-training report."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import convnet as cn
from convnet.io import load_model
from convnet.train.run import RunResult
from convnet.viz.images import dataset_split, normalise
from convnet.viz.maximise import dream, dream_grid
from convnet.viz.patches import patches_grid, top_patches
from convnet.viz.plots import history_plot
from convnet.viz.probe import capture
from convnet.viz.report import FILES, misclassified, training_report


@pytest.fixture(scope="module")
def model_meta_data(trained: RunResult) -> tuple[Any, dict[str, Any], Any]:
    model, meta = load_model(str(trained.best_checkpoint))
    options = meta["train_config"]["dataset_options"]
    return model, meta, dataset_split(meta["dataset"]["name"], **options)


def test_top_patches_are_the_strongest_responses_cropped_to_the_field(model_meta_data: tuple) -> None:
    model, meta, data = model_meta_data
    found = top_patches(model, data, meta["dataset"], "features.3", [0, 7], per_channel=5, limit=300)
    assert list(found) == [0, 7] and all(len(v) == 5 for v in found.values())
    images, _ = data.get_batch(np.arange(300))
    acts = capture(model, normalise(images, meta["dataset"]), ["features.3"])["features.3"]   # (300, 16, 10, 10)
    for c, patches in found.items():
        best = acts[:, c].reshape(300, -1).max(axis=1)
        assert [p.image_index for p in patches] == np.argsort(-best, kind="stable")[:5].tolist()
        for p in patches:
            y, x = p.position
            assert p.activation == pytest.approx(float(acts[p.image_index, c, y, x])) == pytest.approx(
                float(best[p.image_index]))
            padded = np.pad(images[p.image_index], ((0, 0), (2, 2), (2, 2)))   # the field of (y, x): rows 2y-2..2y+11
            assert np.array_equal(p.pixels, padded[:, 2 * y:2 * y + 14, 2 * x:2 * x + 14])
    grid = patches_grid(found, "features.3", "Conv2d")
    assert len(grid.boxes) == 10 and grid.keys[0] == ("features.3", 0)


def test_dream_raises_each_channels_activation(model_meta_data: tuple) -> None:
    model, meta, _ = model_meta_data
    result = dream(model, meta["dataset"], "features.3", channels=[1, 4, 9], steps=40)
    assert result.images.shape == (3, 1, 28, 28) and result.images.dtype == np.uint8
    assert result.field.receptive_field == (14, 14)
    assert all(end > start + 1.0 for start, end in zip(result.start, result.activations, strict=True))
    assert all(im.std() > 10 for im in result.images)                  # a pattern, not a flat image
    assert len(dream_grid(result).boxes) == 3
    with pytest.raises(ValueError, match="channel\\(s\\) \\[16\\] do not exist: the layer has 16 channels"):
        dream(model, meta["dataset"], "features.3", channels=[16], steps=1)


def test_training_writes_the_report_next_to_the_checkpoint(trained: RunResult, model_meta_data: tuple) -> None:
    report = trained.report
    assert report.notes == []
    assert report.paths == [trained.best_checkpoint.parent / name for name in FILES.values()]
    for p in report.paths:
        with Image.open(p) as im:
            assert im.width > 300 and im.height > 250
    model, meta, data = model_meta_data
    mistakes, seen = misclassified(model, data, meta["dataset"], limit=10)
    assert 0 < len(mistakes) <= 10 and seen <= len(data)
    for m in mistakes:
        assert m.true != m.predicted and m.true == int(data.targets[m.index])
    logits = model(cn.tensor(normalise(np.stack([m.image for m in mistakes]), meta["dataset"])))
    assert logits.numpy().argmax(axis=1).tolist() == [m.predicted for m in mistakes]


def test_the_curves_show_both_series(trained: RunResult) -> None:
    pixels = np.asarray(history_plot(trained.history)).reshape(-1, 3)
    for color in ((33, 102, 172), (214, 96, 77)):                     # training blue, validation red
        assert (np.abs(pixels.astype(int) - color).sum(axis=1) < 30).sum() > 50
    with pytest.raises(ValueError, match="the history is empty"):
        history_plot([])


def test_without_matplotlib_the_report_skips_the_curves(tmp_path: Path, model_meta_data: tuple,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    model, meta, data = model_meta_data
    report = training_report(tmp_path, model, data, meta["history"], meta, confusion=np.eye(10, dtype=int))
    assert [p.name for p in report.paths] == [FILES["confusion"], FILES["mistakes"]]
    assert len(report.notes) == 1 and "pip install convnet[viz]" in report.notes[0]
