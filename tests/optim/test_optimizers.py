"""Optimizers against torch.optim: same start, same gradients, same trajectory; saving and resuming.

The gradient of every parameter is a fixed function of its current value,
``2 * (p - target) + noise[step]`` (noise from a seeded generator), computed by the same
NumPy code for both libraries, so the two runs see the same problem and any difference in
the update rule shows up and compounds over the steps. Trajectories are compared in
float32 (rtol 1e-5) and in float64, where the tolerance is tight enough to catch a
misplaced eps or bias correction that float32 rounding would hide.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import convnet as cn
from convnet import optim
from convnet.nn import Parameter

SHAPES = [(3, 4), (5,), (2, 1, 3), (4,)]
STEPS = 50
RTOL, ATOL = 1e-5, 1e-6  # atol only for entries that pass close to zero
TOLERANCES = {np.float32: (RTOL, ATOL), np.float64: (1e-10, 1e-12)}


def problem(seed: int = 0, dtype: type = np.float32,
            steps: int = STEPS) -> tuple[list[np.ndarray], list[np.ndarray], list[list[np.ndarray]]]:
    """Starting values, targets, and the noise added to each step's gradients."""
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    targets = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    noise = [[(0.3 * rng.standard_normal(s)).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return starts, targets, noise


def gradient(value: np.ndarray, target: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return 2.0 * (value - target) + noise


def groups(params: list, group_options: dict) -> list[dict]:
    """Two parameter groups: the first on the defaults, the second with its own options."""
    return [{"params": params[:2]}, {"params": params[2:], **group_options}]


def convnet_params(values: list[np.ndarray]) -> list[cn.Tensor]:
    """A Parameter first, then plain leaf tensors: optimizers must take both."""
    params = [Parameter(values[0].copy())]
    return params + [cn.tensor(v.copy(), requires_grad=True) for v in values[1:]]


def torch_params(values: list[np.ndarray]) -> list[torch.Tensor]:
    return [torch.tensor(v.copy(), requires_grad=True) for v in values]


def set_convnet_grads(params: list[cn.Tensor], targets: list[np.ndarray], noise: list[np.ndarray]) -> None:
    for p, t, n in zip(params, targets, noise, strict=True):
        p.grad = cn.tensor(gradient(p.data, t, n))


def set_torch_grads(params: list[torch.Tensor], targets: list[np.ndarray], noise: list[np.ndarray]) -> None:
    for p, t, n in zip(params, targets, noise, strict=True):
        p.grad = torch.from_numpy(gradient(p.detach().numpy(), t, n))


def values(params: list) -> list[np.ndarray]:
    return [np.array(p.detach().numpy() if isinstance(p, torch.Tensor) else p.data) for p in params]


# (optimizer, constructor options, options of the second group)
CASES = [
    ("SGD", dict(lr=0.05), dict(lr=0.02)),
    ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.01)),
    ("SGD", dict(lr=0.03, momentum=0.9, dampening=0.3, weight_decay=0.01), dict(lr=0.05)),
    ("SGD", dict(lr=0.03, momentum=0.8, nesterov=True, weight_decay=0.1), dict(lr=0.01, momentum=0.5)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True), dict(lr=0.005, weight_decay=0.2)),
    ("Adam", dict(lr=0.01), dict(lr=0.03)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1), dict(lr=0.02)),
    ("Adam", dict(lr=0.02, amsgrad=True, eps=1e-3), dict(lr=0.01, betas=(0.5, 0.9))),
    ("Adam", dict(lr=0.01, maximize=True, weight_decay=0.05), dict(lr=0.03)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9)), dict(lr=0.02)),  # lerp weight above one half
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), dict(lr=0.02)),
    ("AdamW", dict(lr=0.01), dict(lr=0.03, weight_decay=0.2)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True), dict(lr=0.005)),
    ("AdamW", dict(lr=0.01, maximize=True), dict(lr=0.02)),
    ("RMSprop", dict(lr=0.01), dict(lr=0.003)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9), dict(lr=0.002)),
    ("RMSprop", dict(lr=0.01, centered=True), dict(lr=0.02)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5, maximize=True), dict(lr=0.01, alpha=0.8)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True), dict(lr=0.02)),  # lerp weight above one half
]
# With a small alpha, centered RMSprop's sqrt(v - a*a) cancels: float32 rounding differences
# (torch's kernels fuse multiply-adds, NumPy rounds each operation) grow past rtol 1e-5, so
# this case is compared in float64 only.
FLOAT64_ONLY = {"RMSprop-lr=0.01,alpha=0.3,centered=True,g2={'lr': 0.02}"}


