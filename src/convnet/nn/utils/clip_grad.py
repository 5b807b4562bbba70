"""Gradient clipping: keep one bad batch from throwing the weights far away.

`clip_grad_norm_` scales all gradients together so that their joint norm is at most
``max_norm`` (their direction is kept); `clip_grad_value_` clamps every entry to
``[-clip_value, clip_value]``. Both replace ``p.grad`` with a new tensor instead of
writing into the old array, which may be shared. Call them between ``loss.backward()``
and ``optimizer.step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..._tensor import Tensor
from ...errors import ConvnetTypeError, ConvnetValueError


def _with_grads(parameters: Tensor | Iterable[Tensor], caller: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise ConvnetTypeError(f"{caller}: parameter {i} is a {type(p).__name__}, not a Tensor")
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    The total norm is that of all gradients joined into one vector (``norm_type=inf``: the
    largest absolute entry). When it exceeds ``max_norm``, every gradient is multiplied by
    ``max_norm / (total + 1e-6)``; otherwise nothing changes. Returns the total norm before
    clipping, a 0-d tensor of the gradients' dtype (worth logging: spikes show instability).

    >>> import convnet as cn
    >>> from convnet.nn.utils import clip_grad_norm_
    >>> w = cn.zeros(2, requires_grad=True)
    >>> w.grad = cn.tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6, 0.8])
    """
    params = _with_grads(parameters, "clip_grad_norm_")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ConvnetValueError(f"clip_grad_norm_: norm_type must be > 0 (2.0 or math.inf are usual), "
                                f"got {norm_type}")
    if not max_norm >= 0:
        raise ConvnetValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    if not params:
        return Tensor(np.array(0.0, dtype=np.float32))
    grads = [p.grad.data for p in params]
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:  # sum |g|^p over every entry of every gradient, accumulated in float64
        powers = sum(float(np.sum(np.abs(g, dtype=np.float64) ** norm_type)) for g in grads)
        total = powers ** (1.0 / norm_type)
    total_norm = np.array(total, dtype=np.result_type(*grads))
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}, so they cannot be "
            "scaled to max_norm. A nan or inf gradient usually means the loss overflowed: lower the "
            "learning rate or check the inputs (or pass error_if_nonfinite=False to go on anyway)"
        )
    coef = max_norm / (float(total_norm) + 1e-6)
    if not coef >= 1.0:  # a nan norm gets here too and turns the gradients to nan, as in PyTorch
        for p in params:
            p.grad = Tensor(p.grad.data * coef)
    return Tensor(total_norm)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    >>> import convnet as cn
    >>> from convnet.nn.utils import clip_grad_value_
    >>> w = cn.zeros(3, requires_grad=True)
    >>> w.grad = cn.tensor([-5.0, 0.5, 2.0])
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ])
    """
    if not clip_value >= 0:
        raise ConvnetValueError(f"clip_grad_value_: clip_value must be >= 0 (the largest size allowed), "
                                f"got {clip_value!r}")
    for p in _with_grads(parameters, "clip_grad_value_"):
        g = p.grad.data
        p.grad = Tensor(np.clip(g, -clip_value, clip_value).astype(g.dtype, copy=False))
