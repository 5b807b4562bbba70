"""Classification metrics: top-k accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def topk_correct(logits: np.ndarray, targets: np.ndarray, k: int) -> int:
    """How many rows of (N, C) logits have their target among the k highest scores."""
    k = min(k, logits.shape[1])
    top = np.argpartition(-logits, k - 1, axis=1)[:, :k]      # (N, k), unordered
    return int((top == targets[:, None]).any(axis=1).sum())


@dataclass
class ClassificationMetrics:
    """Accumulates loss and predictions over batches; read the results when done.

    >>> m = ClassificationMetrics(num_classes=3)
    >>> m.update(np.array([[2.0, 0.1, 0.0], [0.0, 0.2, 3.0]]), np.array([0, 1]), loss=0.5)
    >>> m.accuracy, m.confusion.tolist()
    (0.5, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    """

    num_classes: int
    total: int = 0
    loss_sum: float = 0.0
    top1: int = 0
    top5: int = 0
    confusion: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.confusion = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)

    def update(self, logits: np.ndarray, targets: np.ndarray, loss: float | None = None) -> None:
        """Add a batch: logits (N, C), integer targets (N,), and the batch's mean loss."""
        n = len(targets)
        self.total += n
        if loss is not None:
            self.loss_sum += float(loss) * n
        pred = logits.argmax(axis=1)
        self.top1 += int((pred == targets).sum())
        self.top5 += topk_correct(logits, targets, 5)
        np.add.at(self.confusion, (targets, pred), 1)   # rows: truth, columns: prediction

    @property
    def loss(self) -> float:
        return self.loss_sum / max(self.total, 1)

    @property
    def accuracy(self) -> float:
        return self.top1 / max(self.total, 1)

    @property
    def top5_accuracy(self) -> float:
        return self.top5 / max(self.total, 1)

    @property
    def per_class_accuracy(self) -> np.ndarray:
        support = self.confusion.sum(axis=1)
        return np.divide(np.diag(self.confusion), support, out=np.zeros(self.num_classes),
                         where=support > 0)

    def as_dict(self, class_names: Sequence[str] | None = None) -> dict[str, Any]:
        """JSON-ready summary (loss, top-1, top-5, per-class accuracy, confusion matrix)."""
        names = list(class_names) if class_names is not None else [str(i) for i in
                                                                     range(self.num_classes)]
        return {"loss": self.loss, "accuracy": self.accuracy, "top5_accuracy": self.top5_accuracy,
                "per_class_accuracy": dict(zip(names, self.per_class_accuracy.round(6).tolist(),
                                               strict=True)),
                "confusion_matrix": self.confusion.tolist(), "count": self.total}
