"""`Optimizer`: the bookkeeping every update rule shares (parameter groups, state, saving).

An optimizer holds ``param_groups``, a list of dicts: each has ``"params"`` (a list of
leaf tensors) and the group's hyperparameters (``"lr"``, ``"momentum"``, ...), filled in
from the constructor's defaults where the group does not set its own. ``state`` maps each
parameter to its own dict of buffers (momentum, moving averages, step count).

A subclass only says how one parameter moves: it implements
``_update(param, grad, state, group)``, which changes the NumPy array ``param`` in place
from the gradient array ``grad`` (read-only: it may be shared with other tensors), or
``_update_group(params, grads, group)`` to move a whole group at once (SGD and Adam do,
in one pass of the kernels over all parameters). The base class's ``step()`` walks the
groups, skips parameters without a gradient, runs the update under ``no_grad()``, and then
calls ``p.enforce_constraints()`` on every updated parameter that has it, so entries that
`convnet.nn` constraints fix or tie stay exactly as declared whatever the learning rate,
momentum or weight decay.

State dict format
-----------------
``state_dict()`` returns the same structure as PyTorch's, with NumPy arrays in place of
tensors, so it can be stored without pickle::

    {
        "state": {                      # only parameters that have been updated
            0: {"step": 20,             # Python numbers stay Python numbers
                "exp_avg": ndarray,     # arrays are copies, same shape and dtype as param 0
                "exp_avg_sq": ndarray},
            1: {...},
        },
        "param_groups": [               # one dict per group, in order
            {"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]},
            {"lr": 0.01, ..., "params": [2]},
        ],
    }

Parameters are numbered 0, 1, 2, ... in the order they appear across the groups; the
numbers, not the tensors, are saved. In a safetensors file, store each array as a tensor
named ``"state.{index}.{name}"`` and everything else (the numbers and ``param_groups``) as
JSON text in the metadata. ``load_state_dict`` accepts what such a round trip gives back:
state keys as strings (``"0"``), tuples as lists, and numbers as 0-d arrays. It checks
that the group count, each group's parameter count and every array's shape match this
optimizer before changing anything, and copies the arrays (cast to each parameter's
dtype), so one saved dict can be loaded many times.

>>> import convnet as cn
>>> from convnet.optim import SGD
>>> w = cn.tensor([1.0, -2.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> w.grad = cn.tensor([1.0, 1.0])
>>> opt.step()
>>> w
tensor([ 0.9, -2.1], requires_grad=True)
>>> sorted(opt.state_dict()["state"][0])
['momentum_buffer']
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import enable_grad, no_grad
from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of the optimizers: groups, per-parameter state, ``step``, saving and loading.

    ``params`` is an iterable of tensors, or of dicts ``{"params": [...], "lr": ...}`` that
    give some groups their own hyperparameters; ``defaults`` fills in the rest. To write an
    update rule, subclass and implement ``_update(param, grad, state, group)`` (NumPy
    arrays: change ``param`` in place, keep buffers in the ``state`` dict, never write
    into ``grad``); ``_check_group`` may be extended to validate the hyperparameters.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> a, b = cn.zeros(2, requires_grad=True), cn.zeros(3, requires_grad=True)
    >>> opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.5]
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._step_calls = 0  # read by lr_scheduler to warn when it is stepped first
        if isinstance(params, Tensor):
            raise ConvnetTypeError(
                f"{type(self).__name__} expects an iterable of tensors (or of parameter-group "
                "dicts), but got a single Tensor; wrap it in a list: [tensor]"
            )
        # A set is passed on as one group, so that add_param_group explains why it will not do.
        groups = [{"params": params}] if isinstance(params, set | frozenset) else list(params)
        if not groups:
            raise ConvnetValueError(
                "optimizer got an empty parameter list: pass the tensors to train, for example "
                "model.parameters() (a generator can only be used once, so make a new one)"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the rest from the defaults).

        Useful to train layers that were frozen, or to give part of a model its own lr.
        """
        index = len(self.param_groups)
        if not isinstance(param_group, dict):
            raise ConvnetTypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ConvnetValueError(f"parameter group {index} has no 'params' entry: {{'params': [...], ...}}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise ConvnetTypeError(
                f"parameter group {index}: parameters must come in a fixed order (a list or a "
                "tuple), not a set, so that their numbers in state_dict() are the same every run"
            )
        else:
            params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(params):
            _check_param(p, i, index)
            if id(p) in seen:
                raise ConvnetValueError(f"parameter {i} of group {index} appears twice in that group")
            seen.add(id(p))
        for j, other in enumerate(self.param_groups):
            if any(id(q) in seen for q in other["params"]):
                raise ConvnetValueError(
                    f"some parameters appear in more than one parameter group (group {index} "
                    f"shares parameters with group {j}); give each tensor to exactly one group"
                )
        group = {key: value for key, value in param_group.items() if key != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self._check_group(group, index)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any], index: int) -> None:
        """Raise ValueError for an invalid hyperparameter (subclasses extend this)."""
        self._check_nonnegative(group, index, "lr")

    def _check_nonnegative(self, group: dict[str, Any], index: int, *names: str) -> None:
        for name in names:
            value = group[name]
            if not value >= 0:
                hint = "; to climb the objective instead, pass maximize=True" if name == "lr" else ""
                raise ConvnetValueError(
                    f"{type(self).__name__}: {name} must be >= 0, got {value!r} "
                    f"(parameter group {index}){hint}"
                )

    def _params(self) -> Iterable[Tensor]:
        for group in self.param_groups:
            yield from group["params"]

    # ---------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None, or to new zero tensors.

        New arrays are made rather than zeroing in place, as a gradient array may be shared.
        """
        for p in self._params():
            if p.grad is not None:
                p.grad = None if set_to_none else Tensor(np.zeros_like(p.grad.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with gradients on).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if not params:
                    continue
                self._update_group(params, [_grad_array(p) for p in params], group)
                for p in params:
                    enforce = getattr(p, "enforce_constraints", None)
                    if enforce is not None:
                        enforce()
        self._step_calls += 1
        return loss

    def _update_group(self, params: list[Tensor], grads: list[np.ndarray], group: dict[str, Any]) -> None:
        """Update the parameters of one group that have gradients. By default one at a time
        with `_update`; SGD and Adam update the whole group in one call to the kernels."""
        for p, g in zip(params, grads, strict=True):
            self._update(p.data, g, self.state[p], group)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must implement _update(param, grad, state, group)"
        )

    # ---------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the state and hyperparameters (see the module docstring for the format)."""
        numbers: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [numbers.setdefault(id(p), len(numbers)) for p in group["params"]]
            groups.append(packed)
        state = {
            numbers[id(p)]: {key: copy.deepcopy(value) for key, value in self.state[p].items()}
            for p in self._params()
            if self.state.get(p)
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot made by ``state_dict()`` of an optimizer over the same parameters.

        Everything is checked before anything changes; on a mismatch, ValueError says what
        differs.
        """
        name = type(self).__name__
        missing = {"state", "param_groups"} - set(state_dict)
        if missing:
            raise ConvnetValueError(
                f"{name}.load_state_dict: the dict has no {sorted(missing)} entry; pass what "
                "optimizer.state_dict() returned"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ConvnetValueError(
                f"{name}.load_state_dict: the saved optimizer has {len(saved_groups)} parameter "
                f"groups but this one has {len(self.param_groups)}; build it with the same groups"
            )
        by_number: dict[int, Tensor] = {}
        groups = []
        for index, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            numbers = list(saved["params"])
            if len(numbers) != len(group["params"]):
                raise ConvnetValueError(
                    f"{name}.load_state_dict: saved parameter group {index} has {len(numbers)} "
                    f"parameters but this optimizer's group {index} has {len(group['params'])}; "
                    "the saved optimizer was built over a different model"
                )
            by_number.update(zip((int(n) for n in numbers), group["params"], strict=True))
            restored = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k != "params"}
            for key, value in group.items():
                restored.setdefault(key, value)
            restored["params"] = group["params"]
            self._check_group(restored, index)
            groups.append(restored)
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            number = int(key)
            if number not in by_number:
                raise ConvnetValueError(
                    f"{name}.load_state_dict: the saved state has an entry for parameter {number}, "
                    "which none of the saved parameter groups lists"
                )
            p = by_number[number]
            state[p] = {k: _restore_value(v, p, number, k) for k, v in saved_state.items()}
        self.param_groups = groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join([*lines, ")"])


def _check_param(p: Any, i: int, group: int) -> None:
    where = f"parameter {i} of group {group}"
    if not isinstance(p, Tensor):
        hint = (" (named_parameters() gives (name, tensor) pairs: pass model.parameters())"
                if isinstance(p, tuple) else "")
        raise ConvnetTypeError(f"optimizers update Tensors, but {where} is a {type(p).__name__}{hint}")
    if not p.is_floating_point():
        raise ConvnetTypeError(f"{where} has dtype {p.dtype}; only floating-point tensors can be optimized")
    if not p.is_leaf:
        raise ConvnetValueError(
            f"can't optimize a non-leaf tensor: {where} was computed by an operation "
            f"({p.grad_fn.name}); optimize the tensors it was computed from, or make a new leaf "
            "with t.detach().requires_grad_()"
        )


def _grad_array(p: Tensor) -> np.ndarray:
    grad = p.grad.data
    if grad.shape != p.shape:
        raise ShapeError(
            f"a parameter of shape {p.shape} has a gradient of shape {grad.shape}; a gradient "
            "must have its parameter's shape"
        )
    return grad if grad.dtype == p.dtype else grad.astype(p.dtype)


def _restore_value(value: Any, p: Tensor, number: int, key: str) -> Any:
    """A state entry for parameter `p`, copied: arrays of p's shape (and dtype), or numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float):
        return value
    arr = np.asarray(value)
    if arr.shape == p.shape:
        return np.array(arr, dtype=p.dtype)
    if arr.ndim == 0:
        return arr.item()
    raise ShapeError(
        f"load_state_dict: state '{key}' of parameter {number} has shape {arr.shape} but the "
        f"parameter has shape {p.shape}; the saved optimizer was built over a different model"
    )


# ---------------------------------------------------------------- arithmetic the update rules share
def _regularized_grad(param: np.ndarray, grad: np.ndarray, weight_decay: float,
                      maximize: bool) -> np.ndarray:
    """The gradient to descend: ``grad`` (negated to maximize) plus L2 ``weight_decay * param``.

    Returns ``grad`` itself when there is nothing to add, else a new array the caller owns.
    """
    if weight_decay:
        d = np.multiply(param, weight_decay)
        if maximize:
            d -= grad
        else:
            d += grad
        return d
    return np.negative(grad) if maximize else grad


def _zeros_state(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """``state[key]``, first made as zeros shaped like ``like`` (buffers start at zero)."""
    if key not in state:
        state[key] = np.zeros_like(like)
    return state[key]


def _lerp_(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray) -> None:
    """``start += weight * (end - start)`` in place (a moving average), rounded as PyTorch's lerp.

    Small weights add the step to ``start``; large ones subtract the rest from ``end``.
    """
    np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1.0 - weight
        np.subtract(end, scratch, out=start)
