"""The model registry: names, the papers they come from, and how to build them."""

from __future__ import annotations

import builtins
import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConvnetTypeError, ConvnetValueError
from ..nn.module import Module


@dataclass(frozen=True)
class ModelInfo:
    """What the zoo knows about one model."""

    name: str
    builder: Callable[..., Module]
    paper: str
    input_shape: tuple[int, int, int]           # canonical (C, H, W)
    num_classes: int
    family: str
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def in_channels(self) -> int:
        return self.input_shape[0]


_REGISTRY: dict[str, ModelInfo] = {}


def register(name: str, *, paper: str, input_shape: tuple[int, int, int], num_classes: int,
             family: str, **defaults: Any) -> Callable[[Callable[..., Module]], Callable[..., Module]]:
    """Decorator adding a builder function to the zoo under `name`."""

    def wrap(builder: Callable[..., Module]) -> Callable[..., Module]:
        if name in _REGISTRY:
            raise ConvnetValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = ModelInfo(name, builder, paper, input_shape, num_classes, family, defaults)
        return builder

    return wrap


def list_models() -> builtins.list[str]:
    """Names of every model in the zoo, in registration order."""
    return builtins.list(_REGISTRY)


def info(name: str) -> ModelInfo:
    """The zoo's record for `name` (paper, canonical input, class count)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name.lower(), list(_REGISTRY), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConvnetValueError(
            f"unknown model {name!r}{hint}; known models: {', '.join(_REGISTRY)}"
        ) from None


def create(name: str, **kwargs: Any) -> Module:
    """Build model `name`; with no arguments, in its published configuration.

    Common arguments: ``num_classes`` and ``in_channels``; others depend on the model
    (see its builder's docstring). The arguments used are kept on the model as
    ``model.spec = {"name": ..., "kwargs": {...}}``, so a checkpoint can rebuild it.

    >>> import convnet
    >>> model = convnet.models.create("lenet5")
    >>> sum(p.numel() for p in model.parameters())
    61706
    """
    record = info(name)
    params = inspect.signature(record.builder).parameters
    unknown = [k for k in kwargs if k not in params]
    if unknown:
        raise ConvnetTypeError(f"{name} does not take {', '.join(unknown)}; it takes: "
                               f"{', '.join(params)}")
    model = record.builder(**kwargs)
    model.spec = {"name": name, "kwargs": dict(kwargs)}
    return model
