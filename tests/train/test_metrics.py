from __future__ import annotations

import numpy as np

from convnet.train import ClassificationMetrics, topk_correct


def test_metrics_against_counting_by_hand() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((200, 7))
    targets = rng.integers(0, 7, 200)
    m = ClassificationMetrics(7)
    m.update(logits[:120], targets[:120], loss=1.0)
    m.update(logits[120:], targets[120:], loss=2.0)
    pred = logits.argmax(1)
    assert m.accuracy == (pred == targets).mean()
    assert m.loss == (120 * 1.0 + 80 * 2.0) / 200
    confusion = np.zeros((7, 7), int)
    for t, p in zip(targets, pred, strict=True):
        confusion[t, p] += 1
    np.testing.assert_array_equal(m.confusion, confusion)
    np.testing.assert_allclose(m.per_class_accuracy, np.diag(confusion) / confusion.sum(1))
    ranks = (logits > logits[np.arange(200), targets][:, None]).sum(1)   # classes scoring higher
    assert topk_correct(logits, targets, 5) == (ranks < 5).sum()
    assert m.top5_accuracy == (ranks < 5).mean()
