"""Loss functions: classification (cross-entropy, NLL, binary) and regression (MSE, L1).

Cross-entropy and NLL are both written as

    loss = -sum over samples i and classes c of Q[i, c] * logp[i, c] / denominator

where Q holds what each log-probability is worth (the class weight on the target class,
label smoothing spread over all classes, zero for ignored samples). The gradient with
respect to the logits is then (softmax * sum_c Q - Q) / denominator: one formula for
every option.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _ops, kernels
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ConvnetTypeError, ConvnetValueError, ShapeError
from ._checks import float_arg, number_arg, reduction_arg, same_dtype, tensor_arg


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _class_weights(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                   label_smoothing: float, op: str) -> tuple[np.ndarray, np.ndarray]:
    """Q (same shape as input) and each sample's weight (target's shape), for index targets."""
    x, t = input.data, target.data
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim]
    expected = x.shape[:class_dim] + x.shape[class_dim + 1:]
    if t.shape != expected:
        raise ShapeError(
            f"{op}: target of shape {t.shape} does not fit input of shape {x.shape}: class "
            f"indices need shape {expected} (the input without its class dimension {class_dim})"
        )
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        v = int(t[bad].flat[0])
        raise ConvnetValueError(
            f"{op}: target {v} is out of range for {n_classes} classes (valid: 0 to "
            f"{n_classes - 1}, or ignore_index={ignore_index})"
        )
    w = np.ones(n_classes, x.dtype) if weight is None else weight.data.astype(x.dtype, copy=False)
    safe_t = np.where(valid, t, 0)
    sample_w = np.where(valid, w[safe_t], 0).astype(x.dtype)       # target's shape
    bshape = [1] * x.ndim
    bshape[class_dim] = n_classes
    onehot = np.arange(n_classes).reshape(bshape) == np.expand_dims(safe_t, class_dim)
    q = onehot * np.expand_dims(sample_w * (1 - label_smoothing), class_dim)
    if label_smoothing:
        q = q + np.expand_dims(valid, class_dim) * (w.reshape(bshape) * (label_smoothing / n_classes))
    return q.astype(x.dtype), sample_w


class WeightedLogLossFn(Function):
    """-sum(Q * logp) reduced, with logp = log_softmax(x) (from_logits) or x itself (NLL).

    From logits, the kernels do each row in one pass (its maximum, log-sum-exp, loss and
    softmax) on a (rows, classes) view with the class dimension last.
    """

    def forward(self, x: np.ndarray, q: np.ndarray, denominator: np.ndarray | None,
                class_dim: int, from_logits: bool) -> np.ndarray:
        self.q, self.denominator, self.class_dim, self.from_logits = q, denominator, class_dim, from_logits
        if from_logits:
            self.kernels = kernels.active()
            rows = _class_last(x, class_dim)
            loss, self.probs = self.kernels.cross_entropy(rows, _class_last(q, class_dim))
            per_sample = loss.reshape(np.moveaxis(x, class_dim, -1).shape[:-1])
        else:
            per_sample = -(q * x).sum(axis=class_dim)
        if denominator is None:                                     # reduction="none"
            return per_sample
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(per_sample.sum() / denominator, dtype=x.dtype)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.denominator is not None:
            g = g / self.denominator
        if not self.from_logits:
            return -self.q * (np.expand_dims(g, self.class_dim) if self.denominator is None else g)
        moved = np.moveaxis(self.q, self.class_dim, -1).shape            # (..., classes)
        scale = np.ascontiguousarray(np.broadcast_to(g, moved[:-1]), dtype=self.probs.dtype).ravel()
        grad = self.kernels.cross_entropy_backward(self.probs, _class_last(self.q, self.class_dim), scale)
        return np.moveaxis(grad.reshape(moved), -1, self.class_dim)


def _class_last(a: np.ndarray, class_dim: int) -> np.ndarray:
    """(rows, classes): the class dimension moved last and the others flattened."""
    moved = np.moveaxis(a, class_dim, -1)
    return moved.reshape(-1, moved.shape[-1])


def _index_or_prob_loss(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
                        reduction: str, label_smoothing: float, op: str,
                        from_logits: bool) -> Tensor:
    tensor_arg(input, op)
    tensor_arg(target, op, "target")
    tensor_arg(weight, op, "weight", optional=True)
    float_arg(input, op)
    reduction_arg(reduction, op)
    label_smoothing = number_arg(label_smoothing, op, "label_smoothing", 0.0, 1.0)
    if input.ndim == 0:
        raise ConvnetValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    if weight is not None and weight.shape != (n_classes,):
        raise ShapeError(f"{op}: weight must have one entry per class, shape ({n_classes},), "
                         f"got {tuple(weight.shape)}")
    if target.dtype.kind == "f":  # class probabilities
        if not from_logits:
            raise ConvnetTypeError(f"{op}: target must hold integer class indices, got {target.dtype}")
        if target.shape != input.shape:
            raise ShapeError(
                f"{op}: a floating-point target is read as class probabilities and must have "
                f"the input's shape {tuple(input.shape)}, got {tuple(target.shape)}; class "
                "indices must be integers (use .long())"
            )
        t = target.data.astype(input.dtype, copy=False)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / n_classes
        bshape = [1] * input.ndim
        bshape[class_dim] = n_classes
        q = t if weight is None else t * weight.data.reshape(bshape)
        count = input.numel() // n_classes
        denom = {"mean": np.asarray(count, input.dtype), "sum": np.asarray(1, input.dtype)}
    elif target.dtype.kind in "iu":
        q, sample_w = _class_weights(input, target, weight, ignore_index, label_smoothing, op)
        denom = {"mean": sample_w.sum(dtype=input.dtype), "sum": np.asarray(1, input.dtype)}
    else:
        raise ConvnetTypeError(f"{op}: target must be integer class indices or float probabilities, "
                               f"got {target.dtype}")
    return WeightedLogLossFn.apply(input, q=q, denominator=denom.get(reduction),
                                   class_dim=class_dim, from_logits=from_logits)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: log_softmax and NLL in one stable step.

    input: logits (N, C), (C,) or (N, C, d1, ...). target: class indices (N,) / (N, d1, ...)
    as integers, or class probabilities of the input's shape. `weight` rescales each class;
    `ignore_index` targets contribute nothing; `label_smoothing` mixes the target with the
    uniform distribution. "mean" divides by the summed weights of the counted targets.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> round(F.cross_entropy(cn.zeros(1, 4), cn.tensor([2])).item(), 4)  # log 4
    1.3863
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _index_or_prob_loss(input, target, weight, ignore_index, reduction, label_smoothing,
                               "cross_entropy", from_logits=True)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of the target classes, given log-probabilities (N, C, ...)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _index_or_prob_loss(input, target, weight, ignore_index, reduction, 0.0, "nll_loss",
                               from_logits=False)


def _regression_args(input: Tensor, target: Tensor, reduction: str, op: str) -> None:
    tensor_arg(input, op)
    tensor_arg(target, op, "target")
    float_arg(input, op)
    float_arg(target, op, "target")
    same_dtype(input, target, op, ("input", "target"))
    reduction_arg(reduction, op)
    if input.shape != target.shape:
        raise ShapeError(
            f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} "
            "differ; broadcasting them would compare the wrong pairs. Reshape one to match "
            "(for example target.view_as(input))"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Mean squared error (x - y)^2, for regression. Shapes must match exactly."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _regression_args(input, target, reduction, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error |x - y|, for regression. Shapes must match exactly."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _regression_args(input, target, reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def _softplus_neg(x: np.ndarray) -> np.ndarray:
    """log(1 + e^-x) without overflow."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)