def case_id(case: tuple) -> str:
    name, options, group_options = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in {**options, "g2": group_options}.items())


TRAJECTORY_RUNS = [pytest.param(case, dtype, id=f"{case_id(case)}-{dtype.__name__}")
                   for case in CASES for dtype in (np.float32, np.float64)
                   if dtype == np.float64 or case_id(case) not in FLOAT64_ONLY]


@pytest.mark.parametrize(("case", "dtype"), TRAJECTORY_RUNS)
def test_trajectory_matches_torch(case: tuple, dtype: type) -> None:
    name, options, group_options = case
    rtol, atol = TOLERANCES[dtype]
    starts, targets, noise = problem(dtype=dtype)
    ours, theirs = convnet_params(starts), torch_params(starts)
    opt = getattr(optim, name)(groups(ours, group_options), **options)
    ref = getattr(torch.optim, name)(groups(theirs, group_options), **options)
    for step in range(STEPS):
        set_convnet_grads(ours, targets, noise[step])
        set_torch_grads(theirs, targets, noise[step])
        grads_before = [p.grad.data.copy() for p in ours]
        opt.step()
        ref.step()
        for p, g in zip(ours, grads_before, strict=True):
            np.testing.assert_array_equal(p.grad.data, g, err_msg="step() wrote into a gradient array")
        for i, (a, b) in enumerate(zip(values(ours), values(theirs), strict=True)):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"param {i}, step {step + 1}")
    for state in opt.state.values():
        for key, value in state.items():
            assert not isinstance(value, np.ndarray) or value.dtype == dtype, key


RESUME_CASES = [
    ("SGD", dict(lr=0.03, momentum=0.8, nesterov=True, weight_decay=0.1), dict(lr=0.01)),
    ("SGD", dict(lr=0.03, momentum=0.9, dampening=0.3), dict(lr=0.01)),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.1), dict(lr=0.01, betas=(0.5, 0.9))),
    ("AdamW", dict(lr=0.01, weight_decay=0.3), dict(lr=0.005)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5), dict(lr=0.01, alpha=0.8)),
]
SAVE_AT = 20


def run_convnet(name: str, options: dict, group_options: dict, starts: list[np.ndarray],
                targets: list[np.ndarray], noise: list[list[np.ndarray]],
                state_dict: dict | None = None) -> tuple[list[list[np.ndarray]], dict]:
    """Values after each step, and the state dict snapshot taken after SAVE_AT steps."""
    params = convnet_params(starts)
    opt = getattr(optim, name)(groups(params, group_options), **options)
    if state_dict is not None:
        opt.load_state_dict(state_dict)
    trajectory, snapshot = [], {}
    for step, step_noise in enumerate(noise, start=1):
        set_convnet_grads(params, targets, step_noise)
        opt.step()
        trajectory.append(values(params))
        if step == SAVE_AT:
            snapshot = opt.state_dict()
    return trajectory, snapshot


@pytest.mark.parametrize("case", RESUME_CASES, ids=case_id)
def test_resume_from_state_dict(case: tuple) -> None:
    name, options, group_options = case
    starts, targets, noise = problem(seed=1)
    full, snapshot = run_convnet(name, options, group_options, starts, targets, noise)
    # The snapshot was taken before the run went on: it must not have followed the run.
    resumed, _ = run_convnet(name, options, group_options, full[SAVE_AT - 1], targets, noise[SAVE_AT:],
                             state_dict=snapshot)
    for a, b in zip(resumed, full[SAVE_AT:], strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    theirs = torch_params(starts)
    ref = getattr(torch.optim, name)(groups(theirs, group_options), **options)
    for step in range(STEPS):
        set_torch_grads(theirs, targets, noise[step])
        ref.step()
        if step >= SAVE_AT:
            for x, y in zip(resumed[step - SAVE_AT], values(theirs), strict=True):
                np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL)


