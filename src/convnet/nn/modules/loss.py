"""Loss layers: what training minimises. Each wraps the function of the same name in F.

``reduction`` is "mean" (default), "sum" or "none" (one loss per element or sample).
The deprecated ``size_average`` and ``reduce`` arguments are accepted, as in PyTorch.
Class and element weights are registered as buffers (they appear in the state_dict, as in
PyTorch, and follow ``.double()``).
"""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from ..functional._checks import number_arg, reduction_arg
from ..functional.loss import _legacy_reduction
from ..module import Module


class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction_arg(_legacy_reduction(size_average, reduce, reduction),
                                       type(self).__name__)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) or (N, C, d1, ...) against class indices or probabilities:
    log_softmax and negative log-likelihood in one numerically stable step.

    ``weight`` (C,) rescales classes, targets equal to ``ignore_index`` count for nothing,
    ``label_smoothing`` mixes each target with the uniform distribution.

    >>> import convnet as cn, convnet.nn as nn
    >>> loss = nn.CrossEntropyLoss()(cn.zeros(2, 10), cn.tensor([3, 7]))
    >>> round(loss.item(), 4)  # log(10): a uniform guess among 10 classes
    2.3026
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        number_arg(label_smoothing, "CrossEntropyLoss", "label_smoothing", 0.0, 1.0)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of the target classes given log-probabilities (after LogSoftmax).

    >>> import convnet as cn, convnet.nn as nn
    >>> logp = nn.LogSoftmax(dim=1)(cn.zeros(1, 4))
    >>> round(nn.NLLLoss()(logp, cn.tensor([0])).item(), 4)
    1.3863
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (x - y)^2, for regression.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.MSELoss()(cn.tensor([1.0, 3.0]), cn.tensor([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |x - y|, for regression (less sensitive to outliers than MSE).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.L1Loss()(cn.tensor([1.0, -3.0]), cn.tensor([0.0, 0.0])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, for yes/no (or multi-label) targets in [0, 1]: the
    sigmoid is folded in, so it is stable for any logit. ``weight`` rescales elements,
    ``pos_weight`` (one per class, broadcast along the last dimension) the positive term.

    >>> import convnet as cn, convnet.nn as nn
    >>> round(nn.BCEWithLogitsLoss()(cn.zeros(3), cn.ones(3)).item(), 4)  # log 2
    0.6931
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
