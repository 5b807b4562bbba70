"""`convnet train` and `convnet evaluate`."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import UserError, friendly, main


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m {s:02d}s" if m else f"{seconds:.1f}s"


def _dataset_available(name: str, data_dir: str | None, download: bool) -> str | None:
    """None if `name` can be loaded, else the reason it cannot."""
    from ..data import DatasetError, get_dataset

    try:
        get_dataset(name, train=False, root=data_dir, download=download)
        return None
    except DatasetError as e:
        return str(e)


class _TrainCommand(click.Command):
    """`convnet train`, whose --help ends with the table of recipes (read only when help is shown)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from ..train.recipes import RECIPES

        width = max(len(name) for name in RECIPES)
        formatter.write_paragraph()
        formatter.write_text("Recipes (--recipe NAME; see docs/TRAINING.md for what each reaches):")
        with formatter.indentation():
            for name, recipe in RECIPES.items():
                formatter.write(f"{'':{formatter.current_indent}}{name:<{width}}  {recipe.about}\n")
                formatter.write(f"{'':{formatter.current_indent}}{'':<{width}}  {_recipe_line(recipe)}\n")


def _recipe_line(recipe: Any) -> str:
    """One line of a recipe's settings: 'mnist-bn on mnist, 6 epochs, adam lr 0.004 (onecycle), ...'."""
    options = "".join(f" {k} {','.join(map(str, v)) if isinstance(v, list | tuple) else v}"
                      for k, v in recipe.model_options.items())
    model = f"{recipe.model} ({options.strip()})" if options else recipe.model
    return (f"{model} on {recipe.dataset}, {recipe.epochs} epoch{'' if recipe.epochs == 1 else 's'}, "
            f"{recipe.optimizer} lr {recipe.lr:g} ({recipe.schedule}), batch {recipe.batch_size}, "
            f"augment {recipe.augment}" + (f", label smoothing {recipe.label_smoothing:g}"
                                           if recipe.label_smoothing else "")
            + (f", test-time {recipe.tta}" if recipe.tta != "none" else ""))


@main.command(cls=_TrainCommand)
@click.option("--recipe", "-r", "recipe_name", default=None, metavar="NAME",
              help="Start from this recipe (listed below); every other flag replaces one of its fields.  "
                   "[default: the dataset's recipe, or the one for --model on that dataset]")
@click.option("--model", "-m", default=None, help="Model name (see `convnet models`).  [default: the recipe's]")
@click.option("--dataset", "-d", default=None,
              help="mnist, fashion-mnist, kmnist, cifar10 or synth-digits.  [default: the recipe's; mnist]")
@click.option("--epochs", "-e", type=int, default=None, help="Epochs (default: the recipe's).")
@click.option("--batch-size", "-b", type=int, default=None, help="Batch size.")
@click.option("--optimizer", type=click.Choice(["adam", "adamw", "sgd", "rmsprop"]), default=None,
              help="Optimizer.")
@click.option("--lr", type=float, default=None, help="(Peak) learning rate.")
@click.option("--schedule", type=click.Choice(["onecycle", "cosine", "step", "constant"]), default=None,
              help="Learning-rate schedule.")
@click.option("--weight-decay", type=float, default=None, help="Weight decay.")
@click.option("--momentum", type=float, default=None,
              help="Momentum, in [0, 1) (sgd and rmsprop only; an error with adam).")
@click.option("--augment", type=click.Choice(["none", "digits", "shift-flip", "crop-flip"]), default=None,
              help="Training-time augmentation.")
@click.option("--label-smoothing", type=float, default=None, help="Label smoothing for the loss.")
@click.option("--tta", type=click.Choice(["none", "flip"]), default=None,
              help="Test-time augmentation: flip scores each validation and test image together with its "
                   "mirror image (the mean of the two probabilities); predict and serve do the same.")
@click.option("--val-split", type=int, default=None,
              help="Training images held out for validation (choosing the best epoch); 0 for none.  "
                   "[default: the recipe's, at most a fifth of the data]")
@click.option("--train-size", type=int, default=None, help="Use only the first N training images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same weights).")
@click.option("--out", "-o", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder.  [default: runs/MODEL-DATASET]")
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="Folder holding mnist/, fashion-mnist/, ... (else $CONVNET_DATA, the cache, a download). "
                   "A dataset missing there is an error, never replaced by synthetic digits.")
