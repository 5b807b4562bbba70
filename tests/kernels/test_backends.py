"""The kernel layer's switches: backends, threads, instruction sets, fusion, determinism."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import convnet as cn
import convnet.nn as nn
import convnet.nn.functional as F

NATIVE = "native" in cn.kernels.available_backends()
needs_native = pytest.mark.skipif(not NATIVE, reason="the native kernels were not built in this installation")


@pytest.fixture
def native() -> Iterator[None]:
    previous = cn.get_backend()
    cn.set_backend("native")
    yield
    cn.set_backend(previous)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env}, check=False)


def test_set_backend_switches_and_names_the_choices() -> None:
    previous = cn.get_backend()
    try:
        cn.set_backend("reference")
        assert cn.get_backend() == "reference"
        with pytest.raises(ValueError) as err:
            cn.set_backend("gpu")
        choices = ", ".join(cn.kernels.available_backends())
        assert str(err.value) == f"unknown kernel backend 'gpu'; choose one of {choices}"
    finally:
        cn.set_backend(previous)


def test_native_is_the_default_and_the_environment_can_choose() -> None:
    default = run_python("import convnet as cn; print(cn.get_backend())", CONVNET_BACKEND="")
    assert default.stdout.strip() == ("native" if NATIVE else "reference")
    chosen = run_python("import convnet as cn; print(cn.get_backend())", CONVNET_BACKEND="reference")
    assert chosen.stdout.strip() == "reference" and chosen.stderr == ""


def test_without_compiled_kernels_convnet_says_so_once_and_works() -> None:
    code = ("import sys; sys.modules['convnet.kernels._native'] = None\n"
            "import convnet as cn, convnet.nn.functional as F\n"
            "import convnet.kernels\n"
            "y = F.conv2d(cn.ones(1, 1, 4, 4), cn.ones(1, 1, 3, 3))\n"
            "print(cn.get_backend(), y.numpy().ravel().tolist())\n"
            "try:\n    cn.set_backend('native')\nexcept ValueError as e:\n    print(e)\n")
    out = run_python(code, CONVNET_BACKEND="")
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("convnet: compiled kernels unavailable (")
    assert lines[0].endswith("); running on the NumPy reference kernels")
    first, second = out.stdout.strip().splitlines()
    assert first == "reference [9.0, 9.0, 9.0, 9.0]"
    assert second.startswith("the native kernels are not available in this installation (")
    assert second.endswith("); reinstall convnet where a C compiler is present, or use 'reference'")


@needs_native
def test_threads_can_be_set_and_are_checked() -> None:
    before = cn.get_num_threads()
    try:
        cn.set_num_threads(1)
        assert cn.get_num_threads() == 1
        cn.set_num_threads(2)
        assert cn.get_num_threads() == 2
    finally:
        cn.set_num_threads(before)
    for bad in (0, -3, True, 1.5):
        with pytest.raises(ValueError) as err:
            cn.set_num_threads(bad)
        assert str(err.value) == f"set_num_threads: the number of threads must be a positive integer, got {bad!r}"


def _training_step(seed: int) -> list[np.ndarray]:
    """One step of a small network (conv, pooling, batch norm, linear, cross-entropy, Adam)."""
    cn.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 24, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(24 * 4 * 4, 10))
    opt = cn.optim.Adam(model.parameters(), lr=1e-2)
    x = cn.randn(8, 3, 16, 16)
    y = cn.randint(0, 10, (8,))
    for _ in range(2):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.numpy().copy() for p in model.parameters()]


@needs_native
@pytest.mark.parametrize("threads", [1, 2])
def test_training_is_deterministic_for_a_thread_count(native: None, threads: int) -> None:
    before = cn.get_num_threads()
    cn.set_num_threads(threads)
    try:
        first, second = _training_step(0), _training_step(0)
    finally:
        cn.set_num_threads(before)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@needs_native
def test_forward_results_do_not_depend_on_the_thread_count(native: None) -> None:
    """Every output is the same sequence of operations whoever computes it."""
    x = cn.randn(6, 8, 20, 20)
    w, b = cn.randn(16, 8, 3, 3), cn.randn(16)
    outs = []
    before = cn.get_num_threads()
    try:
        for threads in (1, 2):
            cn.set_num_threads(threads)
            outs.append(F.conv2d(x, w, b, padding=1).numpy())
    finally:
        cn.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])


@needs_native
@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_every_instruction_set_gives_pytorchs_results(native: None, isa: str) -> None:
    from convnet.kernels import _native

    before = _native.isa()
    try:
        _native.set_isa(isa)
    except ValueError as err:
        pytest.skip(str(err))
    try:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((3, 5, 11, 9), dtype=np.float32)
        w = rng.standard_normal((20, 5, 3, 3), dtype=np.float32)
        lin_x = rng.standard_normal((7, 33), dtype=np.float32)
        lin_w = rng.standard_normal((13, 33), dtype=np.float32)
        for stride in (1, 2):
            ours = F.conv2d(cn.tensor(x), cn.tensor(w), stride=stride, padding=1)
            ref = TF.conv2d(torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64),
                            stride=stride, padding=1)
            np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(F.linear(cn.tensor(lin_x), cn.tensor(lin_w)).numpy(),
                                   lin_x.astype(np.float64) @ lin_w.T.astype(np.float64), rtol=1e-4, atol=1e-4)
    finally:
        _native.set_isa(before)


def test_sequential_fuses_conv_and_relu_with_the_same_results() -> None:
    cn.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1)
    model = nn.Sequential(conv, nn.ReLU())
    x = cn.randn(2, 3, 9, 9, requires_grad=True)
    with cn.kernels.record_paths() as paths:
        fused = model(x)
        fused.sum().backward()
    assert [p for p, _ in paths if p == "relu"] == []       # no separate ReLU pass forward
    fused_grads = x.grad.numpy().copy(), conv.weight.grad.numpy().copy()
    x.grad = conv.weight.grad = conv.bias.grad = None
    apart = F.relu(conv(x))
    apart.sum().backward()
    np.testing.assert_array_equal(fused.numpy(), apart.numpy())
    np.testing.assert_array_equal(fused_grads[0], x.grad.numpy())
    np.testing.assert_array_equal(fused_grads[1], conv.weight.grad.numpy())


def test_a_hook_between_conv_and_relu_sees_the_values_before_relu() -> None:
    cn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    seen = []
    model[0].register_forward_hook(lambda m, args, out: seen.append(out.numpy().copy()))
    x = cn.randn(1, 1, 6, 6)
    out = model(x)
    assert (seen[0] < 0).any() and (out.numpy() >= 0).all()
    np.testing.assert_array_equal(np.maximum(seen[0], 0), out.numpy())


@needs_native
@pytest.mark.parametrize("shape", [(2, 3, 7, 7), (2, 3, 6, 6), (1, 2, 5, 9), (3, 2, 9, 3), (4, 3, 3, 5),
                                   (2, 3, 28, 28)])
def test_max_pooling_ties_and_nans_follow_one_rule_on_every_path(shape: tuple[int, ...]) -> None:
    """2x2 windows at stride 2: narrow maps (fewer than four outputs a row) go through their own
    code. Ties go to the window's first tap in row-major order (as in PyTorch); a window holding
    NaN gives NaN, with the index of its first NaN (the reference backend's rule)."""
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(0, 3, shape).astype(np.float32)             # many ties
    y, index = cn.kernels.native.max_pool2d(x, _pool_geometry(shape))
    ty, tindex = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(index, tindex.numpy())
    x.flat[rng.choice(x.size, x.size // 5, replace=False)] = np.nan
    y, index = cn.kernels.native.max_pool2d(x, _pool_geometry(shape))
    ry, rindex = cn.kernels.reference.max_pool2d(x, _pool_geometry(shape))
    np.testing.assert_array_equal(y, ry)                          # NaN where the reference has NaN
    np.testing.assert_array_equal(index, rindex)
    assert np.isnan(y).any() and not np.isnan(y).all()


def _pool_geometry(shape: tuple[int, ...]) -> object:
    n, c, h, w = shape
    return cn.kernels.geometry.PoolGeometry(n, c, (h, w), (2, 2), (2, 2), ((0, 0), (0, 0)), (1, 1), (h // 2, w // 2))
