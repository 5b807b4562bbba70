"""`Linear` (fully connected) and `Identity`, plus the default weight/bias initialisation that
Linear and the convolutions share."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._dtypes import get_default_dtype
from ..._tensor import Tensor
from ...errors import ConvnetTypeError
from .. import functional as F
from .. import init
from ..functional._checks import int_arg
from ..module import Module
from ..parameter import Parameter


def float_dtype(dtype: Any) -> np.dtype:
    """A layer's `dtype` argument: None means the default float type; integers are refused."""
    dt = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise ConvnetTypeError(f"layer parameters must be floating-point, got dtype={dt}")
    return dt


def empty_parameter(shape: tuple[int, ...], dtype: Any) -> Parameter:
    """A Parameter of `shape` (zeros until initialised), of `dtype` or the default float type."""
    return Parameter(np.zeros(shape, dtype=float_dtype(dtype)))


def init_weight_and_bias(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default for Linear and convolutions: weight ~ kaiming_uniform_(a=sqrt(5)),
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = init._fan_in_and_fan_out(weight)[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer from a model).
    Constructor arguments are accepted and ignored.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Identity()(cn.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Linear(Module):
    """Fully connected layer: y = x W^T + b, over the last dimension of (*, in_features).

    ``weight`` is (out_features, in_features) and ``bias`` (out_features,), both initialised
    from U(-1/sqrt(in_features), 1/sqrt(in_features)) as in PyTorch.

    >>> import convnet as cn, convnet.nn as nn
    >>> fc = nn.Linear(20, 10)
    >>> fc(cn.randn(4, 20)).shape
    (4, 10)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features = int_arg(in_features, "Linear", "in_features", 1)
        self.out_features = int_arg(out_features, "Linear", "out_features", 1)
        self.weight = empty_parameter((self.out_features, self.in_features), dtype)
        if bias:
            self.bias = empty_parameter((self.out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's default distributions)."""
        init_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
