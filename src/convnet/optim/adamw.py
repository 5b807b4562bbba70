"""`AdamW`: Adam whose weight decay shrinks the weights directly instead of joining the gradient."""

from __future__ import annotations

from .adam import Adam
from .optimizer import ParamsT


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first does ``p *= 1 - lr * weight_decay``.

    The decay then does not pass through Adam's per-entry scaling, so every weight decays at
    the same rate (Loshchilov and Hutter). Same update and state as `Adam` otherwise.

    >>> import convnet as cn
    >>> from convnet.optim import AdamW
    >>> w = cn.tensor([2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = cn.tensor([0.0])   # no gradient signal: only the decay acts
    >>> opt.step()
    >>> w
    tensor([1.9], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
