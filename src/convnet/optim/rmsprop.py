"""`RMSprop`: divide each step by a running root-mean-square of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _lerp_, _regularized_grad, _zeros_state


class RMSprop(Optimizer):
    """RMSprop: steps of ``lr * g / (sqrt(running mean of g*g) + eps)``, entry by entry.

    With ``g = grad + weight_decay * p`` (``-grad`` if ``maximize``)::

        v = alpha * v + (1 - alpha) * g * g                     (square_avg)
        s = sqrt(v - a * a), a = alpha * a + (1 - alpha) * g    if centered (grad_avg)
        s = sqrt(v)                                             otherwise
        buf = momentum * buf + g / (s + eps);  p -= lr * buf    if momentum > 0
        p -= lr * g / (s + eps)                                 otherwise

    ``eps`` is added outside the square root, as in PyTorch. State per parameter: ``step``,
    ``square_avg``, and ``momentum_buffer`` / ``grad_avg`` when used.

    >>> import convnet as cn
    >>> from convnet.optim import RMSprop
    >>> w = cn.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> w.grad = cn.tensor([4.0])
    >>> opt.step()   # sqrt(0.25 * 16) = 2, so the step is 0.01 * 4 / 2
    >>> w
    tensor([0.98], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        super()._check_group(group, index)
        self._check_nonnegative(group, index, "alpha", "eps", "weight_decay", "momentum")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = (float(group[k]) for k in ("lr", "alpha", "eps", "momentum"))
        state["step"] = state.get("step", 0) + 1
        square_avg = _zeros_state(state, "square_avg", param)
        g = _regularized_grad(param, grad, float(group["weight_decay"]), group["maximize"])
        scratch = np.empty_like(param)
        square_avg *= alpha
        np.multiply(g, 1.0 - alpha, out=scratch)
        scratch *= g
        square_avg += scratch
        if group["centered"]:
            grad_avg = _zeros_state(state, "grad_avg", param)
            _lerp_(grad_avg, g, 1.0 - alpha, scratch)
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(square_avg, out=scratch)
        scratch += eps  # the denominator, built in scratch
        np.divide(g, scratch, out=scratch)
        if momentum > 0:
            buf = _zeros_state(state, "momentum_buffer", param)
            buf *= momentum
            buf += scratch
            np.multiply(buf, lr, out=scratch)
        else:
            scratch *= lr
        param -= scratch
