"""Say which layer a forward pass failed in, with the shape it was given.

>>> import convnet as cn, convnet.nn as nn
>>> model = nn.Sequential(nn.Conv2d(1, 4, 5), nn.MaxPool2d(2), nn.Conv2d(4, 8, 5))
>>> try:
...     with layer_trace(model):
...         model(cn.zeros(1, 1, 10, 10))
... except LayerError as e:
...     print(str(e)[:70])
layer 2 (Conv2d) got input 4x3x3: conv2d (height): kernel 5 does not f
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..._tensor import Tensor
from ...errors import ConvnetValueError


class LayerError(ConvnetValueError):
    """A `ConvnetValueError` raised inside a layer, re-raised with the layer's name and input shape."""

    def __init__(self, name: str, kind: str, shape: tuple[int, ...] | None, message: str) -> None:
        where = f"layer {name or '(model)'} ({kind})"
        got = f" got input {'x'.join(map(str, shape[1:]))}" if shape else ""
        super().__init__(f"{where}{got}: {message}")
        self.name, self.kind, self.shape, self.message = name, kind, shape, message


@contextmanager
def layer_trace(model: Any) -> Iterator[None]:
    """While active, a `ConvnetValueError` from any submodule becomes a `LayerError` naming the
    innermost layer that was running and the (C, H, W) of its input."""
    stack: list[tuple[str, Any, tuple[int, ...] | None]] = []
    handles = []
    for name, module in model.named_modules():
        def pre(mod: Any, args: tuple, name: str = name) -> None:
            shape = args[0].shape if args and isinstance(args[0], Tensor) else None
            stack.append((name, mod, shape))

        def post(mod: Any, args: tuple, out: Any) -> None:
            stack.pop()

        handles += [module.register_forward_pre_hook(pre), module.register_forward_hook(post)]
    try:
        yield
    except LayerError:
        raise
    except ConvnetValueError as e:          # a user's mistake; any other error is a bug: left alone
        if not stack:
            raise
        name, mod, shape = stack[-1]
        raise LayerError(name, type(mod).__name__, shape, str(e)) from None
    finally:
        for h in handles:
            h.remove()
