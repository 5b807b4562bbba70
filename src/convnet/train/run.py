"""A whole training run from a handful of options: what `convnet train` calls.

`TrainConfig` names a recipe (or lets the dataset and model choose one from the table in
`recipes.py`), the model and dataset, and may override any field of the recipe.
`run_training` loads the data, holds out a validation split, builds the model, trains with
`Trainer`, then evaluates the best epoch's weights on the test split and writes the results
(with the resolved recipe) next to the checkpoints.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import data, models, optim
from .. import random as cn_random
from ..data import transforms as T
from ..errors import ConvnetFileError, OptionError, ShapeError
from ..io.atomic import atomic_write_text
from ..io.checkpoint import load_checkpoint, save_checkpoint
from ..nn import functional as F
from .loop import TTA_MODES, Trainer, evaluate
from .metrics import ClassificationMetrics
from .recipes import Recipe, choose_recipe

DIGIT_DATASETS = ("mnist", "kmnist", "synth-digits")
RUNS_DIR = Path("runs")          # where runs go by default, relative to the current folder


def default_recipe(dataset: str) -> Recipe:
    """The recipe `convnet train --dataset DATASET` starts from (see `convnet.train.recipes`)."""
    return choose_recipe(dataset)


@dataclass
class TrainConfig:
    """One run: the recipe, the model and data, where results go, and any recipe overrides.

    `model` and `dataset` left as None are the recipe's; `recipe_name` None chooses the recipe
    from the dataset and model (`convnet.train.recipes.choose_recipe`).
    """

    model: str | None = None
    dataset: str | None = None
    recipe_name: str | None = None
    data_dir: str | None = None
    download: bool = True
    out_dir: str | None = None
    seed: int = 0
    resume: str | None = None
    progress: bool = True
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    train_size: int | None = None      # use only the first N training images (quick runs)
    dataset_options: dict[str, Any] = field(default_factory=dict)   # e.g. {"size": 2048} for synth-digits

    def recipe(self) -> Recipe:
        """The resolved recipe: the chosen one with this run's model, dataset and overrides, checked."""
        recipe = choose_recipe(self.dataset, self.model, self.recipe_name).with_options(**self.overrides)
        check_options(self, recipe)
        return recipe

    def given(self, option: str) -> bool:
        """Whether the recipe option `option` was set by the user (not the recipe's default)."""
        return self.overrides.get(option) is not None


OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("onecycle", "cosine", "step", "constant")
AUGMENTS = ("none", "digits", "shift-flip", "crop-flip")


def _flag(name: str) -> str:
    """The command-line spelling of a recipe or config field: val_split -> --val-split."""
    return "--" + name.replace("_", "-")


def _whole(value: Any, name: str, minimum: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OptionError(f"{_flag(name)} must be a whole number of at least {minimum} ({what}), got {value!r}")


def _number(value: Any, name: str, low: float, high: float | None, what: str, *, low_open: bool = False,
            high_open: bool = True) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
          and (value > low if low_open else value >= low)
          and (high is None or (value < high if high_open else value <= high)))
    if not ok:
        if high is None:
            span = f"greater than {low:g}" if low_open else f"at least {low:g}"
        else:
            span = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise OptionError(f"{_flag(name)} must be a finite number {span} ({what}), got {value!r}")


