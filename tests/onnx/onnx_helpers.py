"""Shared by the ONNX tests: zoo models with cheap random weights, onnxruntime, comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import convnet as cn
from convnet import models
from convnet.nn import init

_BASE = np.random.default_rng(0).standard_normal(1 << 16).astype(np.float32)
# canonical ImageNet inputs are slow in NumPy: the smallest size each family runs at
SMALL_INPUT = {"alexnet": 64, "zfnet": 64}


def random_model(name: str, **kwargs: Any) -> cn.nn.Module:
    """Zoo model `name` with small non-zero weights (tiled from one random vector: building
    VGG's 130M weights this way takes a fraction of a second) and plausible BN statistics."""
    with init.skip_init():
        model = models.create(name, **kwargs)
    for key, t in model.state_dict(keep_vars=True).items():
        if t.dtype.kind != "f":
            continue
        flat = t.data.reshape(-1)                        # a view: parameters are contiguous
        for start in range(0, flat.size, _BASE.size):    # tile the random vector in place
            flat[start:start + _BASE.size] = _BASE[:flat.size - start]
        flat /= np.float32(np.sqrt(np.prod(t.shape[1:]) if t.ndim > 1 else 1))
        if key.endswith("running_var"):
            np.abs(flat, out=flat)
            flat += 0.5
    return model.eval()


def input_shape(name: str) -> tuple[int, int, int]:
    c, h, w = models.info(name).input_shape
    if h > 64:
        h = w = SMALL_INPUT.get(name, 32)
    return c, h, w


def batch(shape: tuple[int, ...], n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def convnet_run(model: cn.nn.Module, x: np.ndarray) -> np.ndarray:
    with cn.no_grad():
        return model(cn.tensor(x)).numpy()


def ort_session(model: str | Path | bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # loads large models faster,
    options.add_session_config_entry("session.disable_prepacking", "1")          # and so does this
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def ort_run(session: Any, x: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-4) -> None:
    """Equal to rtol, with an absolute floor of rtol times the largest value (for entries near 0)."""
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * float(np.abs(want).max()))
