"""Plots drawn with matplotlib (an optional dependency: ``pip install convnet[viz]``).

matplotlib is used through its object interface (`Figure` and the Agg canvas), never
pyplot, so nothing opens a window and no global state is touched; a plot comes back as a
PIL image like every other picture in `convnet.viz`.

>>> rows = [{"epoch": 1, "train_loss": 0.9, "train_accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.85},
...         {"epoch": 2, "train_loss": 0.4, "train_accuracy": 0.88, "val_loss": 0.3, "val_accuracy": 0.91}]
>>> history_plot(rows).size
(1000, 380)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from ..errors import ConvnetValueError, MissingDependencyError


class MissingMatplotlib(MissingDependencyError):
    """matplotlib is not installed; plots need it."""


def matplotlib_figure(width: float, height: float, dpi: int = 100) -> Any:
    """A new matplotlib Figure on the Agg canvas (headless), or a clear error if matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingMatplotlib("plots need matplotlib, which is not installed: pip install convnet[viz] "
                                "(or pip install matplotlib)") from None
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_image(fig: Any) -> Image.Image:
    """Render a matplotlib Figure to an RGB PIL image."""
    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")


def history_plot(history: Sequence[dict[str, Any]], title: str | None = None) -> Image.Image:
    """Loss and accuracy per epoch, training and validation, from a run's history rows
    (keys ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``; missing
    validation columns are left out). The best validation epoch is marked."""
    if not history:
        raise ConvnetValueError("history_plot: the history is empty (no epoch finished)")
    fig = matplotlib_figure(10, 3.8)
    epochs = [row["epoch"] for row in history]
    marker = "o" if len(epochs) <= 30 else None
    loss_ax, acc_ax = fig.subplots(1, 2)
    for ax, key, label, scale in ((loss_ax, "loss", "loss (cross-entropy)", 1.0),
                                  (acc_ax, "accuracy", "accuracy (%)", 100.0)):
        for split, color in (("train", "#2166ac"), ("val", "#d6604d")):
            values = [row.get(f"{split}_{key}") for row in history]
            if all(v is not None for v in values):
                ax.plot(epochs, [scale * v for v in values], marker=marker, color=color, markersize=4,
                        label="training" if split == "train" else "validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
        if len(epochs) <= 20:
            ax.set_xticks(epochs)
    val = [row.get("val_accuracy") for row in history]
    if all(v is not None for v in val):
        best = max(range(len(val)), key=lambda i: val[i])
        side = "right" if best == len(val) - 1 and best else "left" if best == 0 and len(val) > 1 else "center"
        acc_ax.annotate(f"best {100 * val[best]:.2f}% (epoch {epochs[best]})", (epochs[best], 100 * val[best]),
                        xytext=(0, -28), textcoords="offset points", ha=side, fontsize=9,
                        arrowprops={"arrowstyle": "-", "color": "0.5"})
    if title:
        fig.suptitle(title)
    return to_image(fig)
