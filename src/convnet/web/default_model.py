"""The model `convnet serve` shows when given no checkpoint: a small LeNet-5 for digits, trained once
and kept in the user cache (``~/.cache/convnet/serve/``, or under ``$XDG_CACHE_HOME``).

It is trained on MNIST when MNIST is already on this machine (``$CONVNET_DATA`` or the cache;
nothing is downloaded) and on generated digits (synth-digits) otherwise: 20,000 images, two
epochs, a minute or two. A run that was interrupted leaves no results file and is trained again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import data
from ..data.download import cache_dir
from ..train.run import TrainConfig, run_training


def digit_dataset() -> str:
    """"mnist" when its files are on this machine already, else "synth-digits" (generated, no download)."""
    try:
        data.get_dataset("mnist", train=False, download=False)
    except (ValueError, OSError):
        return "synth-digits"
    return "mnist"


def default_checkpoint(log: Callable[[str], None] = print, train_size: int = 20_000, epochs: int = 2) -> Path:
    """The cached digit model's checkpoint, trained first (with a message) when there is none yet."""
    dataset = digit_dataset()
    folder = cache_dir() / "serve" / f"lenet5-{dataset}"
    best = folder / "best.safetensors"
    if best.is_file() and (folder / "metrics.json").is_file():
        return best
    log(f"No cached model yet: training LeNet-5 on {train_size:,} {dataset} images for {epochs} epoch(s), once. "
        f"It is saved in {folder} for next time.")
    options = {"size": train_size} if dataset == "synth-digits" else {}
    result = run_training(TrainConfig(model="lenet5", dataset=dataset, out_dir=str(folder), download=False,
                                      train_size=train_size, overrides={"epochs": epochs}, dataset_options=options),
                          log=log)
    log(f"Trained: {result.test.accuracy:.1%} of the {dataset} test images right, in {result.seconds:.0f} s.")
    return result.best_checkpoint
