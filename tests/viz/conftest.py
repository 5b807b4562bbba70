"""A briefly trained LeNet-5 for the viz tests (real MNIST when CONVNET_DATA has it, else synthetic digits)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trained import real_mnist, train_lenet

from convnet.train.run import RunResult
from convnet.viz.report import training_report

REAL_MNIST = real_mnist()


@pytest.fixture(scope="session")
def viz_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the session, so synthetic digits are generated once."""
    return tmp_path_factory.mktemp("viz-cache")


@pytest.fixture(autouse=True)
def _cache_in_tmp(viz_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated data goes to the session's cache, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(viz_cache))


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, viz_cache: Path) -> RunResult:
    """LeNet-5 after 2 epochs on 4,000 images: good enough to have learned edges and strokes."""
    result = train_lenet(tmp_path_factory.mktemp("viz-model"), viz_cache, images=4000, epochs=2, val=800,
                         real=REAL_MNIST)
    # what `convnet train` does next: the pictures of the run, next to the checkpoint
    result.report = training_report(result.out_dir, result.model, result.test_data, result.history,
                                    result.meta, confusion=result.test.confusion)
    return result