def check_options(config: TrainConfig, recipe: Recipe) -> None:
    """Every option of a run in its allowed range, before any data is loaded.

    Errors name the option as the command line spells it (``--val-split``) and its range; the checks
    that need the data's size are in `check_sizes`.

    >>> TrainConfig(overrides={"epochs": 0}).recipe()
    Traceback (most recent call last):
    ...
    convnet.errors.OptionError: --epochs must be a whole number of at least 1 (passes over the training data), got 0
    """
    _whole(recipe.epochs, "epochs", 1, "passes over the training data")
    _whole(recipe.batch_size, "batch_size", 1, "images per training step")
    _whole(recipe.val_split, "val_split", 0, "training images held out for validation; 0 for none")
    _number(recipe.lr, "lr", 0.0, None, "the peak learning rate, e.g. 0.004 for adam, 0.1 for sgd",
            low_open=True)
    _number(recipe.weight_decay, "weight_decay", 0.0, None, "0 for none, typically 1e-4 to 5e-4")
    _number(recipe.momentum, "momentum", 0.0, 1.0, "0 for none, typically 0.9")
    _number(recipe.label_smoothing, "label_smoothing", 0.0, 1.0, "0 for none, typically 0.1")
    for name, value, allowed in (("optimizer", recipe.optimizer, OPTIMIZERS),
                                 ("schedule", recipe.schedule, SCHEDULES), ("augment", recipe.augment, AUGMENTS)):
        if not isinstance(value, str) or value.lower() not in allowed:
            raise OptionError(f"{_flag(name)} must be one of {', '.join(allowed)}, got {value!r}")
    if recipe.tta not in TTA_MODES:
        raise OptionError(f"--tta must be one of {', '.join(TTA_MODES)} (flip: score each test image with its "
                          f"mirror image, for data a mirror does not change), got {recipe.tta!r}")
    if config.train_size is not None:
        _whole(config.train_size, "train_size", 1, "the first N training images are used")
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or config.seed < 0:
        raise OptionError(f"--seed must be a whole number of at least 0, got {config.seed!r}")
    if config.given("momentum") and recipe.optimizer.lower() in ("adam", "adamw"):
        raise OptionError(f"--momentum {recipe.momentum:g} has no effect with --optimizer {recipe.optimizer} "
                          "(Adam's running averages are fixed by its betas): drop --momentum, or choose "
                          "--optimizer sgd or rmsprop")


