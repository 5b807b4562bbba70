"""Weight initialisation, as in ``torch.nn.init``: every function fills a tensor in place
(without recording gradients) and returns it. Random draws come from convnet's seeded
generator, so ``convnet.manual_seed(s)`` makes them repeatable.

Why the scale matters: a layer with `fan_in` inputs sums that many products, so weights of
standard deviation 1/sqrt(fan_in) keep the variance of activations roughly constant from
layer to layer (LeCun); Xavier/Glorot balances the forward and backward passes with
2/(fan_in + fan_out); Kaiming/He multiplies by the `gain` of the nonlinearity (sqrt(2) for
ReLU, which zeroes half its inputs).

>>> import convnet as cn, convnet.nn as nn
>>> w = cn.empty(64, 3, 3, 3)
>>> _ = nn.init.kaiming_normal_(w, nonlinearity="relu")
>>> abs(float(w.std()) - (2 / 27) ** 0.5) < 0.02
True
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError
from ..random import default_generator

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale the weights' standard deviation for a nonlinearity.

    linear, conv and sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu with slope a
    (default 0.01): sqrt(2 / (1 + a^2)); selu: 3/4.

    >>> import convnet.nn as nn
    >>> round(nn.init.calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ConvnetValueError(f"calculate_gain: the negative slope of leaky_relu must be a number, "
                                    f"got {param!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ConvnetValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of "
        f"{', '.join(_LINEAR)}, tanh, relu, leaky_relu, selu"
    )


def _fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(inputs, outputs) per unit of a weight: shape[1] and shape[0] times the kernel area.

    For a conv weight (out, in/groups, kh, kw): fan_in = in/groups * kh * kw. A transposed
    conv weight is stored (in, out/groups, kh, kw), so its "fan_in" counts out/groups; PyTorch
    computes it the same way and convnet keeps that for identical default initialisations.
    """
    if tensor.ndim < 2:
        raise ShapeError(
            f"fan in and fan out need a weight of at least 2 dimensions (out, in, ...), got shape "
            f"{tuple(tensor.shape)}; initialise biases with uniform_ or zeros_ instead"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ConvnetValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check_tensor(tensor: Any, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise ConvnetTypeError(f"init.{fn} expects a convnet Tensor or Parameter, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise ConvnetTypeError(f"init.{fn} fills floating-point tensors, this one is {tensor.dtype}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check_tensor(tensor, "uniform_")
    if b < a:
        raise ConvnetValueError(f"uniform_: the lower bound a={a} is above the upper bound b={b}")
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check_tensor(tensor, "normal_")
    if std < 0:
        raise ConvnetValueError(f"normal_: std must be non-negative, got {std}")
    with no_grad():
        return tensor.normal_(mean, std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value `val`."""
    _check_tensor(tensor, "constant_")
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D weight with the identity matrix (a Linear layer that passes inputs through)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ShapeError(f"eye_ needs a 2-D tensor, got shape {tuple(tensor.shape)}")
    with no_grad():
        return tensor.copy_(np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a conv weight (3-D to 5-D) so that the convolution copies its input channels:
    a single 1 at the kernel centre linking output channel d to input channel d (per group).
    """
    _check_tensor(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ShapeError(f"dirac_ needs a 3-D, 4-D or 5-D conv weight, got shape {tuple(tensor.shape)}")
    out_channels = tensor.shape[0]
    if groups < 1 or out_channels % groups:
        raise ConvnetValueError(f"dirac_: {out_channels} output channels (dimension 0) are not divisible "
                                f"by groups={groups}")
    per_group = out_channels // groups
    d = np.arange(min(per_group, tensor.shape[1]))
    rows = (np.arange(groups)[:, None] * per_group + d[None, :]).ravel()
    cols = np.tile(d, groups)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    values = np.zeros(tensor.shape)
    values[(rows, cols, *centre)] = 1.0
    with no_grad():
        return tensor.copy_(values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """gain / sqrt(fan), or None (with a warning) for a tensor with no elements."""
    if tensor.numel() == 0:
        warnings.warn("initialising a tensor with no elements does nothing", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    `mode` "fan_in" preserves the variance of activations going forward, "fan_out" of
    gradients going back. Conv and Linear layers start with ``a=sqrt(5)``, which gives
    b = 1 / sqrt(fan_in).

    >>> import convnet as cn, convnet.nn as nn
    >>> w = nn.init.kaiming_uniform_(cn.empty(16, 9), nonlinearity="relu")
    >>> bool((w.abs() <= (6 / 9) ** 0.5).all())
    True
    """
    _check_tensor(tensor, "kaiming_uniform_")
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    _check_tensor(tensor, "kaiming_normal_")
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> Tensor:
    """Fill with N(mean, std^2) conditioned on [a, b]: draws outside are redrawn.

    The bounds are absolute values (not multiples of std), as in PyTorch.
    """
    _check_tensor(tensor, "trunc_normal_")
    if std <= 0 or not a < b:
        raise ConvnetValueError(f"trunc_normal_ needs std > 0 and a < b, got std={std}, a={a}, b={b}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass < 1e-6:
        raise ConvnetValueError(
            f"trunc_normal_: [{a}, {b}] holds only {mass:.2g} of the probability of "
            f"N({mean}, {std}^2); choose bounds closer to the mean"
        )
    rng = default_generator()
    n = tensor.numel()
    kept = np.empty(0)
    while kept.size < n:
        draws = rng.normal(mean, std, size=int((n - kept.size) / mass * 1.1) + 16)
        kept = np.concatenate([kept, draws[(draws >= a) & (draws <= b)]])
    with no_grad():
        return tensor.copy_(kept[:n].reshape(tensor.shape))


# ---------------------------------------------------------------- skipping initialisation
_skip = [False]


@contextmanager
def skip_init() -> Iterator[None]:
    """Inside this block every function here leaves its tensor as it is (new layers: zeros).

    For models whose weights are about to be loaded, or do not matter (summaries, shape
    checks): building VGG-16 drops from seconds to a fraction of one.

    >>> import convnet.nn as nn
    >>> with nn.init.skip_init():
    ...     layer = nn.Linear(3, 2)
    >>> float(abs(layer.weight).sum())
    0.0
    """
    previous = _skip[0]
    _skip[0] = True
    try:
        yield
    finally:
        _skip[0] = previous


def _skippable(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    @functools.wraps(fn)
    def wrapper(tensor: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return tensor if _skip[0] else fn(tensor, *args, **kwargs)

    return wrapper


for _name in ("uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_", "xavier_uniform_",
              "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_"):
    globals()[_name] = _skippable(globals()[_name])
