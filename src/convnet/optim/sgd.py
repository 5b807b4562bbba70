"""`SGD`: stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from .._tensor import Tensor
from ..errors import ConvnetValueError
from .optimizer import Optimizer, ParamsT


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
            raise ConvnetValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening == 0, got momentum="
                f"{group['momentum']!r}, dampening={group['dampening']!r} (parameter group {index}); "
                "for example SGD(params, lr, momentum=0.9, nesterov=True)"
            )

    def _update_group(self, params: list[Tensor], grads: list[np.ndarray], group: dict[str, Any]) -> None:
        momentum = float(group["momentum"])
        bufs: list[np.ndarray | None] = []
        firsts: list[bool] = []
        for p in params:
            state = self.state[p]
            first = momentum != 0 and "momentum_buffer" not in state
            if first:
                state["momentum_buffer"] = np.empty_like(p.data)
            bufs.append(state.get("momentum_buffer") if momentum else None)
            firsts.append(first)
        kernels.active().sgd_step([p.data for p in params], grads, bufs, firsts, float(group["lr"]), momentum,
                                  float(group["dampening"]), float(group["weight_decay"]), bool(group["nesterov"]),
                                  bool(group["maximize"]))
