"""The model `convnet serve` shows when given no checkpoint.

1. Your latest `convnet train` result, if there is one: the newest finished run (``best.safetensors``
   next to ``metrics.json``) in a folder ``runs/*/`` under the current directory (where `convnet
   train` saves by default) whose model learned MNIST.
2. Otherwise a model trained once with `convnet train`'s default recipe (``mnist``: the small
   batch-norm CNN, about 99.5%, a minute or two) and kept in the user cache
   (``~/.cache/convnet/serve/``, or under ``$XDG_CACHE_HOME``). It is trained on MNIST when MNIST is
   already on this machine (``$CONVNET_DATA`` or the cache; nothing is downloaded) and on generated
   digits (synth-digits, 20,000 of them, with that dataset's recipe) otherwise. A run that was
   interrupted leaves no results file and is trained again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .. import data
from ..data.download import cache_dir
from ..io.checkpoint import CheckpointError, load_checkpoint
from ..train.recipes import choose_recipe
from ..train.run import RUNS_DIR, TrainConfig, run_training

SYNTH_SIZE = 20_000            # generated digits for the cached model when MNIST is not here


def digit_dataset() -> str:
    """"mnist" when its files are on this machine already, else "synth-digits" (generated, no download)."""
    try:
        data.get_dataset("mnist", train=False, download=False)
    except (ValueError, OSError):
        return "synth-digits"
    return "mnist"


def latest_run(runs: Path = RUNS_DIR) -> Path | None:
    """The best checkpoint of the newest finished MNIST run in ``runs/*/``, or None."""
    found = []
    for metrics in runs.glob("*/metrics.json"):
        best = metrics.parent / "best.safetensors"
        try:
            if best.is_file() and load_checkpoint(best).meta["dataset"]["name"] == "mnist":
                found.append((metrics.stat().st_mtime, best))
        except (CheckpointError, OSError, KeyError, TypeError):
            continue                    # not a convnet run, or damaged: not the user's model to show
    return max(found)[1] if found else None


def default_checkpoint(log: Callable[[str], None] = print, train_size: int | None = None,
                       epochs: int | None = None, runs: Path = RUNS_DIR) -> Path:
    """The checkpoint `convnet serve` uses without --checkpoint (see the module's docstring), with a
    message saying which; the cached model is trained first when there is none yet.

    `train_size` and `epochs` shorten that training (tests); the cache folder names them then.
    """
    mine = latest_run(runs)
    if mine is not None:
        test = json.loads((mine.parent / "metrics.json").read_text()).get("test", {})
        score = f", {test['accuracy']:.2%} of the MNIST test images right" if "accuracy" in test else ""
        log(f"Showing your latest training run: {mine}{score}. Pass --checkpoint to choose another.")
        return mine
    dataset = digit_dataset()
    recipe = choose_recipe(dataset)
    size = train_size or (SYNTH_SIZE if dataset == "synth-digits" else None)
    short = "".join(f"-{k}{v}" for k, v in (("n", train_size), ("e", epochs)) if v)
    folder = cache_dir() / "serve" / f"{recipe.model}-{dataset}-{recipe.name}{short}"
    best = folder / "best.safetensors"
    if best.is_file() and (folder / "metrics.json").is_file():
        log(f"Showing the cached {recipe.model} model ({best}); no training run of yours in {runs}/.")
        return best
    count = f"{size:,}" if size else "all the"
    log(f"No training run of yours in {runs}/ and no cached model yet: training {recipe.model} on {count} "
        f"{dataset} images with the {recipe.name} recipe ({epochs or recipe.epochs} epoch(s)), once. It is "
        f"saved in {folder} for next time.")
    options = {"size": size} if dataset == "synth-digits" else {}
    result = run_training(TrainConfig(dataset=dataset, out_dir=str(folder), download=False, train_size=size,
                                      overrides={"epochs": epochs}, dataset_options=options),
                          log=log)
    log(f"Trained: {result.test.accuracy:.1%} of the {dataset} test images right, in {result.seconds:.0f} s.")
    return result.best_checkpoint
