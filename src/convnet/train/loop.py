"""The training loop: epochs with a progress bar, validation, history, checkpoints, resuming.

`Trainer.fit` runs whole epochs. After each one it validates, appends a row to the
history (``history.json`` and ``history.csv``) and writes ``last.safetensors`` (and
``best.safetensors`` when validation accuracy improves), atomically. A run resumed from
``last.safetensors`` continues bit for bit as if it had never stopped: the checkpoint
holds the optimizer's and scheduler's state and convnet's RNG state, and the data
loader's order and augmentation depend only on (seed, epoch).

Ctrl-C stops at once and leaves the last complete epoch's checkpoint in place; a loss
that becomes NaN or infinite stops the run with `TrainingDiverged`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import random as cn_random
from .._tensor import Tensor
from ..autograd import no_grad
from ..errors import ConvnetError, ConvnetFileError, ConvnetValueError, OptionError
from ..io.atomic import atomic_write_text
from ..io.checkpoint import load_checkpoint, save_checkpoint
from ..nn import functional as F
from .metrics import ClassificationMetrics


class TrainingDiverged(ConvnetError, RuntimeError):
    """The loss became NaN or infinite: the run stopped instead of training on garbage."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``checkpoint`` is the last complete epoch's file (or None)."""

    def __init__(self, epoch: int, checkpoint: Path | None) -> None:
        super().__init__(epoch, checkpoint)
        self.epoch, self.checkpoint = epoch, checkpoint


def _logits(output: Any) -> Tensor:
    """The main output of a model that may also return auxiliary ones (GoogLeNet)."""
    return output[0] if isinstance(output, tuple) else output


# test-time augmentation: "flip" classifies each image and its mirror image and averages the two
# probability vectors; for data whose classes survive a left-right flip (clothes, objects), trained
# with flips. Not for digits or letters, which a mirror changes.
TTA_MODES = ("none", "flip")


def check_tta(tta: Any) -> str:
    if tta not in TTA_MODES:
        raise OptionError(f"tta must be 'none' or 'flip' (test-time augmentation: 'flip' averages the class "
                          f"probabilities of each image and its mirror image), got {tta!r}")
    return str(tta)


def predict_logits(model: Any, images: Tensor, tta: str = "none") -> Tensor:
    """The scores a model gives a batch, whose softmax is its class probabilities: the model's
    (main) output, or with ``tta="flip"`` the log of the mean of the probabilities it gives each
    image and its mirror image. Call it in eval mode without gradients, as `evaluate` does.

    >>> import convnet as cn
    >>> net = cn.nn.Sequential(cn.nn.Flatten(), cn.nn.Linear(4, 3)).eval()
    >>> x = cn.randn(2, 1, 2, 2)
    >>> both = F.softmax(net(x), dim=1).numpy() + F.softmax(net(cn.tensor(x.numpy()[..., ::-1].copy())), dim=1).numpy()
    >>> bool(np.allclose(F.softmax(predict_logits(net, x, "flip"), dim=1).numpy(), both / 2, atol=1e-6))
    True
    """
    logits = _logits(model(images))
    if check_tta(tta) == "none":
        return logits
    mirrored = _logits(model(Tensor(np.ascontiguousarray(images.numpy()[..., ::-1]))))
    mean = np.logaddexp(F.log_softmax(logits, dim=1).numpy(), F.log_softmax(mirrored, dim=1).numpy()) - np.log(2.0)
    return Tensor(mean.astype(logits.numpy().dtype, copy=False))


def tta_of(meta: dict[str, Any]) -> str:
    """The test-time augmentation a checkpoint's recipe names ("none" for files without one)."""
    return str((meta.get("recipe") or {}).get("tta", "none") or "none")


def evaluate(model: Any, loader: Any, num_classes: int | None = None,
             loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy, tta: str = "none") -> ClassificationMetrics:
    """Loss, accuracy and confusion matrix of `model` over `loader`, in eval mode, no gradients;
    with ``tta="flip"`` each image is scored with its mirror image (`predict_logits`).

    The model's train/eval mode is restored afterwards.
    """
    check_tta(tta)
    was_training = model.training
    model.eval()
    metrics: ClassificationMetrics | None = None
    try:
        with no_grad():
            for images, labels in loader:
                logits = predict_logits(model, images, tta)
                if metrics is None:
                    metrics = ClassificationMetrics(num_classes or logits.shape[1])
                metrics.update(logits.numpy(), labels.numpy(), loss_fn(logits, labels).item())
    finally:
        model.train(was_training)
    if metrics is None:
        raise ConvnetValueError("evaluate: the loader yielded no batches")
    return metrics


