"""Look into a model from outside: find its layers by name, record what they output (forward
hooks), and take the gradient of chosen activations with respect to the input.

>>> import convnet as cn, convnet.nn as nn
>>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
>>> maps = capture(model, np.zeros((1, 1, 5, 5), np.float32), ["0"])
>>> maps["0"].shape
(1, 2, 3, 3)
>>> get_layer(model, "2")
Traceback (most recent call last):
...
convnet.errors.ConvnetValueError: no layer named '2' in Sequential; its layers are: 0 (Conv2d), 1 (ReLU)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import enable_grad, no_grad
from ..errors import ConvnetValueError
from ..nn import Conv2d, Module
from ..nn.utils import layer_trace


def layer_names(model: Module) -> list[str]:
    """Dotted names of every layer and block of `model` (not the model itself), in order."""
    return [name for name, m in model.named_modules() if m is not model]


def get_layer(model: Module, name: str) -> Module:
    """The layer called `name` (as in ``named_modules``), or an error listing every name."""
    found = dict(model.named_modules())
    if name and name in found:
        return found[name]
    listing = ", ".join(f"{n} ({type(found[n]).__name__})" for n in layer_names(model))
    raise ConvnetValueError(f"no layer named {name!r} in {type(model).__name__}; its layers are: {listing}")


def conv_layers(model: Module) -> list[tuple[str, Conv2d]]:
    """(name, layer) for every Conv2d in `model`, in order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Conv2d)]


def check_channels(model: Module, channels: int, what: str = "the image") -> None:
    """Raise a clear error when `channels` does not match the first convolution's input channels."""
    convs = conv_layers(model)
    if convs and convs[0][1].in_channels != channels:
        name, conv = convs[0]
        raise ConvnetValueError(
            f"{what} has {channels} channel(s) but the model's first convolution ({name}) takes "
            f"{conv.in_channels}: give a {'grayscale' if conv.in_channels == 1 else 'colour'} image "
            "or one prepared for this model"
        )


def capture(model: Module, x: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Outputs of the layers `names` when `model` (in eval mode) runs on the batch `x` (N, C, H, W).

    Forward hooks record each layer's output (its first call, for layers run twice); the
    model's own mode is restored afterwards.
    """
    layers = {n: get_layer(model, n) for n in names}
    check_channels(model, x.shape[1])
    seen: dict[str, np.ndarray] = {}

    def keep(name: str) -> Callable[[Module, tuple, Any], None]:
        def hook(module: Module, args: tuple, out: Any) -> None:
            t = out[0] if isinstance(out, tuple) else out
            seen.setdefault(name, t.numpy().copy())
        return hook

    handles = [m.register_forward_hook(keep(n)) for n, m in layers.items()]
    was_training = model.training
    model.eval()
    try:
        with no_grad(), layer_trace(model):
            model(Tensor(np.ascontiguousarray(x, dtype=np.float32)))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    missing = [n for n in names if n not in seen]
    if missing:
        raise ConvnetValueError(f"layer(s) {', '.join(missing)} did not run in the forward pass")
    return {n: seen[n] for n in names}


class _Reached(Exception):
    """Raised by a hook to stop the forward pass once the layer we want has run."""

    def __init__(self, output: Tensor) -> None:
        super().__init__()
        self.output = output


def input_gradient(model: Module, layer: str, x: np.ndarray,
                   weights: np.ndarray | Callable[[tuple[int, ...]], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The layer's output on `x`, and the gradient with respect to `x` of sum(output * weights).

    `weights` has the output's shape (or is a function of that shape returning it): a
    one-hot array picks one activation, a channel mask averages a feature map. The pass
    stops at `layer` and runs in eval mode. Returns (output, gradient), both NumPy.

    >>> import convnet as cn, convnet.nn as nn
    >>> model = nn.Sequential(nn.Conv2d(1, 1, 3, bias=False))
    >>> with cn.no_grad():
    ...     _ = model[0].weight.fill_(1.0)
    >>> out, grad = input_gradient(model, "0", np.zeros((1, 1, 5, 5), np.float32),
    ...                            lambda shape: np.eye(1, 9).reshape(shape))
    >>> grad[0, 0].astype(int).tolist()[:4]
    [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 0, 0]]
    """
    target = get_layer(model, layer)
    check_channels(model, x.shape[1])

    def stop(module: Module, args: tuple, out: Any) -> None:
        raise _Reached(out[0] if isinstance(out, tuple) else out)

    handle = target.register_forward_hook(stop)
    was_training = model.training
    params = list(model.parameters())
    learning = [p.requires_grad for p in params]
    model.eval()
    inp = Tensor(np.ascontiguousarray(x, dtype=np.float32), requires_grad=True)
    try:
        for p in params:                      # only the input's gradient is wanted: skip the weights'
            p.requires_grad_(False)
        with enable_grad(), layer_trace(model):
            model(inp)
        raise ConvnetValueError(f"layer {layer} did not run in the forward pass")
    except _Reached as reached:
        out = reached.output
        w = weights(out.shape) if callable(weights) else weights
        (out * Tensor(np.asarray(w, dtype=np.float32))).sum().backward()
    finally:
        handle.remove()
        model.train(was_training)
        for p, flag in zip(params, learning, strict=True):
            p.requires_grad_(flag)
    assert inp.grad is not None
    return out.numpy(), inp.grad.numpy()