def test_state_dict_format_matches_torch_structure() -> None:
    starts, targets, noise = problem()
    ours, theirs = convnet_params(starts), torch_params(starts)
    opt = optim.Adam(groups(ours, dict(lr=0.1)), lr=0.01, amsgrad=True)
    ref = torch.optim.Adam(groups(theirs, dict(lr=0.1)), lr=0.01, amsgrad=True)
    for step in range(3):
        set_convnet_grads(ours, targets, noise[step])
        set_torch_grads(theirs, targets, noise[step])
        opt.step()
        ref.step()
    sd, tsd = opt.state_dict(), ref.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2, 3]]
    for g, tg in zip(sd["param_groups"], tsd["param_groups"], strict=True):
        assert g.items() <= tg.items()  # ours holds the options that mean something here
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2, 3]
    for index, state in sd["state"].items():
        assert list(state) == list(tsd["state"][index])
        assert state["step"] == 3 and isinstance(state["step"], int)
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert isinstance(state[key], np.ndarray) and state[key].dtype == np.float32
            np.testing.assert_allclose(state[key], tsd["state"][index][key].numpy(), rtol=RTOL, atol=1e-7)


def _to_safetensors_and_back(state_dict: dict, tmp_path) -> dict:
    """The layout the optimizer module documents: arrays as tensors, the rest as JSON metadata."""
    st = pytest.importorskip("safetensors.numpy")
    arrays, numbers = {}, {}
    for index, state in state_dict["state"].items():
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                arrays[f"state.{index}.{key}"] = value
            else:
                numbers.setdefault(str(index), {})[key] = value
    meta = {"numbers": json.dumps(numbers), "param_groups": json.dumps(state_dict["param_groups"])}
    path = tmp_path / "optimizer.safetensors"
    st.save_file(arrays, path, metadata=meta)
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        loaded_meta = f.metadata()
    state: dict = {index: dict(entry) for index, entry in json.loads(loaded_meta["numbers"]).items()}
    for name, value in st.load_file(path).items():
        _, index, key = name.split(".")
        state.setdefault(index, {})[key] = value
    return {"state": state, "param_groups": json.loads(loaded_meta["param_groups"])}


def test_state_dict_survives_a_safetensors_file(tmp_path) -> None:
    name, options, group_options = "Adam", dict(lr=0.02, amsgrad=True, betas=(0.8, 0.95)), dict(lr=0.01)
    starts, targets, noise = problem(seed=2)
    full, snapshot = run_convnet(name, options, group_options, starts, targets, noise)
    loaded = _to_safetensors_and_back(snapshot, tmp_path)
    assert isinstance(loaded["param_groups"][0]["betas"], list)  # JSON turned the tuple into a list
    resumed, _ = run_convnet(name, options, group_options, full[SAVE_AT - 1], targets, noise[SAVE_AT:],
                             state_dict=loaded)
    for a, b in zip(resumed, full[SAVE_AT:], strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_load_state_dict_restores_group_options_and_copies_arrays() -> None:
    a = cn.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = cn.tensor([1.0, 1.0])
    opt.step()
    snapshot = opt.state_dict()
    snapshot["param_groups"][0]["lr"] = 0.5
    b = cn.tensor([1.0, 2.0], dtype=cn.float64, requires_grad=True)
    fresh = optim.SGD([b], lr=0.1, momentum=0.9)
    fresh.load_state_dict(snapshot)
    assert fresh.param_groups[0]["lr"] == 0.5
    assert fresh.param_groups[0]["params"][0] is b
    buf = fresh.state[b]["momentum_buffer"]
    assert buf.dtype == np.float64 and buf is not snapshot["state"][0]["momentum_buffer"]


class TestConstraints:
    """Entries that a parameter's constraints fix or tie stay exact under every update rule."""

    @staticmethod
    def constrained() -> Parameter:
        p = Parameter(np.random.default_rng(3).standard_normal((3, 3)).astype(np.float32))

        def fix_centre_and_tie_corners(param: Parameter) -> None:
            param.data[1, 1] = 0.25
            param.data[2, 2] = param.data[0, 0]

        p.constraints = [fix_centre_and_tie_corners]
        p.enforce_constraints()
        return p

    @pytest.mark.parametrize("make", [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.5),
        lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.1),
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.5, amsgrad=True),
        lambda ps: optim.RMSprop(ps, lr=0.05, momentum=0.9, centered=True),
    ], ids=["sgd-momentum-wd", "sgd-nesterov", "adam", "adamw-amsgrad", "rmsprop"])
    def test_fixed_and_tied_entries_hold(self, make) -> None:
        p = self.constrained()
        start = p.data.copy()
        opt = make([p])
        rng = np.random.default_rng(4)
        for _ in range(20):
            p.grad = cn.tensor(rng.standard_normal((3, 3)).astype(np.float32) + 1.0)
            opt.step()
            assert p.data[1, 1] == np.float32(0.25)
            assert p.data[2, 2] == p.data[0, 0]
        assert not np.array_equal(p.data[0], start[0])  # the free entries did move


