"""Fully connected layer: every input feature connected to every output feature."""

from __future__ import annotations

import numpy as np

from ... import kernels
from ..._tensor import Tensor
from ...autograd.function import Function
from ...errors import ShapeError
from ._checks import operands


class LinearFn(Function):
    """y = x W^T + b over the last dimension; dW = g^T x, dx = g W, db = sum of g."""

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        need_x, need_w, _ = self.needs_input_grad
        self.kernels = kernels.active()
        self.x, self.w = (x if need_w else None), (w if need_x else None)
        return self.kernels.linear(x, w, b)

    def backward(self, g: np.ndarray) -> tuple:
        k = self.kernels
        need_x, need_w, need_b = self.needs_input_grad
        return (k.linear_input_grad(g, self.w) if need_x else None,
                k.linear_weight_grad(g, self.x) if need_w else None,
                k.channel_sum(g.reshape(-1, g.shape[-1])) if need_b else None)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, for input (*, in_features) and weight (out_features, in_features).

    >>> import convnet as cn, convnet.nn.functional as F
    >>> F.linear(cn.ones(2, 3), cn.ones(4, 3)).shape
    (2, 4)
    """
    op = "linear"
    operands(input, weight, bias, op)
    if weight.ndim != 2:
        raise ShapeError(f"{op}: weight must be 2-D (out_features, in_features), "
                         f"got shape {tuple(weight.shape)}")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"{op}: input has {input.shape[-1] if input.ndim else 0} features in its last "
            f"dimension (shape {tuple(input.shape)}) but the weight {tuple(weight.shape)} "
            f"expects {weight.shape[1]}; did you forget to flatten the feature maps?"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{op}: bias must have shape ({weight.shape[0]},), "
                         f"got {tuple(bias.shape)}")
    return LinearFn.apply(input, weight, bias)
