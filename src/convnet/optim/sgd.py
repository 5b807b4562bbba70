"""`SGD`: stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, _regularized_grad


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * d``, where ``d`` is the gradient or its running sum.

    With ``g = grad + weight_decay * p`` (``-grad`` if ``maximize``), each step computes::

        buf = g                                      on the first step
        buf = momentum * buf + (1 - dampening) * g   afterwards
        d   = g + momentum * buf   if nesterov, else buf   (d = g when momentum == 0)

    The first step copies the gradient into the buffer with no dampening, as PyTorch does.
    State per parameter: ``momentum_buffer`` (only when momentum != 0).

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> w = cn.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5)
    >>> w.grad = cn.tensor([1.0, -1.0])
    >>> opt.step()
    >>> w
    tensor([0.5, 2.5], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        super()._check_group(group, index)
        self._check_nonnegative(group, index, "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening == 0, got momentum="
                f"{group['momentum']!r}, dampening={group['dampening']!r} (parameter group {index}); "
                "for example SGD(params, lr, momentum=0.9, nesterov=True)"
            )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        lr, momentum, dampening = float(group["lr"]), float(group["momentum"]), float(group["dampening"])
        d = _regularized_grad(param, grad, float(group["weight_decay"]), group["maximize"])
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(d)
            else:
                buf *= momentum
                buf += d if dampening == 0 else (1.0 - dampening) * d
            if group["nesterov"]:
                d = np.add(d, momentum * buf, out=None if d is grad else d)
            else:
                d = buf
        if d is grad or d is buf:
            param -= lr * d
        else:  # d is a temporary of ours: scale it in place
            d *= lr
            param -= d
