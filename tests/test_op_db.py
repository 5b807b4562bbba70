"""Every operation of tests/op_db.py against PyTorch (float32) and finite differences (float64)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch
from op_db import OPS, Arr, OpInfo, Sample

import convnet as cn

SEED = 1234


def _all_samples() -> list[tuple[OpInfo, int, Sample]]:
    cases = []
    for k, op in enumerate(OPS):
        rng = np.random.default_rng(SEED + k)
        for i, s in enumerate(op.samples(rng)):
            cases.append((op, i, s))
    return cases


CASES = _all_samples()


def _grad_flags(sample: Sample) -> list[bool]:
    return [isinstance(a, np.ndarray) and a.dtype.kind == "f" and i not in sample.no_grad
            for i, a in enumerate(sample.inputs)]


def _build(sample: Sample, lib: str, dtype: Any) -> tuple[list[Any], dict[str, Any], list[Any]]:
    """Inputs and kwargs as tensors of one library; also the tensors whose grads we compare."""
    flags = _grad_flags(sample)
    tracked: list[Any] = []

    def make(a: np.ndarray, grad: bool) -> Any:
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        if lib == "cn":
            t = cn.tensor(a, requires_grad=grad)
        else:
            t = torch.tensor(a, requires_grad=grad)
        if grad:
            tracked.append(t)
        return t

    inputs = [None if a is None else make(a, flag) for a, flag in zip(sample.inputs, flags, strict=True)]
    kwargs = {k: make(v.value, v.requires_grad) if isinstance(v, Arr) else v
              for k, v in sample.kwargs.items()}
    return inputs, kwargs, tracked


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple | list) else [result]


def _as_numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


@pytest.fixture(params=cn.kernels.available_backends())
def backend(request: pytest.FixtureRequest) -> Any:
    """Run the test on each kernel backend this installation has."""
    previous = cn.get_backend()
    cn.set_backend(request.param)
    yield request.param
    cn.set_backend(previous)


@pytest.mark.parametrize("op,index,sample", CASES,
                         ids=[f"{op.name}-{i}-{s.name}" for op, i, s in CASES])
def test_matches_torch(op: OpInfo, index: int, sample: Sample, backend: str) -> None:
    """Outputs and gradients in float32 against PyTorch's in float64 (the exact result, for
    float32 purposes: sums over thousands of terms round differently in any two float32
    implementations), within the op's float32 tolerances; dtypes as PyTorch's in float32."""
    ours_in, ours_kw, ours_tracked = _build(sample, "cn", np.float32)
    ref_in, ref_kw, ref_tracked = _build(sample, "torch", np.float64)
    f32_in, f32_kw, _ = _build(sample, "torch", np.float32)
    with torch.no_grad():
        dtypes = [r.dtype for r in _outputs(op.ref(*f32_in, **f32_kw))]
    with cn.kernels.record_paths() as paths:
        ours = _outputs(op.ours(*ours_in, **ours_kw))
        if op.differentiable and ours_tracked:
            upstream = np.random.default_rng(index).standard_normal(ours[0].shape).astype(np.float32)
            (ours[0] * cn.tensor(upstream)).sum().backward()
    if backend == "native":                      # the sample reached the path it was chosen for
        taken = dict(paths)
        for primitive, path in sample.paths.items():
            if primitive in taken:
                assert taken[primitive] == path, f"{primitive} took {taken[primitive]}, expected {path}"
        assert sample.paths.keys() <= taken.keys() | {"conv2d_input_grad", "conv2d_weight_grad"}
    ref = _outputs(op.ref(*ref_in, **ref_kw))
    assert len(ours) == len(ref), f"{op.name}: {len(ours)} outputs, torch gives {len(ref)}"
    for o, r, dtype in zip(ours, ref, dtypes, strict=True):
        assert tuple(o.shape) == tuple(r.shape)
        assert o.dtype == np.dtype(str(dtype).replace("torch.", ""))
        np.testing.assert_allclose(_as_numpy(o), _as_numpy(r), rtol=op.rtol, atol=op.atol)
    if not op.differentiable or not ours_tracked:
        return
    (ref[0] * torch.tensor(upstream, dtype=ref[0].dtype)).sum().backward()
    for k, (a, b) in enumerate(zip(ours_tracked, ref_tracked, strict=True)):
        assert b.grad is not None
        assert a.grad is not None, f"{op.name}: no gradient for tracked input {k}"
        assert a.grad.dtype == a.dtype
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=op.rtol, atol=op.atol,
                                   err_msg=f"gradient of tracked input {k}")


def _gradcheck_cases() -> list[tuple[OpInfo, Sample]]:
    cases = []
    for op, _, sample in CASES:
        if not op.differentiable or not any(_grad_flags(sample)):
            continue
        cases.append((op, sample))
    chosen = []
    for op in OPS:
        mine = [s for o, s in cases if o is op]
        size = lambda s: sum(a.size for a in s.inputs if isinstance(a, np.ndarray))  # noqa: E731
        key = op.gradcheck_key or (lambda s: None)
        groups: dict[Any, list[Sample]] = {}
        for s in sorted(mine, key=size):             # the smallest samples of each key
            groups.setdefault(key(s), []).append(s)
        chosen += [(op, s) for group in groups.values() for s in group[:op.gradcheck]]
    return chosen


GC_CASES = _gradcheck_cases()


@pytest.mark.parametrize("op,sample", GC_CASES, ids=[f"{op.name}-{s.name}" for op, s in GC_CASES])
def test_gradcheck(op: OpInfo, sample: Sample) -> None:
    """float64 finite differences, on the reference kernels (the native ones take float32)."""
    previous = cn.get_backend()
    cn.set_backend("reference")
    try:
        _gradcheck(op, sample)
    finally:
        cn.set_backend(previous)


def _gradcheck(op: OpInfo, sample: Sample) -> None:
    inputs, kwargs, tracked = _build(sample, "cn", np.float64)

    def fn(*tensors: Any) -> Any:
        return _outputs(op.ours(*tensors, **kwargs))[0]

    if not tracked:
        pytest.skip("no differentiable input")
    assert cn.gradcheck(fn, inputs)


def test_conv2d_coverage() -> None:
    """The conv2d rows cover what the engine promises: every kernel, stride, padding form..."""
    samples = [s for op, _, s in CASES if op.name == "conv2d"]
    assert len(samples) >= 300
    kernels = {s.inputs[1].shape[2] for s in samples} | {s.inputs[1].shape[3] for s in samples}
    assert kernels >= set(range(1, 8))
    assert any(s.inputs[1].shape[2] != s.inputs[1].shape[3] for s in samples)
    strides = {v for s in samples for v in np.atleast_1d(s.kwargs["stride"])}
    dilations = {v for s in samples for v in np.atleast_1d(s.kwargs["dilation"])}
    assert strides >= {1, 2, 3} and dilations == {1, 2, 3}
    forms = {type(s.kwargs["padding"]).__name__ if not isinstance(s.kwargs["padding"], str)
             else s.kwargs["padding"] for s in samples}
    assert forms == {"int", "tuple", "same", "valid"}
    assert any(isinstance(s.kwargs["padding"], tuple) and isinstance(s.kwargs["padding"][0], tuple)
               for s in samples)
    groups = {s.kwargs["groups"] for s in samples}
    depthwise = [s for s in samples if s.kwargs["groups"] == s.inputs[0].shape[1] > 2]
    assert {1, 2} <= groups and depthwise
    assert {s.inputs[2] is None for s in samples} == {True, False}
    assert {s.inputs[0].shape[0] > 1 for s in samples} == {True, False}
    paths = Counter((s.paths["conv2d"], s.paths["conv2d_weight_grad"]) for s in samples)
    for forward, weight in [("grid", "gemm"), ("grid", "dots"), ("shifted", "gemm"), ("phases", "gemm"),
                            ("phases", "dots"), ("depthwise", "depthwise")]:
        assert paths[forward, weight] >= 20, f"only {paths[forward, weight]} samples take {forward}/{weight}"
    same_strided = [s for s in samples if s.kwargs["padding"] == "same"
                    and np.max(s.kwargs["stride"]) > 1]
    same_even = [s for s in samples if s.kwargs["padding"] == "same"
                 and s.inputs[1].shape[2] % 2 == 0]
    assert same_strided and same_even


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                  "adaptive_max_pool2d", "conv_transpose2d"])
def test_pool_coverage(name: str) -> None:
    samples = [s for op, _, s in CASES if op.name == name]
    assert len(samples) >= 100
    if name in ("max_pool2d", "avg_pool2d"):
        assert {s.kwargs["ceil_mode"] for s in samples} == {True, False}
        assert any(s.kwargs["stride"] is None for s in samples)
    if name == "avg_pool2d":
        assert {s.kwargs["count_include_pad"] for s in samples} == {True, False}
        longer = [s for s in samples if s.kwargs["kernel_size"][0]
                  > s.inputs[0].shape[2] + 2 * s.kwargs["padding"][0]]
        assert longer and all(s.kwargs["ceil_mode"] for s in longer)