@click.option("--no-download", is_flag=True, help="Never try to download data.")
@click.option("--resume", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Continue from a last.safetensors checkpoint.")
@click.option("--no-progress", is_flag=True, help="No live progress bar (one line per epoch only).")
@friendly
def train(recipe_name: str | None, model: str | None, dataset: str | None, epochs: int | None,
          batch_size: int | None, optimizer: str | None, lr: float | None, schedule: str | None,
          weight_decay: float | None, momentum: float | None, augment: str | None,
          label_smoothing: float | None, tta: str | None, val_split: int | None, train_size: int | None, seed: int,
          out_dir: str | None, data_dir: str | None, no_download: bool, resume: str | None,
          no_progress: bool) -> None:
    """Train a CNN, then report its test accuracy. With no options: the `mnist` recipe (a small
    batch-norm CNN on MNIST); `--recipe lenet5` or `--model lenet5` trains LeNet-5.

    A recipe is a named set of defaults (model, dataset, epochs, optimizer, learning rate,
    schedule, batch size, augmentation, label smoothing); each flag replaces one of them, and
    the run's metrics.json and checkpoints record the resolved recipe.

    With neither --dataset nor --data-dir, if MNIST cannot be found or downloaded, it trains
    on synth-digits (digits convnet draws itself) and says so, before and after training.
    A dataset named with --dataset, or looked for in --data-dir, must be found: else an error
    lists where it looked. --data-dir or CONVNET_DATA point it at real data.
    """
    from ..train import TrainingDiverged, TrainingInterrupted
    from ..train.run import TrainConfig, check_out_dir, output_dir, run_training

    overrides = {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer, "lr": lr,
                 "schedule": schedule, "weight_decay": weight_decay, "momentum": momentum,
                 "augment": augment, "label_smoothing": label_smoothing, "val_split": val_split, "tta": tta}
    config = TrainConfig(model=model, dataset=dataset, recipe_name=recipe_name, data_dir=data_dir,
                         download=not no_download, out_dir=out_dir, seed=seed, resume=resume,
                         progress=not no_progress, overrides=overrides, train_size=train_size)
    resumed_after = 0
    if resume:
        _restore_options(config, resume)
        from ..train import load_checkpoint

        resumed_after = int(load_checkpoint(resume).meta.get("epoch", 0))
    recipe = config.recipe()             # bad options are reported before any data is looked for
    check_out_dir(output_dir(config, recipe))   # and an --out that cannot be written, before the banner
    fallback = None
    if dataset is None and data_dir is None and not resume and recipe.dataset == "mnist":
        reason = _dataset_available("mnist", data_dir, not no_download)
        if reason is not None:
            how = "downloads are off (--no-download)" if no_download else "the download failed"
            fallback = (f"MNIST is not available here (not in $CONVNET_DATA or the cache, and {how}): "
                        "training on synth-digits, digits convnet draws itself, instead. Point --data-dir "
                        "or CONVNET_DATA at a folder holding mnist/ to use real MNIST.")
            click.secho(fallback, fg="yellow", err=True)
            config.dataset = "synth-digits"
            recipe = config.recipe()
    click.echo(f"convnet train: recipe {recipe.name}: {_recipe_line(recipe)}, seed {config.seed}")
    try:
        result = run_training(config, log=click.echo)
    except TrainingInterrupted as stop:
        where = f"; resume with: convnet train --resume {stop.checkpoint}" if stop.checkpoint else ""
        click.secho(f"\nstopped by Ctrl-C after {stop.epoch} complete epoch(s){where}", fg="yellow", err=True)
        sys.exit(130)
    except TrainingDiverged as e:
        raise UserError(str(e)) from None
    t = result.test
    click.echo("")
    click.secho(f"Test accuracy: {100 * t.accuracy:.2f}% (top-5 {100 * t.top5_accuracy:.2f}%) on "
                f"{t.total:,} {result.dataset} test images", bold=True)
    plain = result.meta.get("test", {}).get("accuracy_without_tta")
    if plain is not None:
        click.echo(f"               (each image scored together with its mirror image, --tta flip; "
                   f"{100 * plain:.2f}% without)")
    timing = result.meta.get("timing", {})
    click.echo(f"Training time: {_duration(result.seconds)} for {_epochs_run(result.epochs, resumed_after)} "
               f"(loading the data {timing.get('data_loading_seconds', 0.0):.1f}s included; validation and "
               "testing not counted)")
    click.echo(f"Checkpoint:    {result.best_checkpoint}  (history and metrics in {result.out_dir}/)")
    from ..viz.report import training_report

    report = training_report(result.out_dir, result.model, result.test_data, result.history, result.meta,
                             confusion=result.test.confusion)
    for path in report.paths:
        click.echo(f"Pictures:      {path}")
    for note in report.notes:
        click.secho(note, fg="yellow", err=True)
    click.echo(f"Try it:        convnet predict {result.best_checkpoint} your-image.png")
    if fallback is not None:
        click.secho("\nNote: this model learned synth-digits (generated digits), not MNIST, because MNIST "
                    "was not found; its accuracy is not an MNIST score. Pass --data-dir DIR (DIR/mnist/ "
                    "holding the MNIST files) or set CONVNET_DATA to train on real MNIST.",
                    fg="yellow", bold=True, err=True)


def _epochs_run(total: int, resumed_after: int) -> str:
    """'8 epochs', or after --resume only those this run trained: '5 epochs (6 to 8 of 8; ...)'."""
    ran = total - resumed_after
    text = f"{ran} epoch{'' if ran == 1 else 's'}"
    if resumed_after:
        text += (f" ({resumed_after + 1} to {total} of {total}; the first {resumed_after} ran before --resume)"
                 if ran else f" (all {total} had run before --resume)")
    return text


def _restore_options(config: Any, resume: str) -> None:
    """A resumed run keeps the model, data and recipe it was started with."""
    from ..train import load_checkpoint

    saved = load_checkpoint(resume).meta.get("train_config", {})
    for key in ("recipe_name", "model", "dataset", "seed", "model_kwargs", "train_size"):
        if key in saved:
            setattr(config, key, saved[key])
    config.overrides = {**saved.get("overrides", {}),
                        **{k: v for k, v in config.overrides.items() if v is not None}}


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--dataset", "-d", default=None, help="Dataset to evaluate on (default: the one it was trained on).")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Folder holding the data.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--tta", type=click.Choice(["none", "flip"]), default=None,
              help="Test-time augmentation (flip: each image with its mirror image).  [default: the recipe's]")