class BCEWithLogitsFn(Function):
    """l = w * [(1 - t) x + (1 + (pw - 1) t) log(1 + e^-x)]; dl/dx = w * [(1 - t) - lw sigmoid(-x)]."""

    def forward(self, x: np.ndarray, t: np.ndarray, w: np.ndarray | None,
                pw: np.ndarray | None) -> np.ndarray:
        sp = _softplus_neg(x)
        lw = 1 if pw is None else 1 + (pw - 1) * t
        loss = (1 - t) * x + lw * sp
        self.saved = (x, t, w, pw, sp, lw)
        return loss if w is None else loss * w

    def backward(self, g: np.ndarray) -> tuple:
        x, t, w, pw, sp, lw = self.saved
        nx, nt, nw, npw = self.needs_input_grad
        gw_ = g if w is None else g * w
        gx = gt = gw = gpw = None
        if nx:
            gx = _ops.unbroadcast(gw_ * ((1 - t) - lw * _ops.sigmoid_array(-x)), x.shape)
        if nt:
            dt = -x + (0 if pw is None else (pw - 1) * sp)
            gt = _ops.unbroadcast(gw_ * dt, t.shape)
        if nw:
            lw_ = 1 if pw is None else lw
            gw = _ops.unbroadcast(g * ((1 - t) * x + lw_ * sp), w.shape)
        if npw:
            gpw = _ops.unbroadcast(gw_ * t * sp, pw.shape)
        return gx, gt, gw, gpw


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on logits (sigmoid folded in, stable for any magnitude).

    `weight` rescales each element; `pos_weight` (broadcast along the last dimension, one per
    class) weighs the positive term, trading recall against precision.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    tensor_arg(input, op)
    tensor_arg(target, op, "target")
    float_arg(input, op)
    float_arg(target, op, "target")
    reduction_arg(reduction, op)
    if input.shape != target.shape:
        raise ShapeError(f"{op}: target shape {tuple(target.shape)} must equal input shape "
                         f"{tuple(input.shape)}")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        tensor_arg(t, op, name, optional=True)
        if t is not None:
            try:
                np.broadcast_shapes(t.shape, input.shape)
            except ValueError:
                raise ShapeError(f"{op}: {name} of shape {tuple(t.shape)} does not broadcast to "
                                 f"the input's shape {tuple(input.shape)}") from None
    return _reduce(BCEWithLogitsFn.apply(input, target, weight, pos_weight), reduction)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(…,) integer classes -> (…, num_classes) int64 one-hot rows."""
    tensor_arg(tensor, "one_hot", "tensor")
    t = tensor.data
    if t.dtype.kind not in "iu":
        raise ConvnetTypeError(f"one_hot: expects integer class indices, got {t.dtype}")
    n = int(t.max()) + 1 if num_classes == -1 else num_classes
    if t.size and (t.min() < 0 or t.max() >= n):
        raise ConvnetValueError(f"one_hot: class values must be in [0, {n - 1}], got "
                                f"[{int(t.min())}, {int(t.max())}]")
    return Tensor((np.arange(n) == t[..., None]).astype(np.int64))
