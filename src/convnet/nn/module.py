"""`Module`: the base class of every layer and model, with PyTorch's semantics.

A Module owns three kinds of state, registered by plain attribute assignment:

* parameters (`Parameter`), which the optimizer updates;
* buffers (tensors registered with `register_buffer`), state that is saved but not learnt,
  such as BatchNorm's running statistics;
* sub-modules, which makes a model a tree: ``features.0.weight`` is the name of the weight
  of the first child of the child ``features``.

``state_dict()`` lists that state under those dotted names, in the same order and with the
same names as PyTorch, so weights move between the two libraries as NumPy arrays.
Forward hooks see every layer's input and output, which is how `convnet.viz` looks inside.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, Self

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..errors import ConvnetTypeError, ConvnetValueError
from .parameter import Parameter

_hook_ids = itertools.count()


class RemovableHandle:
    """What `register_forward_hook` and `register_forward_pre_hook` return: call `remove()`
    to unregister the hook (or use the handle as a context manager).

    >>> import convnet as cn, convnet.nn as nn
    >>> layer = nn.ReLU()
    >>> with layer.register_forward_hook(lambda m, args, out: print("ran")):
    ...     _ = layer(cn.ones(1))
    ran
    """

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self.id = next(_hook_ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns: the keys it could not match, in each direction."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class StateDictError(ConvnetValueError, RuntimeError):
    """A state_dict that does not fit the model (a RuntimeError, as in PyTorch, and a ValueError)."""


def _indent(text: str, spaces: int = 2) -> str:
    """Indent every line of `text` but the first."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(" " * spaces + line for line in rest)])


def _check_name(module: Module, name: Any, kind: str, registry: dict[str, Any]) -> None:
    if not isinstance(name, str):
        raise ConvnetTypeError(f"{kind} name must be a string, got {type(name).__name__}")
    if "." in name:
        raise KeyError(f"{kind} name {name!r} cannot contain '.' (dots separate nested names)")
    if name == "":
        raise KeyError(f"{kind} name cannot be the empty string")
    if name not in registry and hasattr(module, name):
        raise KeyError(f"attribute {name!r} already exists on {type(module).__name__}; choose "
                       f"another {kind} name")


