"""A briefly trained LeNet-5 shared by the ONNX tests (synthetic digits: no download)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convnet.train.run import TrainConfig, run_training


@pytest.fixture(scope="session")
def trained_lenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The best checkpoint of LeNet-5 after one epoch on 800 synthetic digits (a few seconds)."""
    out = tmp_path_factory.mktemp("lenet-run")
    config = TrainConfig(model="lenet5", dataset="synth-digits", data_dir=str(out / "data"), out_dir=str(out),
                         progress=False, overrides={"epochs": 1, "val_split": 200, "batch_size": 64},
                         dataset_options={"size": 1000})
    return run_training(config, log=lambda *_: None).best_checkpoint
