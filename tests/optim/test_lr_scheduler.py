"""Learning-rate schedules against torch.optim.lr_scheduler: the same rates, step by step.

Both libraries build their schedules from the same factory (the class and argument names
are the same), over an optimizer with two parameter groups of different learning rates;
rates and momenta are compared for equality after every step.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

import convnet as cn
import convnet.optim.lr_scheduler as ours_sched
from convnet import optim

STEPS = 100


def make_optimizer(lib, kind: str):
    """An optimizer of `kind` from `lib` (convnet.optim or torch.optim) over two groups."""
    if lib is optim:
        a, b = cn.zeros(2, requires_grad=True), cn.zeros(1, requires_grad=True)
    else:
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    options = {"SGD": dict(momentum=0.9), "Adam": dict(betas=(0.9, 0.99)), "RMSprop": dict(momentum=0.5)}
    return getattr(lib, kind)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **options[kind])


def row(opt, sched) -> tuple:
    """What a schedule controls: each group's lr (and momentum or beta1), and get_last_lr()."""
    groups = opt.param_groups
    momenta = tuple(g["betas"][0] if "betas" in g else g.get("momentum") for g in groups)
    return tuple(g["lr"] for g in groups), tuple(sched.get_last_lr()), momenta


def trace(lib, sched_lib, kind: str, factory: Callable, steps: int = STEPS) -> list[tuple]:
    opt = make_optimizer(lib, kind)
    sched = factory(sched_lib, opt)
    rows = [row(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        rows.append(row(opt, sched))
    return rows


def _inverse_epoch(epoch: int) -> float:
    return 1.0 / (1.0 + epoch)


# (id, optimizer kind, factory(lr_scheduler module, optimizer))
CASES = [
    ("StepLR", "SGD", lambda L, o: L.StepLR(o, step_size=7, gamma=0.5)),
    ("MultiStepLR", "SGD", lambda L, o: L.MultiStepLR(o, milestones=[60, 10, 30, 30], gamma=0.3)),
    ("ExponentialLR", "Adam", lambda L, o: L.ExponentialLR(o, gamma=0.95)),
    ("CosineAnnealingLR", "SGD", lambda L, o: L.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
    ("LinearLR", "SGD", lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20)),
    ("LinearLR-decay", "Adam", lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=60)),
    ("LambdaLR", "SGD", lambda L, o: L.LambdaLR(o, _inverse_epoch)),
    ("LambdaLR-per-group", "SGD", lambda L, o: L.LambdaLR(o, [_inverse_epoch, lambda e: 0.97**e])),
    ("SequentialLR-warmup-cosine", "SGD", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.01, total_iters=10), L.CosineAnnealingLR(o, T_max=90, eta_min=1e-4)],
        milestones=[10])),
    ("SequentialLR-three", "Adam", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.5, total_iters=5), L.ExponentialLR(o, gamma=0.9),
            L.StepLR(o, step_size=10, gamma=0.5)], milestones=[5, 40])),
    ("OneCycleLR-SGD", "SGD", lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=STEPS)),
    ("OneCycleLR-Adam-linear-3phase", "Adam", lambda L, o: L.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, base_momentum=0.8, max_momentum=[0.95, 0.9], div_factor=10.0,
        final_div_factor=100.0)),
    ("OneCycleLR-RMSprop", "RMSprop", lambda L, o: L.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, pct_start=0.4)),
    ("OneCycleLR-no-momentum", "Adam", lambda L, o: L.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False)),
]


