"""A briefly trained LeNet-5 shared by the ONNX tests (synthetic digits: no download)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trained import train_lenet


@pytest.fixture(scope="session")
def trained_lenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The best checkpoint of LeNet-5 after one epoch on 1,000 synthetic digits (a few seconds)."""
    out = tmp_path_factory.mktemp("lenet-run")
    return train_lenet(out, out / "cache", images=1000, epochs=1, val=200, batch_size=64).best_checkpoint
