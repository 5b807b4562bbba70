"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch (or per batch, for `OneCycleLR`), after
``optimizer.step()``. A scheduler writes into ``optimizer.param_groups[i]["lr"]``; on
creation it records each group's starting rate as ``"initial_lr"`` (the ``base_lrs``) and
applies the schedule's value for epoch 0. The rates follow PyTorch's to the last bit,
including its recursive form of `CosineAnnealingLR` and `LinearLR` (each rate is computed
from the previous one), so a user changing ``lr`` by hand mid-run sees the same effect.

``state_dict()`` holds plain Python values (numbers, strings, lists, dicts): JSON can
store it. To resume, build the optimizer and scheduler as before, then load the
optimizer's state dict and then the scheduler's.

>>> import convnet as cn
>>> from convnet.optim import SGD
>>> from convnet.optim.lr_scheduler import StepLR
>>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     opt.step()          # (a real loop trains here)
...     sched.step()
...     lrs.append(sched.get_last_lr()[0])
>>> lrs
[1.0, 0.5, 0.5, 0.25, 0.25]
"""

from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, SupportsFloat

from ..errors import ConvnetTypeError, ConvnetValueError
from .optimizer import Optimizer


def _per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list or tuple as given (length checked), else repeated."""
    if isinstance(value, list | tuple):
        if len(value) != len(optimizer.param_groups):
            raise ConvnetValueError(
                f"{name} has {len(value)} values but the optimizer has {len(optimizer.param_groups)} "
                "parameter groups; give one value per group, or a single value for all"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class of the schedules: initial_lr bookkeeping, ``step()``, saving and loading.

    A subclass implements ``get_lr()``: the rates for epoch ``self.last_epoch`` (it may read
    the current ``group["lr"]`` to update recursively), and optionally
    ``_closed_form_lr()``: the same rates computed from ``base_lrs`` alone, used when
    `SequentialLR` hands over to it at a milestone. ``last_epoch`` is the index of the
    epoch whose rate is in use (0 after construction); pass it only to rebuild a scheduler
    at a known point, when every group already has its ``"initial_lr"``.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import LRScheduler
    >>> class Halving(LRScheduler):
    ...     def get_lr(self):
    ...         return [base / 2**self.last_epoch for base in self.base_lrs]
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = Halving(opt)
    >>> opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.5]
    """

    _not_saved: tuple[str, ...] = ("optimizer", "_is_initial")

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ConvnetTypeError(f"{type(self).__name__} schedules an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}(last_epoch={last_epoch}): parameter group {index} has no "
                        "'initial_lr'. To resume, load the optimizer's state_dict first (it keeps "
                        "initial_lr); to start a new run, leave last_epoch at -1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Apply the rate of the first epoch (run on creation, and by `SequentialLR`)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch ``last_epoch``; to read the rates in use, call ``get_last_lr()``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def _closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group, as last set by this scheduler."""
        return list(self._last_lr)

    def step(self) -> None:
        """Move to the next epoch and set its learning rates (call after ``optimizer.step()``)."""
        if self._step_count == 1 and not self._is_initial and self.optimizer._step_calls == 0:
            warnings.warn(
                "the learning-rate scheduler was stepped before the optimizer: call "
                "optimizer.step() first and scheduler.step() after it, or the first rate of the "
                "schedule is never used",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set the rates of the next epoch, or (closed form) those of epoch ``epoch``."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's progress and settings as plain Python values (not the optimizer)."""
        return {key: copy.deepcopy(value) for key, value in vars(self).items() if key not in self._not_saved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a ``state_dict()`` of a scheduler of the same kind."""
        missing = set(self.state_dict()) - set(state_dict)
        if missing:
            raise ConvnetValueError(
                f"{type(self).__name__}.load_state_dict: the dict lacks {sorted(missing)}; it was not "
                f"saved from a {type(self).__name__}"
            )
        self.__dict__.update(copy.deepcopy({k: v for k, v in state_dict.items() if k not in self._not_saved}))


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)``, with one function or one per parameter group.

    ``state_dict()`` keeps the attributes of callable objects, not functions or lambdas.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import LambdaLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.05]
    """

    _not_saved = (*LRScheduler._not_saved, "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
                               else copy.deepcopy(vars(fn)) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for fn, saved in zip(self.lr_lambdas, state_dict.get("lr_lambdas", []), strict=False):
            if saved is not None:
                vars(fn).update(copy.deepcopy(saved))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import StepLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=1, gamma=0.1)
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not step_size >= 1:
            raise ConvnetValueError(f"StepLR: step_size must be a positive number of epochs, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch listed in ``milestones``.

    A milestone listed twice multiplies by ``gamma`` twice.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import MultiStepLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[2, 3], gamma=0.5)
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        times = self.milestones.count(self.last_epoch)
        if times == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma**times for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** bisect_right(self.milestones, self.last_epoch) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = 1.0 if self._is_initial else self.gamma
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``initial_lr`` down to ``eta_min`` over ``T_max`` epochs.

    ``lr(t) = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``, computed
    recursively from the previous epoch's rate (as PyTorch does); past ``T_max`` it rises
    again, a cosine of period ``2 * T_max``.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> for _ in range(2):
    ...     opt.step(); sched.step()
    >>> round(sched.get_last_lr()[0], 12)
    0.0
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        if not T_max > 0:
            raise ConvnetValueError(f"CosineAnnealingLR: T_max must be a positive number of epochs, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and self.last_epoch > 0:  # rebuilt mid-run: no previous rate to follow
            return self._closed_form_lr()
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:  # the bottom: turn upwards
            rise = (1 - math.cos(math.pi / self.T_max)) / 2
            return [group["lr"] + (base - self.eta_min) * rise for base, group in zip(self.base_lrs, groups,
                                                                                      strict=True)]
        ratio = ((1 + math.cos(math.pi * self.last_epoch / self.T_max))
                 / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max)))
        return [ratio * (group["lr"] - self.eta_min) + self.eta_min for group in groups]

    def _closed_form_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor going linearly from ``start_factor`` to ``end_factor``.

    Over the first ``total_iters`` epochs; afterwards the rate stays at
    ``initial_lr * end_factor``. The usual warm-up: ``LinearLR(opt, start_factor=0.01,
    total_iters=5)``, often followed by another schedule through `SequentialLR`.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import LinearLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ConvnetValueError(
                f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}: the schedule starts at "
                "initial_lr * start_factor, and a zero rate could not be scaled back up"
            )
        if not 0 <= end_factor <= 1:
            raise ConvnetValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return [group["lr"] for group in groups]
        span = self.end_factor - self.start_factor
        factor = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [group["lr"] * factor for group in groups]

    def _closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * done)
                for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the epochs in ``milestones``.

    Scheduler ``i + 1`` takes over at epoch ``milestones[i]``, starting from its own epoch
    0. Build the schedulers on the same optimizer first; SequentialLR then restores the
    initial rates and replays the first scheduler's start.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import ExponentialLR, LinearLR, SequentialLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    _not_saved = (*LRScheduler._not_saved, "_schedulers")

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ConvnetValueError("SequentialLR needs at least one scheduler")
        for index, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ConvnetValueError(
                    f"SequentialLR: scheduler {index} is a ReduceLROnPlateau, whose step() needs the "
                    "validation metric; step it yourself after the sequence"
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ConvnetValueError(
                    f"SequentialLR: scheduler {index} ({type(scheduler).__name__}) schedules a different "
                    "optimizer; build every scheduler on the optimizer given to SequentialLR"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ConvnetValueError(
                f"SequentialLR: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones (the "
                f"epochs where each hands over to the next), got {len(milestones)}"
            )
        if list(milestones) != sorted(milestones):
            raise ConvnetValueError(f"SequentialLR: milestones must be increasing, got {list(milestones)}")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:  # undo the first step each made when it was built
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a fresh start for the scheduler taking over
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict["_schedulers"]
        if len(saved) != len(self._schedulers):
            raise ConvnetValueError(
                f"SequentialLR.load_state_dict: the saved sequence has {len(saved)} schedulers, this one "
                f"has {len(self._schedulers)}"
            )
        super().load_state_dict(state_dict)
        for scheduler, sub_state in zip(self._schedulers, saved, strict=True):
            scheduler.load_state_dict(sub_state)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith): warm up to ``max_lr``, then anneal far below the start.

    Step it after every batch, ``total_steps`` times in all (or ``epochs * steps_per_epoch``).
    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start``
    of the steps, then falls to ``max_lr / div_factor / final_div_factor``; with
    ``three_phase`` it first comes back down to the start, symmetrically, and only then falls.
    ``anneal_strategy`` shapes each phase: ``"cos"`` or ``"linear"``. With
    ``cycle_momentum``, momentum (SGD, RMSprop) or beta1 (Adam) moves the other way, between
    ``max_momentum`` and ``base_momentum``.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import OneCycleLR
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear")
    >>> sched.get_last_lr(), opt.param_groups[0]["momentum"]
    ([0.04], 0.95)
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: Literal["cos", "linear"] = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ConvnetTypeError(f"OneCycleLR schedules an Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            _check_positive_int("total_steps", total_steps)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_positive_int("epochs", epochs)
            _check_positive_int("steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ConvnetValueError("OneCycleLR needs total_steps, or both epochs and steps_per_epoch")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ConvnetValueError(
                f"OneCycleLR: pct_start is the fraction of steps spent warming up, a float in [0, 1]; "
                f"got {pct_start!r}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ConvnetValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', "
                                    f"got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        up = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        # Each phase: (last step, lr from, lr to, momentum from, momentum to), as param_group keys.
        if three_phase:
            self._phases = [
                [up, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                 "max_momentum"],
                [last, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self._phases = [
                [up, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [last, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, peak in zip(groups, _per_group("max_lr", optimizer, max_lr), strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ConvnetValueError(
                    f"OneCycleLR: cycle_momentum=True, but {type(optimizer).__name__} has neither momentum "
                    "nor betas; pass cycle_momentum=False"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                tops = _per_group("max_momentum", optimizer, max_momentum)
                bottoms = _per_group("base_momentum", optimizer, base_momentum)
                for group, top, bottom in zip(groups, tops, bottoms, strict=True):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ConvnetValueError(
                f"OneCycleLR was stepped {step} times, but total_steps is {self.total_steps}: make "
                "total_steps (or epochs * steps_per_epoch) match the number of batches you train on"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                start = end
        return lrs


def _check_positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or value <= 0:
        raise ConvnetValueError(f"OneCycleLR: {name} must be a positive integer, got {value!r}")


class ReduceLROnPlateau(LRScheduler):
    """Divide the learning rate when a metric has stopped improving for ``patience`` epochs.

    Call ``step(metric)`` with the validation loss (``mode="min"``) or accuracy
    (``mode="max"``). An epoch counts as an improvement when it beats the best so far by
    more than ``threshold`` (relative or absolute, ``threshold_mode``); after more than
    ``patience`` epochs without one, each ``lr`` becomes ``max(lr * factor, min_lr)``
    (changes smaller than ``eps`` are skipped), and ``cooldown`` epochs pass before bad
    epochs count again.

    >>> import convnet as cn
    >>> from convnet.optim import SGD
    >>> from convnet.optim.lr_scheduler import ReduceLROnPlateau
    >>> opt = SGD([cn.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for val_loss in [1.0, 0.9, 0.9, 0.9]:
    ...     sched.step(val_loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: Literal["rel", "abs"] = "rel",
                 cooldown: int = 0, min_lr: list[float] | float = 0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ConvnetTypeError(f"ReduceLROnPlateau schedules an Optimizer, got {type(optimizer).__name__}")
        if not factor < 1.0:
            raise ConvnetValueError(f"ReduceLROnPlateau: factor must be < 1 (it multiplies the lr), got {factor!r}")
        if mode not in ("min", "max"):
            raise ConvnetValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ConvnetValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                                    f"got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, value: float) -> bool:
        sign = 1.0 if self.mode == "max" else -1.0  # the direction of improvement
        if self.threshold_mode == "rel":
            bound = self.best * (1.0 + sign * self.threshold)
        else:
            bound = self.best + sign * self.threshold
        return value > bound if self.mode == "max" else value < bound

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record this epoch's metric, and reduce the rates if it has been stuck too long."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, floor)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
