"""Containers: `Sequential` (a pipeline), `ModuleList` and `ModuleDict` (registered collections)."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self

from ...errors import ConvnetTypeError
from ..module import Module, _indent
from .activation import ReLU


class _IndexedModules(Module):
    """Modules stored under the keys "0", "1", ...: indexing, slicing, len, iteration, editing."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def _position(self, idx: Any) -> int:
        n = len(self)
        i = operator.index(idx)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} of length {n}")
        return i % n

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return list(self._modules.values())[self._position(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, list(self._modules)[self._position(idx)], module)

    def __delitem__(self, idx: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[self._position(idx)]
        self._renumber(modules)

    def append(self, module: Module) -> Self:
        """Add `module` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Add each of `modules` at the end, in order."""
        if isinstance(modules, Module) and not isinstance(modules, _IndexedModules):
            raise ConvnetTypeError(f"{type(self).__name__}.extend expects an iterable of modules, got a "
                                   f"single {type(modules).__name__}: use append()")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Self:
        """Insert `module` before position `index` (negative counts from the end)."""
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"insert index {index} is out of range for length {n}")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def pop(self, idx: int = -1) -> Module:
        """Remove the module at `idx` and return it."""
        module = self[idx]
        del self[idx]
        return module


class Sequential(_IndexedModules):
    """Chain modules: the output of each is the input of the next.

    Build it from modules (named "0", "1", ...) or from one OrderedDict of named modules.
    Supports indexing (also negative), slicing (a new Sequential sharing the layers), len,
    iteration and append.

    >>> import convnet as cn, convnet.nn as nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    >>> model(cn.randn(2, 1, 8, 8)).shape
    (2, 10)
    >>> model[-1]
    Linear(in_features=144, out_features=10, bias=True)
    >>> len(model[:2])
    2
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            Module.__init__(self)
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            super().__init__(args)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, input: Any) -> Any:
        modules = list(self)
        i = 0
        while i < len(modules):
            if i + 1 < len(modules) and _fuses_relu(modules[i], modules[i + 1]):
                input = modules[i].forward_relu(input)      # a layer and the ReLU after it, one pass
                i += 2
            else:
                input = modules[i](input)
                i += 1
        return input


def _fuses_relu(layer: Module, after: Module) -> bool:
    """Whether `layer` can absorb the ReLU module `after` it: it offers forward_relu (Conv2d
    does), and no hook would miss the value between them."""
    return (type(after) is ReLU and hasattr(layer, "forward_relu")
            and not (layer._forward_pre_hooks or layer._forward_hooks
                     or after._forward_pre_hooks or after._forward_hooks))


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (a plain Python list would hide them).

    >>> import convnet.nn as nn
    >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    >>> len(list(blocks.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(() if modules is None else modules)

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def __repr__(self) -> str:
        # consecutive identical entries are shown once, as "(0-2): 3 x Linear(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{self._get_name()}()"
        runs: list[list[Any]] = []                                   # [first, last, text]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [_indent(f"({a}): {t}" if a == b else f"({a}-{b}): {b - a + 1} x {t}")
                 for a, b, t in runs]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, keeping insertion order.

    >>> import convnet.nn as nn
    >>> heads = nn.ModuleDict({"digits": nn.Linear(8, 10), "parity": nn.Linear(8, 2)})
    >>> heads["parity"]
    Linear(in_features=8, out_features=2, bias=True)
    >>> list(heads)
    ['digits', 'parity']
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"{key!r} is not in this ModuleDict; its keys are {list(self._modules)}")
        return self._modules[key]  # type: ignore[return-value]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())  # type: ignore[arg-type]

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())  # type: ignore[arg-type]

    def pop(self, key: str) -> Module:
        """Remove the module under `key` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) modules from a mapping or from (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for j, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ConvnetTypeError(f"ModuleDict.update: element {j} should be a (key, module) pair, "
                                       f"got {pair!r}")
            self[pair[0]] = pair[1]