@dataclass
class Trainer:
    """Trains `model` with `optimizer` on `train_loader`, validating on `val_loader`.

    ``scheduler`` (optional) steps after every batch when ``scheduler_per="batch"`` (OneCycle,
    warm-up) or after every epoch. ``meta`` is stored in every checkpoint (model spec, dataset,
    the options of the run). ``out_dir`` receives checkpoints and the history; without it
    nothing is written. ``progress`` shows a live bar on a terminal.
    """

    model: Any
    optimizer: Any
    train_loader: Any
    val_loader: Any = None
    scheduler: Any = None
    scheduler_per: str = "batch"
    loss_fn: Callable[..., Tensor] = F.cross_entropy
    out_dir: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    log: Callable[[str], None] = print
    history: list[dict[str, Any]] = field(default_factory=list)
    best_accuracy: float = -1.0
    epochs_done: int = 0
    aux_weight: float = 0.3
    tta: str = "none"                   # how validation scores images (see predict_logits)

    def __post_init__(self) -> None:
        if self.scheduler_per not in ("batch", "epoch"):
            raise ConvnetValueError(f"scheduler_per must be 'batch' or 'epoch', got {self.scheduler_per!r}")
        if self.out_dir is not None:
            self.out_dir = Path(self.out_dir)

    # ---------------------------------------------------------------- checkpoints
    @property
    def last_path(self) -> Path | None:
        return None if self.out_dir is None else self.out_dir / "last.safetensors"

    @property
    def best_path(self) -> Path | None:
        return None if self.out_dir is None else self.out_dir / "best.safetensors"

    def _checkpoint_meta(self, epochs_total: int) -> dict[str, Any]:
        return {**self.meta, "epoch": self.epochs_done, "epochs": epochs_total,
                "history": self.history, "best_accuracy": self.best_accuracy,
                "rng_state": cn_random.get_rng_state(),
                "loader": self.train_loader.state_dict() if hasattr(self.train_loader, "state_dict")
                else None,
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None}

    def save(self, path: Path, epochs_total: int) -> None:
        save_checkpoint(path, self.model, self.optimizer, self._checkpoint_meta(epochs_total))

    def resume(self, path: str | Path) -> int:
        """Load model, optimizer, scheduler, history and RNG state; return the epochs done."""
        ckpt = load_checkpoint(path)
        self.model.load_state_dict(ckpt.model_state)
        state = ckpt.optimizer_state()
        if state is not None:
            self.optimizer.load_state_dict(state)
        meta = ckpt.meta
        if self.scheduler is not None and meta.get("scheduler") is not None:
            self.scheduler.load_state_dict(meta["scheduler"])
        if meta.get("rng_state") is not None:
            cn_random.set_rng_state(meta["rng_state"])
        if meta.get("loader") is not None and hasattr(self.train_loader, "load_state_dict"):
            self.train_loader.load_state_dict(meta["loader"])
        self.history = list(meta.get("history", []))
        self.best_accuracy = float(meta.get("best_accuracy", -1.0))
        self.epochs_done = int(meta.get("epoch", 0))
        return self.epochs_done

    def _write_history(self) -> None:
        if self.out_dir is None or not self.history:
            return
        atomic_write_text(self.out_dir / "history.json", json.dumps(self.history, indent=1))
        buf = io.StringIO()
        keys = list(self.history[0])
        writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.history)
        atomic_write_text(self.out_dir / "history.csv", buf.getvalue())

    # ---------------------------------------------------------------- training
    def _loss(self, output: Any, labels: Tensor) -> Tensor:
        if isinstance(output, tuple):       # main logits plus auxiliary heads
            main, *aux = output
            loss = self.loss_fn(main, labels)
            for a in aux:
                if a is not None:
                    loss = loss + self.aux_weight * self.loss_fn(a, labels)
            return loss
        return self.loss_fn(output, labels)

    def train_epoch(self, epoch: int, epochs_total: int) -> dict[str, Any]:
        """One pass over the training data; returns the epoch's training loss and accuracy."""
        self.model.train()
        if hasattr(self.train_loader, "set_epoch"):
            self.train_loader.set_epoch(epoch)
        n_batches = len(self.train_loader)
        seen = correct = 0
        loss_sum = 0.0
        start = time.perf_counter()
        bar = _Progress(self.progress, f"epoch {epoch + 1}/{epochs_total}", n_batches)
        try:
            for b, (images, labels) in enumerate(self.train_loader):
                output = self.model(images)
                loss = self._loss(output, labels)
                value = loss.item()
                if not math.isfinite(value):
                    lr = self.optimizer.param_groups[0]["lr"]
                    raise TrainingDiverged(
                        f"the loss became {value} at epoch {epoch + 1}, batch {b + 1} of {n_batches} "
                        f"(learning rate {lr:.3g}); training stopped. Try a lower learning rate "
                        f"(--lr {lr / 10:.3g}) or gradient clipping; the last good checkpoint is "
                        f"{self.last_path if self.epochs_done else 'not written yet'}"
                    )
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if self.scheduler is not None and self.scheduler_per == "batch":
                    self.scheduler.step()
                n = len(labels)
                seen += n
                loss_sum += value * n
                correct += int((_logits(output).numpy().argmax(1) == labels.numpy()).sum())
                bar.update(b + 1, loss_sum / seen, correct / seen, seen / (time.perf_counter() - start))
        finally:
            bar.close()
        if self.scheduler is not None and self.scheduler_per == "epoch":
            self.scheduler.step()
        seconds = time.perf_counter() - start
        return {"train_loss": loss_sum / max(seen, 1), "train_accuracy": correct / max(seen, 1),
                "seconds": seconds, "images_per_second": seen / seconds}

    def fit(self, epochs: int) -> list[dict[str, Any]]:
        """Train until `epochs` epochs are done (counting those of a resumed run)."""
        if self.out_dir is not None:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConvnetFileError(f"{self.out_dir}: cannot create the folder for checkpoints "
                                       f"({e.strerror or e})") from e
        try:
            while self.epochs_done < epochs:
                epoch = self.epochs_done
                lr = self.optimizer.param_groups[0]["lr"]
                row: dict[str, Any] = {"epoch": epoch + 1, "lr": lr}
                row.update(self.train_epoch(epoch, epochs))
                if self.val_loader is not None:
                    began = time.perf_counter()
                    val = evaluate(self.model, self.val_loader, loss_fn=self.loss_fn, tta=self.tta)
                    row.update({"val_loss": val.loss, "val_accuracy": val.accuracy,
                                "val_top5_accuracy": val.top5_accuracy,
                                "val_seconds": time.perf_counter() - began})
                self.history.append(row)
                self.epochs_done = epoch + 1
                accuracy = row.get("val_accuracy", row["train_accuracy"])
                improved = accuracy > self.best_accuracy
                if improved:
                    self.best_accuracy = accuracy
                if self.out_dir is not None:
                    self.save(self.last_path, epochs)
                    if improved:
                        self.save(self.best_path, epochs)
                    self._write_history()
                self.log(_epoch_line(row, epochs, improved))
        except KeyboardInterrupt:
            done = self.last_path if self.epochs_done and self.out_dir is not None else None
            raise TrainingInterrupted(self.epochs_done, done) from None
        return self.history


def _epoch_line(row: dict[str, Any], epochs: int, best: bool) -> str:
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}",
             f"loss {row['train_loss']:.4f}", f"acc {100 * row['train_accuracy']:.2f}%"]
    if "val_accuracy" in row:
        parts += [f"val loss {row['val_loss']:.4f}", f"val acc {100 * row['val_accuracy']:.2f}%"]
    parts += [f"{row['images_per_second']:,.0f} img/s", f"{row['seconds']:.1f}s"]
    return "  ".join(parts) + ("  *" if best else "")


class _Progress:
    """A live progress bar (rich) on a terminal; nothing elsewhere (the epoch line is printed)."""

    def __init__(self, enabled: bool, title: str, total: int) -> None:
        self.bar = None
        if not enabled:
            return
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                            console=console, transient=True)
        self.task = self.bar.add_task(title, total=total, stats="")
        self.bar.start()

    def update(self, done: int, loss: float, accuracy: float, speed: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done,
                            stats=f"loss {loss:.4f}  acc {100 * accuracy:.2f}%  {speed:,.0f} img/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()