@pytest.mark.parametrize(("kind", "factory"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rates_match_torch(kind: str, factory: Callable) -> None:
    ours = trace(optim, ours_sched, kind, factory)
    theirs = trace(torch.optim, torch.optim.lr_scheduler, kind, factory)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"step {step}: convnet {a} != torch {b}"
    assert len({r[0] for r in ours}) > 2  # the schedule does change the rates


SAVE_AT = 20


def _json_round_trip(state: dict) -> dict:
    return json.loads(json.dumps(state))


@pytest.mark.parametrize(("kind", "factory"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resume_from_state_dicts(kind: str, factory: Callable) -> None:
    """Save optimizer and scheduler after 20 steps (through JSON), rebuild, load, go on for 30."""
    opt = make_optimizer(optim, kind)
    sched = factory(ours_sched, opt)
    uninterrupted = []
    for step in range(1, 51):
        opt.step()
        sched.step()
        uninterrupted.append(row(opt, sched))
        if step == SAVE_AT:
            saved_opt, saved_sched = _json_round_trip(opt.state_dict()), _json_round_trip(sched.state_dict())
    fresh_opt = make_optimizer(optim, kind)
    fresh_sched = factory(ours_sched, fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh_sched.load_state_dict(saved_sched)
    resumed = []
    for _ in range(30):
        fresh_opt.step()
        fresh_sched.step()
        resumed.append(row(fresh_opt, fresh_sched))
    assert resumed == uninterrupted[SAVE_AT:]


def test_adam_with_one_cycle_trajectory_and_resume_match_torch() -> None:
    """Momentum cycling must reach the update: parameters follow torch's, also after a resume."""
    rng = np.random.default_rng(0)
    start, target = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    noise = [(0.3 * rng.standard_normal(6)).astype(np.float32) for _ in range(50)]

    def build(lib, sched_lib, value):
        p = cn.tensor(value.copy(), requires_grad=True) if lib is optim else torch.tensor(value.copy(),
                                                                                          requires_grad=True)
        opt = lib.Adam([p], lr=0.01, weight_decay=0.01)
        return p, opt, sched_lib.OneCycleLR(opt, max_lr=0.05, total_steps=50, three_phase=True)

    def train(p, opt, sched, steps):
        out = []
        for n in steps:
            value = p.data if isinstance(p, cn.Tensor) else p.detach().numpy()
            grad = 2.0 * (value - target) + n
            p.grad = cn.tensor(grad) if isinstance(p, cn.Tensor) else torch.from_numpy(grad)
            opt.step()
            sched.step()
            out.append(np.array(value))
        return out

    theirs = train(*build(torch.optim, torch.optim.lr_scheduler, start), noise)
    p, opt, sched = build(optim, ours_sched, start)
    first = train(p, opt, sched, noise[:SAVE_AT])
    saved = opt.state_dict(), sched.state_dict()
    p2, opt2, sched2 = build(optim, ours_sched, first[-1])
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    resumed = train(p2, opt2, sched2, noise[SAVE_AT:])
    rest = train(p, opt, sched, noise[SAVE_AT:])
    for a, b in zip(resumed, rest, strict=True):
        np.testing.assert_array_equal(a, b)
    for step, (a, b) in enumerate(zip(first + resumed, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {step + 1}")


def _metrics(n: int, sign: float) -> list[float]:
    """A validation curve that improves, then wobbles on a plateau."""
    rng = np.random.default_rng(1)
    return [sign * (max(0.4, 1.0 - 0.03 * t) + 0.01 * float(rng.standard_normal())) for t in range(n)]


@pytest.mark.parametrize(("options", "sign"), [
    (dict(), 1.0),
    (dict(patience=3, factor=0.5), -1.0),  # negative losses: the relative threshold works on best * (1 - t)
    (dict(mode="max", threshold=0.02, threshold_mode="abs", patience=2, cooldown=3,
          min_lr=[0.01, 0.002]), -1.0),
    (dict(mode="max", patience=1, factor=0.7, eps=1e-3), 1.0),
], ids=["min-rel", "min-rel-negative", "max-abs-cooldown-minlr", "max-rel-eps"])
def test_reduce_on_plateau_matches_torch(options: dict, sign: float) -> None:
    metrics = _metrics(STEPS, sign)
    rows = []
    for lib, sched_lib in ((optim, ours_sched), (torch.optim, torch.optim.lr_scheduler)):
        opt = make_optimizer(lib, "SGD")
        sched = sched_lib.ReduceLROnPlateau(opt, **options)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append(tuple(sched.get_last_lr()))
        rows.append(lrs)
    assert rows[0] == rows[1]
    assert len(set(rows[0])) > 1


def test_reduce_on_plateau_resumes() -> None:
    metrics = _metrics(50, 1.0)
    opt = make_optimizer(optim, "SGD")
    sched = ours_sched.ReduceLROnPlateau(opt, patience=2)
    lrs = []
    for t, m in enumerate(metrics, start=1):
        sched.step(m)
        lrs.append(sched.get_last_lr())
        if t == SAVE_AT:
            saved = _json_round_trip(opt.state_dict()), _json_round_trip(sched.state_dict())
    fresh_opt = make_optimizer(optim, "SGD")
    fresh = ours_sched.ReduceLROnPlateau(fresh_opt, patience=2)
    fresh_opt.load_state_dict(saved[0])
    fresh.load_state_dict(saved[1])
    resumed = []
    for m in metrics[SAVE_AT:]:
        fresh.step(m)
        resumed.append(fresh.get_last_lr())
    assert resumed == lrs[SAVE_AT:]


def test_initial_lr_is_recorded_and_resuming_with_last_epoch() -> None:
    opt = make_optimizer(optim, "SGD")
    sched = ours_sched.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == sched.base_lrs == [0.1, 0.05]
    for _ in range(3):
        opt.step()
        sched.step()
    # A new scheduler told where the run stands keeps the current rates, then goes on from them.
    again = ours_sched.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert again.base_lrs == [0.1, 0.05] and again.last_epoch == 4
    assert again.get_last_lr() == [0.1 * 0.5**3, 0.05 * 0.5**3]
    opt.step()
    again.step()
    assert again.get_last_lr() == [0.1 * 0.5**4, 0.05 * 0.5**4]


def test_callable_object_lambdas_keep_their_state() -> None:
    class Scale:
        def __init__(self, factor: float) -> None:
            self.factor = factor

        def __call__(self, epoch: int) -> float:
            return self.factor * (epoch + 1)

    opt = make_optimizer(optim, "SGD")
    sched = ours_sched.LambdaLR(opt, [Scale(2.0), _inverse_epoch])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"factor": 2.0}, None]
    other = ours_sched.LambdaLR(make_optimizer(optim, "SGD"), [Scale(5.0), _inverse_epoch])
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].factor == 2.0


def test_custom_scheduler_through_get_lr() -> None:
    class Halving(ours_sched.LRScheduler):
        def get_lr(self) -> list[float]:
            return [base / 2**self.last_epoch for base in self.base_lrs]

    opt = make_optimizer(optim, "SGD")
    sched = Halving(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 / 8, 0.05 / 8]
    assert math.isclose(opt.param_groups[0]["lr"], 0.0125)
