"""Bad input to optimizers and schedulers: each error names the problem and, where it can, the fix."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pytest

import convnet as cn
import convnet.optim.lr_scheduler as L
from convnet import optim


def leaf(*shape: int) -> cn.Tensor:
    return cn.zeros(*shape, requires_grad=True)


class Plain(optim.Optimizer):
    """An optimizer with neither momentum nor betas (and the smallest possible update rule)."""

    def __init__(self, params, lr: float = 0.1) -> None:
        super().__init__(params, dict(lr=lr))

    def _update(self, param, grad, state, group) -> None:
        param -= group["lr"] * grad


SHARED = leaf(2)

OPTIMIZER_ERRORS = [
    (lambda: optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda: optim.Adam(iter(()), lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda: optim.SGD(leaf(2), lr=0.1), TypeError, "got a single Tensor; wrap it in a list"),
    (lambda: optim.SGD([leaf(2)], lr=-0.1), ValueError,
     "SGD: lr must be >= 0, got -0.1 (parameter group 0); to climb the objective instead, "
     "pass maximize=True"),
    (lambda: optim.Adam([leaf(2)], lr=-1.0), ValueError, "Adam: lr must be >= 0, got -1.0"),
    (lambda: optim.AdamW([leaf(2)], lr=-1.0), ValueError, "AdamW: lr must be >= 0, got -1.0"),
    (lambda: optim.RMSprop([leaf(2)], lr=-1.0), ValueError, "RMSprop: lr must be >= 0, got -1.0"),
    (lambda: optim.SGD([{"params": [leaf(2)]}, {"params": [leaf(1)], "lr": -2}], lr=0.1), ValueError,
     "SGD: lr must be >= 0, got -2 (parameter group 1)"),
    (lambda: optim.SGD([leaf(2)], lr=0.1, momentum=-0.9), ValueError, "SGD: momentum must be >= 0, got -0.9"),
    (lambda: optim.SGD([leaf(2)], lr=0.1, weight_decay=-1e-4), ValueError,
     "SGD: weight_decay must be >= 0, got -0.0001"),
    (lambda: optim.SGD([leaf(2)], lr=0.1, nesterov=True), ValueError,
     "SGD: nesterov=True needs momentum > 0 and dampening == 0, got momentum=0, dampening=0"),
    (lambda: optim.SGD([leaf(2)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov=True needs momentum > 0 and dampening == 0, got momentum=0.9, dampening=0.1"),
    (lambda: optim.Adam([leaf(2)], betas=(1.0, 0.999)), ValueError,
     "Adam: betas must be two numbers in [0, 1), got (1.0, 0.999) (parameter group 0)"),
    (lambda: optim.AdamW([leaf(2)], betas=(0.9, -0.1)), ValueError,
     "AdamW: betas must be two numbers in [0, 1)"),
    (lambda: optim.Adam([leaf(2)], betas=(0.9,)), ValueError,
     "betas must be two numbers in [0, 1), got (0.9,)"),
    (lambda: optim.Adam([leaf(2)], eps=-1e-8), ValueError, "Adam: eps must be >= 0, got -1e-08"),
    (lambda: optim.RMSprop([leaf(2)], eps=-1.0), ValueError, "RMSprop: eps must be >= 0, got -1.0"),
    (lambda: optim.RMSprop([leaf(2)], alpha=-0.5), ValueError, "RMSprop: alpha must be >= 0, got -0.5"),
    (lambda: optim.RMSprop([leaf(2)], momentum=-0.5), ValueError, "RMSprop: momentum must be >= 0, got -0.5"),
    (lambda: optim.SGD([{"params": [SHARED]}, {"params": [leaf(1), SHARED]}], lr=0.1), ValueError,
     "some parameters appear in more than one parameter group (group 1 shares parameters with group 0); "
     "give each tensor to exactly one group"),
    (lambda: optim.SGD([SHARED, SHARED], lr=0.1), ValueError,
     "parameter 1 of group 0 appears twice in that group"),
    (lambda: optim.SGD([leaf(2) * 2], lr=0.1), ValueError,
     "can't optimize a non-leaf tensor: parameter 0 of group 0 was computed by an operation"),
    (lambda: optim.SGD([np.zeros(2)], lr=0.1), TypeError,
     "optimizers update Tensors, but parameter 0 of group 0 is a ndarray"),
    (lambda: optim.SGD([("weight", leaf(2))], lr=0.1), TypeError,
     "named_parameters() gives (name, tensor) pairs: pass model.parameters()"),
    (lambda: optim.SGD([cn.tensor([1, 2])], lr=0.1), TypeError,
     "parameter 0 of group 0 has dtype int64; only floating-point tensors can be optimized"),
    (lambda: optim.SGD([{"params": {leaf(2)}}], lr=0.1), TypeError, "not a set"),
    (lambda: optim.SGD({leaf(2), leaf(1)}, lr=0.1), TypeError,
     "parameters must come in a fixed order (a list or a tuple), not a set"),
    (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "parameter group 0 has no 'params' entry"),
]


@pytest.mark.parametrize(("build", "error", "message"), OPTIMIZER_ERRORS,
                         ids=[m[:50] for _, _, m in OPTIMIZER_ERRORS])
def test_optimizer_construction_errors(build: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        build()


def test_gradient_of_the_wrong_shape() -> None:
    w = leaf(2, 3)
    w.grad = cn.zeros(3, 2)
    message = "a parameter of shape (2, 3) has a gradient of shape (3, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.SGD([w], lr=0.1).step()


def test_subclass_without_update_rule() -> None:
    class Incomplete(optim.Optimizer):
        pass

    w = leaf(1)
    w.grad = cn.ones(1)
    with pytest.raises(NotImplementedError, match=re.escape("Incomplete must implement _update(")):
        Incomplete([w], dict(lr=0.1)).step()


def _stepped_adam() -> tuple[optim.Adam, dict]:
    a, b = leaf(2, 2), leaf(3)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}])
    a.grad, b.grad = cn.ones(2, 2), cn.ones(3)
    opt.step()
    return opt, opt.state_dict()


def test_load_state_dict_group_count() -> None:
    _, saved = _stepped_adam()
    message = "the saved optimizer has 2 parameter groups but this one has 1"
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.Adam([leaf(2, 2), leaf(3)]).load_state_dict(saved)


def test_load_state_dict_parameter_count() -> None:
    _, saved = _stepped_adam()
    opt = optim.Adam([{"params": [leaf(2, 2), leaf(1)]}, {"params": [leaf(3)]}])
    with pytest.raises(ValueError, match=re.escape("saved parameter group 0 has 1 parameters but this "
                                                   "optimizer's group 0 has 2")):
        opt.load_state_dict(saved)


def test_load_state_dict_shape_mismatch_changes_nothing() -> None:
    _, saved = _stepped_adam()
    a, b = leaf(2, 2), leaf(4)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    with pytest.raises(ValueError, match=re.escape("state 'exp_avg' of parameter 1 has shape (3,) but the "
                                                   "parameter has shape (4,)")):
        opt.load_state_dict(saved)
    assert opt.param_groups[1]["lr"] == 0.5 and not opt.state


def test_load_state_dict_bad_dicts() -> None:
    opt, saved = _stepped_adam()
    with pytest.raises(ValueError, match=re.escape("the dict has no ['param_groups'] entry")):
        opt.load_state_dict({"state": {}})
    saved["state"][7] = saved["state"][0]
    with pytest.raises(ValueError, match="has an entry for parameter 7, which none of the saved"):
        opt.load_state_dict(saved)
    saved = opt.state_dict()
    saved["param_groups"][0]["betas"] = [0.9, 1.5]
    with pytest.raises(ValueError, match=re.escape("betas must be two numbers in [0, 1), got (0.9, 1.5)")):
        opt.load_state_dict(saved)


SCHEDULER_ERRORS = [
    (lambda o: L.StepLR("not an optimizer", step_size=2), TypeError,
     "StepLR schedules an Optimizer, got str"),
    (lambda o: L.StepLR(o, step_size=0), ValueError,
     "StepLR: step_size must be a positive number of epochs, got 0"),
    (lambda o: L.CosineAnnealingLR(o, T_max=0), ValueError,
     "T_max must be a positive number of epochs, got 0"),
    (lambda o: L.ExponentialLR(o, gamma=0.9, last_epoch=5), KeyError,
     "parameter group 0 has no 'initial_lr'. To resume, load the optimizer's state_dict first"),
    (lambda o: L.LinearLR(o, start_factor=0.0), ValueError,
     "LinearLR: start_factor must be in (0, 1], got 0.0"),
    (lambda o: L.LinearLR(o, end_factor=1.5), ValueError, "LinearLR: end_factor must be in [0, 1], got 1.5"),
    (lambda o: L.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]), ValueError,
     "lr_lambda has 2 values but the optimizer has 1 parameter groups"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1), ValueError,
     "OneCycleLR needs total_steps, or both epochs and steps_per_epoch"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError,
     "OneCycleLR: total_steps must be a positive integer, got 0"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=1.5), ValueError,
     "steps_per_epoch must be a positive integer, got 1.5"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "pct_start is the fraction of steps spent warming up, a float in [0, 1]; got 1.5"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="cosine"), ValueError,
     "anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda o: L.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=10), ValueError,
     "max_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda o: L.OneCycleLR(Plain([leaf(1)]), max_lr=0.1, total_steps=10), ValueError,
     "cycle_momentum=True, but Plain has neither momentum nor betas; pass cycle_momentum=False"),
    (lambda o: L.SequentialLR(o, [], milestones=[]), ValueError, "SequentialLR needs at least one scheduler"),
    (lambda o: L.SequentialLR(o, [L.LinearLR(o), L.StepLR(o, 5)], milestones=[]), ValueError,
     "SequentialLR: 2 schedulers need 1 milestones (the epochs where each hands over to the next), got 0"),
    (lambda o: L.SequentialLR(o, [L.LinearLR(o), L.StepLR(o, 5), L.StepLR(o, 5)], milestones=[9, 3]),
     ValueError, "SequentialLR: milestones must be increasing, got [9, 3]"),
    (lambda o: L.SequentialLR(o, [L.LinearLR(o), L.StepLR(optim.SGD([leaf(1)]), 5)], milestones=[3]),
     ValueError, "SequentialLR: scheduler 1 (StepLR) schedules a different optimizer"),
    (lambda o: L.SequentialLR(o, [L.LinearLR(o), L.ReduceLROnPlateau(o)], milestones=[3]), ValueError,
     "scheduler 1 is a ReduceLROnPlateau, whose step() needs the validation metric"),
    (lambda o: L.ReduceLROnPlateau(o, factor=1.0), ValueError,
     "ReduceLROnPlateau: factor must be < 1 (it multiplies the lr), got 1.0"),
    (lambda o: L.ReduceLROnPlateau(o, mode="up"), ValueError, "mode must be 'min' or 'max', got 'up'"),
    (lambda o: L.ReduceLROnPlateau(o, threshold_mode="x"), ValueError,
     "threshold_mode must be 'rel' or 'abs', got 'x'"),
]


@pytest.mark.parametrize(("build", "error", "message"), SCHEDULER_ERRORS,
                         ids=[m[:50] for _, _, m in SCHEDULER_ERRORS])
def test_scheduler_errors(build: Callable, error: type, message: str) -> None:
    opt = optim.SGD([leaf(1)], lr=0.1, momentum=0.9)
    with pytest.raises(error, match=re.escape(message)):
        build(opt)


def test_one_cycle_stepped_past_its_end() -> None:
    opt = optim.SGD([leaf(1)], lr=0.1, momentum=0.9)
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match=re.escape("OneCycleLR was stepped 4 times, but total_steps is 3")):
        sched.step()


def test_scheduler_state_dict_of_another_kind() -> None:
    opt = optim.SGD([leaf(1)], lr=0.1)
    message = "the dict lacks ['gamma', 'step_size']; it was not saved from a StepLR"
    with pytest.raises(ValueError, match=re.escape(message)):
        L.StepLR(opt, step_size=3).load_state_dict(L.LinearLR(opt).state_dict())


def test_stepping_the_scheduler_before_the_optimizer_warns() -> None:
    opt = optim.SGD([leaf(1)], lr=0.1)
    sched = L.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="stepped before the optimizer: call optimizer.step\\(\\) first"):
        sched.step()
    opt2 = optim.SGD([leaf(1)], lr=0.1)
    sched2 = L.StepLR(opt2, step_size=1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
