"""The pictures at the end of a training run: learning curves, the confusion matrix, and the
test images the model gets wrong.

`training_report` writes them next to the checkpoint and returns their paths; it prints
nothing. Without matplotlib the learning curves are skipped (the report says so in its
notes); the other two pictures need only Pillow.

>>> confusion = np.array([[9, 1], [2, 8]])
>>> confusion_image(confusion, ["cat", "dog"]).size[0] > 100
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .._tensor import Tensor
from ..autograd import no_grad
from ..data import DataLoader
from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from ..nn import functional as F
from ..train.loop import evaluate, predict_logits, tta_of
from ..train.run import eval_transform
from . import canvas, colors
from .canvas import Grid
from .images import normalise
from .plots import MissingMatplotlib, history_plot

FILES = {"curves": "training-curves.png", "confusion": "confusion-matrix.png", "mistakes": "misclassified.png"}


@dataclass
class Report:
    """What `training_report` wrote (paths) and anything it skipped, in a sentence each (notes)."""

    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def confusion_image(confusion: np.ndarray, classes: Sequence[str], title: str | None = None) -> Image.Image:
    """The confusion matrix (rows: true class, columns: predicted) with counts in the cells, each
    row coloured by its fractions, and every class's accuracy on the right."""
    m = np.asarray(confusion, dtype=np.int64)
    k = m.shape[0]
    if m.shape != (k, k) or len(classes) != k:
        raise ShapeError(f"confusion_image: a {k}x{k} matrix needs {k} class names, got {m.shape} and {len(classes)}")
    support = m.sum(axis=1, keepdims=True)
    fractions = np.divide(m, support, out=np.zeros(m.shape), where=support > 0)
    cell = 40 if k <= 12 else 28 if k <= 24 else 18
    cells = canvas.matrix(colors.ColorScale(0.0, 1.0, "blues")(fractions),
                          [[str(v) if v else "" for v in row] for row in m] if k <= 24 else None, cell,
                          size=12 if cell >= 40 else 10, line=canvas.FRAME)
    size = 12
    names = [str(c) for c in classes]
    rows_w = max(canvas.text_size(n, size)[0] for n in names) + 10
    vertical = max(canvas.text_size(n, size)[0] for n in names) > cell - 4
    heading = canvas.text_image("predicted class", 13, color=canvas.MUTED)
    cols_h = (max(canvas.text_size(n, size)[0] for n in names) if vertical else canvas.text_size("Ag", size)[1]) + 8
    cols_h += heading.height + 4
    acc = [f"{100 * a:.1f}%" for a in np.diag(fractions)]
    acc_w = max(canvas.text_size(a, size)[0] for a in acc) + 12
    img = Image.new("RGB", (rows_w + cells.width + acc_w, cols_h + cells.height), canvas.BACKGROUND)
    img.paste(cells, (rows_w, cols_h))
    img.paste(heading, (rows_w + (cells.width - heading.width) // 2, 0))
    draw = ImageDraw.Draw(img)
    for i, name in enumerate(names):
        y = cols_h + (i + 0.5) * cell
        draw.text((rows_w - 8, y), name, fill=canvas.INK, font=canvas.font(size), anchor="rm")
        draw.text((rows_w + cells.width + 6, y), acc[i], fill=canvas.MUTED, font=canvas.font(size), anchor="lm")
        x = rows_w + (i + 0.5) * cell
        if vertical:
            label = canvas.text_image(name, size).rotate(90, expand=True)
            img.paste(label, (int(x - label.width / 2), cols_h - 4 - label.height))
        else:
            draw.text((x, cols_h - 4), name, fill=canvas.INK, font=canvas.font(size), anchor="md")
    left = canvas.text_image("true class", 13, color=canvas.MUTED).rotate(90, expand=True)
    page = canvas.stack([left, img], vertical=False, gap=6)
    return Grid(page, []).compose(title or "Confusion matrix", f"{int(m.sum()):,} test images; rows: the true "
                                  "class, columns: the prediction, so the diagonal counts the right answers; "
                                  "on the right: the accuracy of each class", size=18).image


@dataclass
class Mistake:
    """A test image the model got wrong."""

    index: int
    image: np.ndarray           # uint8 (C, H, W)
    true: int
    predicted: int
    probability: float          # the model's probability for its (wrong) prediction


def misclassified(model: Module, dataset: Any, dataset_meta: dict[str, Any], limit: int = 32,
                  scan: int = 5000, batch_size: int = 250, tta: str = "none") -> tuple[list[Mistake], int]:
    """Up to `limit` test images the model gets wrong, in dataset order, looking at no more than
    the first `scan` images; returns them and how many images were looked at. `tta` scores them as
    `convnet.train.predict_logits` does."""
    found: list[Mistake] = []
    was_training = model.training
    model.eval()
    seen = 0
    try:
        with no_grad():
            for start in range(0, min(scan, len(dataset)), batch_size):
                idx = np.arange(start, min(start + batch_size, scan, len(dataset)))
                images, labels = dataset.get_batch(idx)
                probs = F.softmax(predict_logits(model, Tensor(normalise(images, dataset_meta)), tta), dim=1).numpy()
                pred = probs.argmax(axis=1)
                seen = int(idx[-1]) + 1
                for j in np.nonzero(pred != labels)[0][:limit - len(found)]:
                    found.append(Mistake(int(idx[j]), images[j], int(labels[j]), int(pred[j]),
                                         float(probs[j, pred[j]])))
                if len(found) >= limit:
                    break
    finally:
        model.train(was_training)
    return found, seen


def mistakes_grid(mistakes: Sequence[Mistake], classes: Sequence[str], seen: int) -> Grid:
    """The misclassified images, each labelled with its true and predicted class."""
    if not mistakes:
        raise ConvnetValueError("mistakes_grid: no misclassified images to draw")
    zoom = canvas.zoom_for(mistakes[0].image.shape[1:], target=84)
    tiles = [canvas.rgb_image(np.repeat(m.image, 3, axis=0) if m.image.shape[0] == 1 else m.image, zoom)
             for m in mistakes]
    labels = [f"true: {classes[m.true]}\npred: {classes[m.predicted]} ({100 * m.probability:.0f}%)" for m in mistakes]
    grid = canvas.grid(tiles, labels, columns=min(len(tiles), 8), keys=[m.index for m in mistakes])
    return grid.compose("Misclassified test images", f"{len(mistakes)} of the images the model gets wrong, from the "
                        f"first {seen:,} test images; pred: its answer and how sure it was", size=18)


def training_report(out_dir: str | os.PathLike[str], model: Module, test_dataset: Any,
                    history: Sequence[dict[str, Any]], meta: dict[str, Any],
                    confusion: np.ndarray | None = None) -> Report:
    """Write training-curves.png, confusion-matrix.png and misclassified.png into `out_dir`.

    `meta` is the checkpoint's metadata (its "dataset" entry gives classes, mean and std);
    `confusion` is the test confusion matrix if already known (else one pass computes it).
    Prints nothing; returns the paths written and notes on anything skipped.
    """
    out, report = Path(out_dir), Report()
    ds_meta = meta["dataset"]
    classes = list(ds_meta["classes"])
    try:
        report.paths.append(canvas.save(history_plot(history, f"{meta.get('model', {}).get('name', 'model')} on "
                                                              f"{ds_meta.get('name', 'data')}"),
                                        out / FILES["curves"]))
    except (MissingMatplotlib, ValueError) as e:
        report.notes.append(f"learning curves skipped: {e}")
    if confusion is None:
        loader = DataLoader(test_dataset, batch_size=500, transform=eval_transform(ds_meta["mean"], ds_meta["std"]))
        confusion = evaluate(model, loader, num_classes=len(classes), tta=tta_of(meta)).confusion
    report.paths.append(canvas.save(confusion_image(confusion, classes), out / FILES["confusion"]))
    mistakes, seen = misclassified(model, test_dataset, ds_meta, tta=tta_of(meta))
    if mistakes:
        report.paths.append(canvas.save(mistakes_grid(mistakes, classes, seen).image, out / FILES["mistakes"]))
    else:
        report.notes.append(f"no misclassified images to show: the model got all of the first {seen:,} test images "
                            "right")
    return report