class TestStepAndGrads:
    @pytest.mark.parametrize("make", [
        lambda ps, f: optim.SGD(ps, lr=f(0.1), momentum=f(0.9), weight_decay=f(0.1)),
        lambda ps, f: optim.Adam(ps, lr=f(0.1), betas=(f(0.9), f(0.99)), eps=f(1e-8), weight_decay=f(0.1)),
        lambda ps, f: optim.AdamW(ps, lr=f(0.1), weight_decay=f(0.1)),
        lambda ps, f: optim.RMSprop(ps, lr=f(0.1), alpha=f(0.9), momentum=f(0.5), centered=True),
    ], ids=["sgd", "adam", "adamw", "rmsprop"])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_dtype_is_kept_even_with_numpy_float64_hyperparameters(self, make, dtype) -> None:
        p = cn.tensor(np.ones((2, 3), dtype=dtype), requires_grad=True)
        opt = make([p], np.float64)
        for _ in range(3):
            p.grad = cn.tensor(np.full((2, 3), 0.5, dtype=dtype))
            opt.step()
        assert p.dtype == dtype
        assert all(v.dtype == dtype for v in opt.state[p].values() if isinstance(v, np.ndarray))

    def test_parameters_without_gradient_are_skipped(self) -> None:
        a, b = cn.ones(2, requires_grad=True), cn.ones(2, requires_grad=True)
        opt = optim.Adam([a, b], lr=0.1)
        a.grad = cn.tensor([1.0, 1.0])
        opt.step()
        assert b.tolist() == [1.0, 1.0] and b not in opt.state
        assert list(opt.state_dict()["state"]) == [0]

    def test_shared_gradient_array_is_left_alone(self) -> None:
        a, b = cn.ones(3, requires_grad=True), cn.ones(3, requires_grad=True)
        shared = np.array([1.0, -2.0, 3.0], dtype=np.float32)
        a.grad, b.grad = cn.Tensor(shared), cn.Tensor(shared)
        optim.SGD([a, b], lr=0.1, weight_decay=0.5, momentum=0.9, maximize=True).step()
        assert shared.tolist() == [1.0, -2.0, 3.0]
        assert a.tolist() == b.tolist()

    def test_zero_grad(self) -> None:
        a = cn.ones(2, requires_grad=True)
        opt = optim.SGD([a], lr=0.1)
        old = np.array([1.0, 2.0], dtype=np.float32)
        a.grad = cn.Tensor(old)
        opt.zero_grad(set_to_none=False)
        assert a.grad.tolist() == [0.0, 0.0] and old.tolist() == [1.0, 2.0]
        opt.zero_grad()
        assert a.grad is None

    def test_closure_is_evaluated_with_gradients_on(self) -> None:
        w = cn.tensor([3.0], requires_grad=True)
        opt = optim.SGD([w], lr=0.25)

        def closure() -> cn.Tensor:
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        with cn.no_grad():
            loss = opt.step(closure)
        assert loss.item() == 9.0 and w.tolist() == [1.5]

    def test_training_a_real_loss_matches_torch(self) -> None:
        """A tiny least-squares fit end to end: backward() from convnet, Adam against torch."""
        rng = np.random.default_rng(5)
        x = rng.standard_normal((16, 3)).astype(np.float32)
        y = rng.standard_normal((16, 1)).astype(np.float32)
        w0 = rng.standard_normal((3, 1)).astype(np.float32)
        w, tw = Parameter(w0.copy()), torch.tensor(w0.copy(), requires_grad=True)
        opt, ref = optim.Adam([w], lr=0.05), torch.optim.Adam([tw], lr=0.05)
        for _ in range(30):
            opt.zero_grad()
            ((cn.tensor(x) @ w - cn.tensor(y)) ** 2).mean().backward()
            opt.step()
            ref.zero_grad()
            ((torch.from_numpy(x) @ tw - torch.from_numpy(y)) ** 2).mean().backward()
            ref.step()
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-4, atol=1e-6)

    def test_add_param_group_takes_defaults_and_is_stepped(self) -> None:
        a, b = cn.ones(1, requires_grad=True), cn.ones(1, requires_grad=True)
        opt = optim.SGD([a], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": b, "lr": 0.5})
        assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [b]
        a.grad = b.grad = cn.tensor([1.0])
        opt.step()
        assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)

    def test_repr_lists_the_groups(self) -> None:
        text = repr(optim.Adam([cn.ones(1, requires_grad=True)], lr=0.1))
        assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.1" in text
