"""Whole runs: determinism, bit-for-bit resume, Ctrl-C, NaN stop, history files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import convnet as cn
from convnet.train import Trainer, TrainingDiverged, TrainingInterrupted, load_checkpoint
from convnet.train.loop import Trainer as LoopTrainer
from convnet.train.run import TrainConfig, run_training


def small_config(out: Path, **kw: Any) -> TrainConfig:
    options = {"epochs": 3, "batch_size": 64, "val_split": 128, **kw.pop("overrides", {})}
    return TrainConfig(model="lenet5", dataset="synth-digits", out_dir=str(out), progress=False,
                       dataset_options={"size": 768}, overrides=options, **kw)


def weights(path: Path) -> dict[str, np.ndarray]:
    return load_checkpoint(path).model_state


def quiet(*_: Any) -> None:
    pass


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    a = run_training(small_config(tmp_path / "a", seed=3), log=quiet)
    b = run_training(small_config(tmp_path / "b", seed=3), log=quiet)
    c = run_training(small_config(tmp_path / "c", seed=4), log=quiet)
    wa, wb, wc = (weights(r.out_dir / "last.safetensors") for r in (a, b, c))
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])
    assert any(not np.array_equal(wa[k], wc[k]) for k in wa)


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    straight = run_training(small_config(tmp_path / "straight"), log=quiet)
    real_train_epoch = LoopTrainer.train_epoch

    def ctrl_c_in_third_epoch(self: Trainer, epoch: int, total: int) -> dict[str, Any]:
        if epoch == 2:
            raise KeyboardInterrupt
        return real_train_epoch(self, epoch, total)

    monkeypatch.setattr(LoopTrainer, "train_epoch", ctrl_c_in_third_epoch)
    with pytest.raises(TrainingInterrupted) as stop:
        run_training(small_config(tmp_path / "cut"), log=quiet)
    assert stop.value.epoch == 2 and stop.value.checkpoint == tmp_path / "cut" / "last.safetensors"
    assert load_checkpoint(stop.value.checkpoint).meta["epoch"] == 2
    monkeypatch.setattr(LoopTrainer, "train_epoch", real_train_epoch)
    cn.manual_seed(12345)                  # the resumed run must not depend on the global state
    cn.randn(10)
    resumed = run_training(small_config(tmp_path / "cut", resume=str(stop.value.checkpoint)), log=quiet)
    w1, w2 = weights(straight.out_dir / "last.safetensors"), weights(resumed.out_dir / "last.safetensors")
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k], err_msg=k)
    h1 = json.loads((straight.out_dir / "history.json").read_text())
    h2 = json.loads((resumed.out_dir / "history.json").read_text())
    assert [r["val_accuracy"] for r in h1] == [r["val_accuracy"] for r in h2]
    assert resumed.test.accuracy == straight.test.accuracy


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}

    def poisoned(logits: cn.Tensor, target: cn.Tensor) -> cn.Tensor:
        calls["n"] += 1
        loss = cn.nn.functional.cross_entropy(logits, target)
        # epoch 1: 10 training batches + 1 validation batch; call 14 is batch 3 of epoch 2
        return loss * float("nan") if calls["n"] == 14 else loss

    monkeypatch.setattr("convnet.train.run._loss_fn", lambda smoothing: poisoned)
    with pytest.raises(TrainingDiverged, match=r"the loss became nan at epoch 2, batch 3 of 10 "
                                               r"\(learning rate .*\).*lower learning rate"):
        run_training(small_config(tmp_path / "nan"), log=quiet)
    assert load_checkpoint(tmp_path / "nan" / "last.safetensors").meta["epoch"] == 1


def test_history_and_best_checkpoint(tmp_path: Path) -> None:
    result = run_training(small_config(tmp_path / "h"), log=quiet)
    history = json.loads((result.out_dir / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2, 3]
    csv_lines = (result.out_dir / "history.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,lr,train_loss") and len(csv_lines) == 4
    best = load_checkpoint(result.best_checkpoint).meta
    assert best["best_accuracy"] == max(r["val_accuracy"] for r in history)
    assert best["test"]["accuracy"] == result.test.accuracy
    assert best["dataset"]["classes"] == [str(i) for i in range(10)]
    metrics = json.loads((result.out_dir / "metrics.json").read_text())
    assert np.array(metrics["test"]["confusion_matrix"]).sum() == 768
