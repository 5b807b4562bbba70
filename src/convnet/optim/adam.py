"""`Adam`: adaptive moment estimation (running averages of the gradient and its square)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from .._tensor import Tensor
from ..errors import ConvnetValueError
from .optimizer import Optimizer, ParamsT


class Adam(Optimizer):
    """Adam: steps by the running mean of the gradient over the root of its running square.

    With ``g = grad + weight_decay * p`` (``-grad`` if ``maximize``) and ``t`` the step count::

        m = beta1 * m + (1 - beta1) * g            (exp_avg)
        v = beta2 * v + (1 - beta2) * g * g        (exp_avg_sq; with amsgrad, the max of all v so far)
        p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``eps`` is added after the bias correction of ``sqrt(v)``, as in PyTorch. With
    ``decoupled_weight_decay=True`` (that is `AdamW`), ``p *= 1 - lr * weight_decay``
    replaces the L2 term in ``g``. State per parameter: ``step`` (an int), ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

    >>> import convnet as cn
    >>> from convnet.optim import Adam
    >>> w = cn.tensor([1.0, 1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = cn.tensor([3.0, -0.01])
    >>> opt.step()   # the first step moves every entry by about lr, whatever its gradient's size
    >>> w
    tensor([0.9, 1.1], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        super()._check_group(group, index)
        self._check_nonnegative(group, index, "eps", "weight_decay")
        betas = group["betas"]
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ConvnetValueError(
                f"{type(self).__name__}: betas must be two numbers in [0, 1), got {betas!r} "
                f"(parameter group {index}); the usual choice is (0.9, 0.999)"
            )

    def _update_group(self, params: list[Tensor], grads: list[np.ndarray], group: dict[str, Any]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        amsgrad = bool(group["amsgrad"])
        by_step: dict[int, list[int]] = {}             # parameters that joined later have fewer steps
        for i, p in enumerate(params):
            state = self.state[p]
            state["step"] = state.get("step", 0) + 1
            for key in ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()):
                if key not in state:
                    state[key] = np.zeros_like(p.data)
            by_step.setdefault(state["step"], []).append(i)
        for step, members in by_step.items():
            states = [self.state[params[i]] for i in members]
            kernels.active().adam_step(
                [params[i].data for i in members], [grads[i] for i in members],
                [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["max_exp_avg_sq"] for s in states] if amsgrad else None, float(group["lr"]), beta1, beta2,
                float(group["eps"]), float(group["weight_decay"]), bool(group["decoupled_weight_decay"]), amsgrad,
                bool(group["maximize"]), step)
