"""Small models trained once per test session, for tests that need a model that has learned something."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convnet.train.run import RunResult, TrainConfig, run_training


def real_mnist() -> bool:
    """Whether CONVNET_DATA holds MNIST (tests then train on it; else on synthetic digits)."""
    root = os.environ.get("CONVNET_DATA")
    return bool(root) and (Path(root) / "mnist").is_dir()


def train_lenet(out: Path, cache: Path, *, images: int, epochs: int, val: int, batch_size: int = 128,
                real: bool = False) -> RunResult:
    """LeNet-5 trained on `images` digits (MNIST if `real`, else generated ones, cached in
    `cache`); the user's cache is never touched."""
    config = TrainConfig(model="lenet5", dataset="mnist" if real else "synth-digits", out_dir=str(out),
                         progress=False, train_size=images,
                         overrides={"epochs": epochs, "val_split": val, "batch_size": batch_size},
                         dataset_options={} if real else {"size": images})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        return run_training(config, log=lambda *_: None)