@friendly
def evaluate(checkpoint: str, dataset: str | None, split: str, data_dir: str | None, as_json: bool,
             tta: str | None) -> None:
    """Accuracy, per-class accuracy and the confusion matrix of a checkpoint."""
    from .. import data
    from ..train import evaluate as run_eval
    from ..train import tta_of
    from ..train.run import eval_transform
    from .predict import load_model

    model, meta = load_model(checkpoint)
    tta = tta or tta_of(meta)
    name = dataset or meta["dataset"]["name"]
    ds = data.get_dataset(name, train=split == "train", root=data_dir)
    ds_meta = meta["dataset"]
    loader = data.DataLoader(ds, batch_size=500, transform=eval_transform(ds_meta["mean"], ds_meta["std"]))
    metrics = run_eval(model, loader, tta=tta).as_dict(ds_meta["classes"])
    smoothing = float(meta.get("recipe", {}).get("label_smoothing", 0.0) or 0.0)
    if as_json:
        click.echo(json.dumps({"checkpoint": checkpoint, "dataset": name, "split": split, **metrics,
                               "train_label_smoothing": smoothing, "tta": tta}))
        return
    loss_note = (f" (plain cross-entropy: training used label smoothing {smoothing:g}, so its losses are higher)"
                 if smoothing else "") + ("; each image scored together with its mirror image (--tta flip; "
                                          "--tta none scores it once)" if tta == "flip" else "")
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{100 * metrics['accuracy']:.2f}%[/] top-1, {100 * metrics['top5_accuracy']:.2f}% "
                  f"top-5, loss {metrics['loss']:.4f} on {metrics['count']:,} {name} {split} images{loss_note}")
    table = Table("class", "accuracy", "confusion (rows: true, columns: predicted)", box=None)
    for (cls, acc), row in zip(metrics["per_class_accuracy"].items(), metrics["confusion_matrix"], strict=True):
        table.add_row(cls, f"{100 * acc:.2f}%", " ".join(f"{v:5d}" for v in row))
    console.print(table)

