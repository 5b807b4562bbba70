"""A small trained digit model shared by the CLI tests (real MNIST when available)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convnet.train.run import TrainConfig, run_training


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder shared by the CLI tests, so synthetic digits are generated once."""
    return tmp_path_factory.getbasetemp() / "cache"


@pytest.fixture(scope="session")
def digit_checkpoint(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """LeNet-5 after 2 epochs on 20,000 MNIST images (~98%), or on synthetic digits offline."""
    real = bool(os.environ.get("CONVNET_DATA")) and (Path(os.environ["CONVNET_DATA"]) / "mnist").is_dir()
    out = tmp_path_factory.mktemp("digit-model")
    config = TrainConfig(model="lenet5", dataset="mnist" if real else "synth-digits", out_dir=str(out),
                         progress=False, train_size=20000, overrides={"epochs": 2, "val_split": 1000},
                         dataset_options={} if real else {"size": 20000})
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(shared_cache)
    try:
        result = run_training(config, log=lambda *_: None)
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME")
        else:
            os.environ["XDG_CACHE_HOME"] = old
    return result.best_checkpoint
