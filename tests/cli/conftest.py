"""A small trained digit model shared by the CLI tests (real MNIST when available)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trained import real_mnist, train_lenet


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder shared by the CLI tests, so synthetic digits are generated once."""
    return tmp_path_factory.getbasetemp() / "cache"


@pytest.fixture(scope="session")
def digit_checkpoint(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """LeNet-5 after 2 epochs on 20,000 MNIST images (~98%), or on synthetic digits offline."""
    return train_lenet(tmp_path_factory.mktemp("digit-model"), shared_cache, images=20000, epochs=2, val=1000,
                       real=real_mnist()).best_checkpoint
