"""Normalisation layers: `BatchNorm1d`, `BatchNorm2d` and AlexNet's `LocalResponseNorm`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...errors import ConvnetValueError, ShapeError
from .. import functional as F
from .. import init
from ..functional._checks import int_arg, number_arg
from ..module import Module
from .linear import empty_parameter, float_dtype


class _BatchNorm(Module):
    """Batch normalisation over dimension 1 (channels or features); subclasses fix the input rank.

    Training: normalise with the batch's mean and variance and fold them into the running
    statistics, ``running = (1 - momentum) * running + momentum * batch``; with
    ``momentum=None`` the running statistics are the plain average over all batches seen
    (factor 1 / num_batches_tracked). Evaluation: normalise with the running statistics
    (or with the batch's, when ``track_running_stats=False``).
    """

    _ranks: tuple[int, ...]
    _layout: str

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = int_arg(num_features, name, "num_features", 1)
        number_arg(eps, name, "eps", 0.0, lo_open=True)
        if momentum is not None:
            number_arg(momentum, name, "momentum", 0.0, 1.0)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        c = self.num_features
        self.register_parameter("weight", empty_parameter((c,), dtype) if affine else None)
        self.register_parameter("bias", empty_parameter((c,), dtype) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, float_dtype(dtype))))
            self.register_buffer("running_var", Tensor(np.ones(c, float_dtype(dtype))))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor) or input.ndim not in self._ranks:
            got = (f"{input.ndim}-D input of shape {tuple(input.shape)}" if isinstance(input, Tensor)
                   else f"a {type(input).__name__}")
            raise ConvnetValueError(f"{type(self).__name__} expects {self._layout}, got {got}")
        if input.shape[1] != self.num_features:
            raise ShapeError(
                f"{type(self).__name__}({self.num_features}) got an input with {input.shape[1]} "
                f"channels (dimension 1 of shape {tuple(input.shape)}); num_features must equal "
                "the number of channels of the layer before"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative average of all batches so far
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics while training, or when there are no running ones to use
        use_batch = self.training or self.running_mean is None
        # running statistics are read in eval mode, updated in training mode if tracked
        pass_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if pass_running else None,
                            self.running_var if pass_running else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C.

    >>> import convnet as cn, convnet.nn as nn
    >>> bn = nn.BatchNorm1d(4)
    >>> y = bn(cn.randn(16, 4) * 3 + 1)
    >>> bool((y.mean(0).abs() < 1e-5).all())
    True
    """

    _ranks = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L) input"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) feature maps, per channel: statistics over the batch
    and all positions. Parameters ``weight`` (scale) and ``bias`` (shift); buffers
    ``running_mean``, ``running_var``, ``num_batches_tracked``.

    >>> import convnet as cn, convnet.nn as nn
    >>> bn = nn.BatchNorm2d(3)
    >>> _ = bn(cn.randn(8, 3, 5, 5))
    >>> int(bn.num_batches_tracked)
    1
    """

    _ranks = (4,)
    _layout = "4-D input (N, C, H, W); for (N, C) features use BatchNorm1d"


class LocalResponseNorm(Module):
    """Divide each value by the energy of `size` neighbouring channels (AlexNet):
    b_c = a_c / (k + alpha / size * sum of a^2 over the neighbours) ** beta.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.LocalResponseNorm(5)(cn.randn(1, 8, 4, 4)).shape
    (1, 8, 4, 4)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        name = "LocalResponseNorm"
        self.size = int_arg(size, name, "size", 1)
        for arg, value in (("alpha", alpha), ("beta", beta), ("k", k)):
            number_arg(value, name, arg)
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