def check_sizes(config: TrainConfig, recipe: Recipe, available: int) -> int:
    """The number of validation images, once the training split's size (`available`) is known.

    An explicit --train-size must not exceed the data and an explicit --val-split must leave at
    least one batch to train on; the default split (up to 5,000 images) is at most a fifth of the data.
    """
    n = available
    if config.train_size is not None:
        if config.train_size > available:
            raise OptionError(f"--train-size {config.train_size:,} is more than the {available:,} training "
                              f"images of {recipe.dataset}: use at most {available:,}, or leave it out")
        n = config.train_size
    if config.given("val_split"):
        if recipe.val_split > n - recipe.batch_size:
            raise OptionError(
                f"--val-split {recipe.val_split:,} leaves {max(n - recipe.val_split, 0):,} of {n:,} training "
                f"images, less than one batch (--batch-size {recipe.batch_size}): use --val-split between 0 and "
                f"{max(n - recipe.batch_size, 0):,}, or a smaller --batch-size")
        val_n = recipe.val_split
    else:
        val_n = min(recipe.val_split, n // 5)
    if n - val_n < recipe.batch_size:
        raise OptionError(
            f"{n:,} training images ({n - val_n:,} after holding out {val_n:,} for validation) are less than "
            f"one batch (--batch-size {recipe.batch_size}): use a larger --train-size or a smaller --batch-size")
    return val_n


@dataclass
class RunResult:
    out_dir: Path
    best_checkpoint: Path
    test: ClassificationMetrics
    seconds: float
    epochs: int
    history: list[dict[str, Any]]
    dataset: str
    model: Any = None                  # the best epoch's model, in eval mode
    test_data: Any = None              # the test split it was scored on
    meta: dict[str, Any] = field(default_factory=dict)   # the best checkpoint's metadata
    recipe: Recipe | None = None       # the resolved recipe it was trained with


def image_style(dataset: str) -> str:
    """How `convnet predict` should prepare a user's image for a model trained on `dataset`."""
    if dataset in DIGIT_DATASETS:
        return "digits"
    return "objects" if dataset == "fashion-mnist" else "photo"


def train_transform(augment: str, mean: list[float], std: list[float]) -> T.Transform:
    steps: dict[str, list[T.Transform]] = {
        "none": [],
        "digits": [T.RandomAffine(degrees=8, translate=(0.08, 0.08), scale=(0.92, 1.08))],
        "shift-flip": [T.RandomShift(2), T.RandomHorizontalFlip()],
        "crop-flip": [T.RandomCrop(None, padding=4), T.RandomHorizontalFlip()],
    }
    if augment not in steps:
        raise OptionError(f"augment must be one of {', '.join(steps)}, got {augment!r}")
    return T.Compose([*steps[augment], T.ToFloat(), T.Normalize(mean, std)])


def eval_transform(mean: list[float], std: list[float]) -> T.Transform:
    return T.Compose([T.ToFloat(), T.Normalize(mean, std)])


def build_optimizer(recipe: Recipe, params: Any) -> Any:
    name = recipe.optimizer.lower()
    if name == "adam":
        return optim.Adam(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    if name == "sgd":
        return optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.momentum > 0,
                         weight_decay=recipe.weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=recipe.lr, momentum=recipe.momentum,
                             weight_decay=recipe.weight_decay)
    raise OptionError(f"optimizer must be adam, adamw, sgd or rmsprop, got {recipe.optimizer!r}")


def build_scheduler(recipe: Recipe, optimizer: Any, steps_per_epoch: int) -> tuple[Any, str]:
    """The learning-rate schedule and whether it steps per 'batch' or per 'epoch'."""
    name = recipe.schedule.lower()
    total = recipe.epochs * steps_per_epoch
    if name == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=total), "batch"
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total), "batch"
    if name == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(recipe.epochs // 3, 1), gamma=0.1), "epoch"
    if name == "constant":
        return None, "epoch"
    raise OptionError(f"schedule must be onecycle, cosine, step or constant, got {recipe.schedule!r}")


def model_arguments(name: str, ds: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """Construction arguments fitting the model to the data: classes, channels, input size."""
    kwargs = {"num_classes": ds.num_classes, "in_channels": ds.in_channels, **extra}
    if "input_size" in inspect.signature(models.info(name).builder).parameters and "input_size" not in extra:
        kwargs["input_size"] = ds.image_size[0]          # lenet5, mnist-bn: sized for the data
    return kwargs


def dataset_meta(name: str, ds: Any) -> dict[str, Any]:
    return {"name": name, "classes": list(ds.classes), "mean": [float(m) for m in ds.mean],
            "std": [float(s) for s in ds.std], "in_channels": int(ds.in_channels),
            "image_size": [int(v) for v in ds.image_size], "style": image_style(name)}


def unique_dir(base: Path) -> Path:
    """`base`, or base-2, base-3, ... if it already holds a run."""
    if not (base / "last.safetensors").exists():
        return base
    k = 2
    while (base.parent / f"{base.name}-{k}" / "last.safetensors").exists():
        k += 1
    return base.parent / f"{base.name}-{k}"


def check_out_dir(out_dir: Path) -> None:
    """Fail before any data is loaded if the run's results could not be saved in `out_dir`.

    Creates the missing folders and a probe file, then removes what it created, so a run that
    stops later for another reason leaves nothing behind.
    """
    created: list[Path] = []
    probe = None
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(0, "it is a file, not a folder")
        for folder in [*reversed(out_dir.parents), out_dir]:
            if not folder.exists():
                folder.mkdir()
                created.append(folder)
        fd, probe = tempfile.mkstemp(prefix=".convnet-write-check.", dir=out_dir)
        os.close(fd)
    except OSError as e:
        why = e.strerror or str(e)
        raise ConvnetFileError(f"--out {out_dir}: cannot save the run there ({why}); nothing was trained. Choose a "
                               "folder you can write to with --out DIR") from None
    finally:
        if probe is not None:
            Path(probe).unlink(missing_ok=True)
        for folder in reversed(created):
            folder.rmdir()


def output_dir(config: TrainConfig, recipe: Recipe) -> Path:
    """Where the run's results go: --out, else the resumed run's folder, else runs/MODEL-DATASET
    in the current folder (runs/MODEL-DATASET-2, ... when that already holds a run)."""
    if config.out_dir:
        return Path(config.out_dir)
    if config.resume:
        return Path(config.resume).parent
    return unique_dir(RUNS_DIR / f"{recipe.model}-{recipe.dataset}")


def run_training(config: TrainConfig, log: Any = print) -> RunResult:
    """Train the recipe's model on its dataset; returns where the results are and the test score.

    ``RunResult.seconds`` is the training time: from loading the data to the end of the last
    epoch, the per-epoch validation not counted (``meta["timing"]`` and metrics.json split it up).
    """
    recipe = config.recipe()
    if config.resume:
        previous = load_checkpoint(config.resume).meta
        config.seed = previous.get("train_config", {}).get("seed", config.seed)
    out_dir = output_dir(config, recipe)
    check_out_dir(out_dir)
    cn_random.manual_seed(config.seed)
    began = time.perf_counter()
    train_full = data.get_dataset(recipe.dataset, train=True, root=config.data_dir,
                                  download=config.download, **config.dataset_options)
    test = data.get_dataset(recipe.dataset, train=False, root=config.data_dir, download=config.download,
                            **config.dataset_options)
    val_n = check_sizes(config, recipe, len(train_full))
    if config.train_size is not None:
        train_full = data.Subset(train_full, range(config.train_size))
    n = len(train_full)
    train, val = (data.random_split(train_full, [n - val_n, val_n], seed=config.seed) if val_n
                  else (train_full, None))
    load_seconds = time.perf_counter() - began
    info = test                                      # dataset facts: classes, mean/std, shape
    mean, std = list(info.mean), list(info.std)
    train_loader = data.DataLoader(train, batch_size=recipe.batch_size, shuffle=True, drop_last=True,
                                   seed=config.seed, transform=train_transform(recipe.augment, mean, std))
    eval_tf = eval_transform(mean, std)
    val_loader = data.DataLoader(val, batch_size=500, transform=eval_tf) if val is not None else None
    test_loader = data.DataLoader(test, batch_size=500, transform=eval_tf)
    kwargs = model_arguments(recipe.model, info, {**recipe.model_options, **config.model_kwargs})
    model = models.create(recipe.model, **kwargs)
    _dry_run(model, info, recipe.model)
    optimizer = build_optimizer(recipe, model.parameters())
    scheduler, per = build_scheduler(recipe, optimizer, len(train_loader))
    meta = {"model": model.spec, "dataset": dataset_meta(recipe.dataset, info),
            "recipe": asdict(recipe), "train_config": asdict(config)}
    trainer = Trainer(model, optimizer, train_loader, val_loader, scheduler, per,
                      loss_fn=_loss_fn(recipe.label_smoothing), out_dir=out_dir, meta=meta,
                      progress=config.progress, log=log, tta=recipe.tta)
    if config.resume:
        done = trainer.resume(config.resume)
        log(f"resuming from {config.resume} after epoch {done} of {recipe.epochs}")
    earlier = len(trainer.history)
    trainer.fit(recipe.epochs)
    validation = sum(row.get("val_seconds", 0.0) for row in trainer.history[earlier:])
    seconds = time.perf_counter() - began - validation
    timing = {"seconds": seconds, "data_loading_seconds": load_seconds, "validation_seconds": validation,
              "epochs_run": len(trainer.history) - earlier}
    best = load_checkpoint(trainer.best_path)
    model.load_state_dict(best.model_state)
    test_metrics = evaluate(model, test_loader, tta=recipe.tta)
    result = test_metrics.as_dict(info.classes)
    best.meta["test"] = {k: result[k] for k in ("loss", "accuracy", "top5_accuracy", "count")}
    if recipe.tta != "none":                 # the same model scored image by image, for comparison
        result["accuracy_without_tta"] = best.meta["test"]["accuracy_without_tta"] = \
            evaluate(model, test_loader).accuracy
    best.meta["timing"] = timing
    save_checkpoint(trainer.best_path, model, None, best.meta)
    atomic_write_text(out_dir / "metrics.json", json.dumps({"test": result, **timing, "epochs": recipe.epochs,
                                                            "recipe": asdict(recipe)}, indent=1))
    model.eval()
    return RunResult(out_dir, trainer.best_path, test_metrics, seconds, recipe.epochs, trainer.history,
                     recipe.dataset, model, test, best.meta, recipe)


def _loss_fn(label_smoothing: float) -> Any:
    if not label_smoothing:
        return F.cross_entropy
    return lambda logits, target: F.cross_entropy(logits, target, label_smoothing=label_smoothing)


def _dry_run(model: Any, ds: Any, name: str) -> None:
    """One forward pass on a single blank image, so that a model too large or too small for the
    data fails now, with the layer and the numbers, not after loading everything."""
    import numpy as np

    from .._tensor import Tensor
    from ..autograd import no_grad
    from ..nn.utils import layer_trace

    c, (h, w) = ds.in_channels, ds.image_size
    model.eval()
    try:
        with no_grad(), layer_trace(model):
            model(Tensor(np.zeros((1, c, h, w), np.float32)))
    except ValueError as e:
        raise ShapeError(f"model {name} does not fit {c}x{h}x{w} images: {e}") from None
    finally:
        model.train()