def _as_array(value: Any) -> np.ndarray | None:
    """The numeric array held by a state_dict value (a Tensor, or anything NumPy can read:
    arrays, numbers, CPU tensors of other libraries), else None."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, bool | str | bytes):
        return None
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return arr if arr.dtype.kind in "fiub" else None


def _type_name(value: Any) -> str:
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class Module:
    """Base class of layers and models: subclass it, assign layers in ``__init__``, and
    define ``forward``. Call the module (not ``forward``) so that hooks run.

    >>> import convnet as cn
    >>> import convnet.nn as nn
    >>> class TinyNet(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.conv = nn.Conv2d(1, 4, 3, padding=1)
    ...         self.fc = nn.Linear(4 * 8 * 8, 10)
    ...     def forward(self, x):
    ...         return self.fc(self.conv(x).relu().flatten(1))
    >>> net = TinyNet()
    >>> net(cn.randn(2, 1, 8, 8)).shape
    (2, 10)
    >>> list(net.state_dict())
    ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _forward_pre_hooks: dict[int, Callable[..., Any]]
    _forward_hooks: dict[int, Callable[..., Any]]

    def __init__(self) -> None:
        setattr_ = super().__setattr__
        setattr_("training", True)
        setattr_("_parameters", {})
        setattr_("_buffers", {})
        setattr_("_non_persistent_buffers_set", set())
        setattr_("_modules", {})
        setattr_("_forward_pre_hooks", {})
        setattr_("_forward_hooks", {})

    # ---------------------------------------------------------------- forward and hooks
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define `def forward(self, x)` in the class"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            new_args = hook(self, args)
            if new_args is not None:
                args = new_args if isinstance(new_args, tuple) else (new_args,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new_output = hook(self, args, output)
            if new_output is not None:
                output = new_output
        return output

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple], Any]) -> RemovableHandle:
        """Run ``hook(module, args)`` before every forward; a non-None result replaces args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after every forward; a non-None result replaces
        the output. Returns a handle whose ``remove()`` unregisters it.

        >>> import convnet as cn, convnet.nn as nn
        >>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
        >>> shapes = {}
        >>> handles = [m.register_forward_hook(lambda m, a, out, n=n: shapes.update({n: out.shape}))
        ...            for n, m in model.named_children()]
        >>> _ = model(cn.randn(1, 1, 5, 5))
        >>> shapes
        {'0': (1, 2, 3, 3), '1': (1, 2, 3, 3)}
        >>> for h in handles: h.remove()
        """
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---------------------------------------------------------------- registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one, such as ``bias=False``)."""
        _check_name(self, name, "parameter", self._registry("_parameters"))
        if param is not None and not isinstance(param, Parameter):
            raise ConvnetTypeError(
                f"cannot register a {type(param).__name__} as parameter {name!r}: wrap it as "
                "nn.Parameter(tensor), or use register_buffer for state that is not learnt"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (saved in state_dict if persistent).

        >>> import convnet as cn, convnet.nn as nn
        >>> m = nn.Module()
        >>> m.register_buffer("count", cn.zeros(1))
        >>> list(m.state_dict())
        ['count']
        """
        _check_name(self, name, "buffer", self._registry("_buffers"))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise ConvnetTypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under `name` (same as assigning ``self.name = module``)."""
        _check_name(self, name, "module", self._registry("_modules"))
        if module is not None and not isinstance(module, Module):
            raise ConvnetTypeError(f"child module {name!r} must be a Module or None, "
                                   f"got {type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    def _registry(self, attr: str) -> dict[str, Any]:
        """The registry `attr`, or an error that explains a skipped Module.__init__."""
        registry = self.__dict__.get(attr)
        if registry is None:
            raise AttributeError(f"cannot assign {attr.strip('_')} before Module.__init__() has run: "
                                 "call super().__init__() first in your __init__")
        return registry

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._forget(name, keep=self._registry("_parameters"))
            self.register_parameter(name, value)
        elif name in d.get("_parameters", ()):
            if value is not None:
                raise ConvnetTypeError(f"cannot assign a {type(value).__name__} to parameter {name!r}: "
                                       "give an nn.Parameter or None")
            self._parameters[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=self._registry("_modules"))
            self._modules[name] = value
        elif name in d.get("_modules", ()):
            if value is not None:
                raise ConvnetTypeError(f"cannot assign a {type(value).__name__} to child module "
                                       f"{name!r}: give a Module or None")
            self._modules[name] = None
        elif name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise ConvnetTypeError(f"cannot assign a {type(value).__name__} to buffer {name!r}: "
                                       "give a Tensor or None")
            self._buffers[name] = value
        else:
            super().__setattr__(name, value)

    def _forget(self, name: str, keep: dict[str, Any]) -> None:
        """Remove `name` from every registry but `keep` (where it is about to be stored, in
        place: replacing a layer keeps its position in the state_dict)."""
        for registry in (self.__dict__, self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails. Reads __dict__ directly so that copying a
        # half-built module (copy.deepcopy) cannot recurse.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        super().__delattr__(name)

    def __dir__(self) -> list[str]:
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules,
                *self._buffers]
        return sorted({k for k in keys if not k[0].isdigit()})

    # ---------------------------------------------------------------- traversal
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Every module of the tree, this one first (name ''), then depth-first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names (each module once)."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        owners = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                  else [(prefix, self)])
        seen: set[int] = set()
        for owner_prefix, owner in owners:
            for name, value in getattr(owner, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield _join(owner_prefix, name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers appears once.

        >>> import convnet.nn as nn
        >>> [name for name, _ in nn.Sequential(nn.Linear(2, 3)).named_parameters()]
        ['0.weight', '0.bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path such as ``"features.0"`` ('' is this module)."""
        module: Module = self
        walked = []
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                where = ".".join(walked) or type(self).__name__
                raise AttributeError(f"{where} has no sub-module {part!r}; its children are "
                                     f"{[n for n, _ in module.named_children()]}")
            walked.append(part)
            module = child
        return module

    # ---------------------------------------------------------------- modes and bulk changes
    def train(self, mode: bool = True) -> Self:
        """Set training mode (dropout active, batch statistics) here and in every sub-module."""
        if not isinstance(mode, bool):
            raise ConvnetValueError(f"train(mode) expects True or False, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Self:
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Turn gradient recording on or off for every parameter (freezing layers)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default), or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Self:
        """Call ``fn`` on every sub-module (children first) and then on this module.

        >>> import convnet.nn as nn
        >>> def init_linear(m):
        ...     if isinstance(m, nn.Linear):
        ...         nn.init.zeros_(m.bias)
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.ReLU()).apply(init_linear)
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Self:
        """Convert floating-point parameters and buffers to `dtype`, in place (the Parameter
        objects stay the same, so an optimizer built earlier still holds them).

        Accepts ``to(dtype)``, ``to(tensor)`` (its dtype), ``to("cpu")`` and the keyword forms.
        convnet runs on the CPU only.
        """
        for a in args:
            if isinstance(a, str):
                device = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            else:
                dtype = a
        if device is not None and str(device) != "cpu":
            raise ConvnetValueError(f"convnet computes on the CPU only; to({device!r}) is not possible. "
                                    "Use 'cpu' or leave the device out")
        if dtype is None:
            return self
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise ConvnetTypeError(f"Module.to() converts to floating-point dtypes only, got {dt}")
        for t in itertools.chain(self.parameters(), self.buffers()):
            if t.dtype.kind == "f":
                t.data = t.data.astype(dt)
                if t.grad is not None:
                    t.grad.data = t.grad.data.astype(dt)
        return self

    def float(self) -> Self:
        """Convert floating-point parameters and buffers to float32."""
        return self.to(np.float32)

    def double(self) -> Self:
        """Convert floating-point parameters and buffers to float64."""
        return self.to(np.float64)

    def cpu(self) -> Self:
        """No-op (convnet computes on the CPU), so code written for PyTorch runs unchanged."""
        return self

    # ---------------------------------------------------------------- state_dict
    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, in PyTorch's order: for each
        module its parameters, then its buffers, then its children's entries.

        Values share memory with the model (detached tensors; the objects themselves with
        ``keep_vars=True``): copy them to keep a snapshot.
        """
        out: OrderedDict[str, Tensor] = OrderedDict()
        self._save_state(out, prefix, keep_vars)
        return out

    def _save_state(self, out: OrderedDict[str, Tensor], prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child._save_state(out, prefix + name + ".", keep_vars)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the existing parameters and buffers, by name.

        Values may be Tensors or NumPy arrays (or anything ``np.asarray`` reads):
        ``{k: v.detach().numpy() for k, v in torch_model.state_dict().items()}`` from an
        equivalent PyTorch model loads unchanged.
        Everything is checked before anything is copied. With ``strict`` (default) a missing
        or unexpected key is an error; a wrong shape always is. The error lists every problem.
        Returns ``(missing_keys, unexpected_keys)``.

        >>> import convnet.nn as nn
        >>> a, b = nn.Linear(3, 2), nn.Linear(3, 2)
        >>> b.load_state_dict(a.state_dict())
        <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise ConvnetTypeError(f"load_state_dict expects a mapping from names to tensors or arrays, "
                                   f"got {type(state_dict).__name__}")
        targets = self.state_dict(keep_vars=True)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict and missing:
            problems.append("missing keys (in the model, not in the state_dict): "
                            + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("unexpected keys (in the state_dict, not in the model): "
                            + ", ".join(map(repr, unexpected)))
        arrays = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            arr = _as_array(state_dict[key])
            if arr is None:
                problems.append(f"{key!r} holds a {_type_name(state_dict[key])}; expected a "
                                "Tensor or a NumPy array of numbers")
            elif arr.shape != target.shape:
                problems.append(f"shape mismatch for {key!r}: the state_dict has {arr.shape}, "
                                f"the model has {target.shape}")
            else:
                arrays[key] = arr
        if problems:
            hint = ("load with strict=False to skip missing and unexpected keys; shapes must "
                    "always match" if strict and (missing or unexpected) else
                    "shapes must match: is this state_dict from the same architecture?")
            raise StateDictError(f"cannot load the state_dict into {type(self).__name__}:\n  "
                                 + "\n  ".join(problems) + f"\n({hint})")
        with no_grad():
            for key, arr in arrays.items():
                targets[key].copy_(arr)
        return IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): {_indent(repr(child))}" for name, child in self._modules.items()]
        if not children and len(lines) <= 1:
            return f"{self._get_name()}({extra})"
        body = "\n  ".join(lines + children)
        return f"{self._get_name()}(\n  {body}\n)"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
