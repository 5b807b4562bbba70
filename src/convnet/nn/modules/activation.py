"""Activation layers: the nonlinearities between convolutions, and softmax for outputs."""

from __future__ import annotations

from ..._tensor import Tensor
from ...errors import ConvnetValueError
from .. import functional as F
from ..functional._checks import number_arg
from ..module import Module


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class ReLU(Module):
    """max(x, 0): the default nonlinearity of CNNs (cheap, and its gradient does not vanish
    for positive inputs). ``inplace=True`` reuses the input's memory when no gradient is needed.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.ReLU()(cn.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ReLU6(Module):
    """min(max(x, 0), 6) (MobileNet's activation). ``inplace`` is accepted for compatibility
    (and shown in the repr); the result is always a new tensor.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.ReLU6()(cn.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        # relu first: like PyTorch, no gradient at x == 0 (a plain clamp would pass one there)
        return F.relu(input).clamp(max=6.0)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (keeps a small gradient for negative inputs).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.LeakyReLU(0.1)(cn.tensor([-10.0, 2.0])).tolist()
    [-1.0, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        number_arg(negative_slope, "LeakyReLU", "negative_slope")
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.ELU()(cn.tensor([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        number_arg(alpha, "ELU", "alpha")
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x) with Phi the standard normal CDF; ``approximate="tanh"`` uses the tanh formula.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.GELU()(cn.tensor([0.0])).tolist()
    [0.0]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ConvnetValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (also called swish).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.SiLU()(cn.tensor([0.0])).tolist()
    [0.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Tanh(Module):
    """Hyperbolic tangent, squashing to (-1, 1).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Tanh()(cn.tensor([0.0])).tolist()
    [0.0]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), squashing to (0, 1).

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Sigmoid()(cn.tensor([0.0])).tolist()
    [0.5]
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Softmax(Module):
    """exp(x) normalised to sum to one along `dim`: class probabilities from logits.

    >>> import convnet as cn, convnet.nn as nn
    >>> nn.Softmax(dim=1)(cn.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim`, computed stably (pair it with NLLLoss).

    >>> import convnet as cn, convnet.nn as nn
    >>> round(nn.LogSoftmax(dim=1)(cn.zeros(1, 2))[0, 0].item(), 4)
    -0.6931
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
