"""Gradient clipping and flat parameter vectors against torch.nn.utils."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

import convnet as cn
from convnet.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

SHAPES = [(4, 3), (7,), (2, 2, 2)]


def pair(scale: float, seed: int = 0) -> tuple[list[cn.Tensor], list[torch.Tensor]]:
    """The same parameters and gradients (gradient entries of size about `scale`) in both libraries."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape in SHAPES:
        value = rng.standard_normal(shape).astype(np.float32)
        grad = (scale * rng.standard_normal(shape)).astype(np.float32)
        p, t = cn.tensor(value, requires_grad=True), torch.tensor(value, requires_grad=True)
        p.grad, t.grad = cn.tensor(grad.copy()), torch.from_numpy(grad.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0, 3.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e4], ids=["clipped", "under-the-max"])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    ours, theirs = pair(scale=2.0)
    shared = [p.grad.data for p in ours]
    before = [g.copy() for g in shared]
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, cn.Tensor) and total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-7)
    for g, old in zip(shared, before, strict=True):
        np.testing.assert_array_equal(g, old)  # the old arrays were replaced, never written into
    if max_norm > total.item():
        assert all(p.grad.data is g for p, g in zip(ours, shared, strict=True))  # nothing to do: untouched


def test_clip_grad_norm_result_has_max_norm() -> None:
    ours, _ = pair(scale=5.0)
    clip_grad_norm_(ours, 1.0)
    joined = np.concatenate([p.grad.data.ravel() for p in ours])
    assert np.linalg.norm(joined) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_single_tensor_and_missing_grads() -> None:
    w = cn.zeros(2, requires_grad=True)
    w.grad = cn.tensor([3.0, 4.0])
    frozen = cn.zeros(3, requires_grad=True)
    assert clip_grad_norm_([w, frozen], 1.0).item() == pytest.approx(5.0)
    assert frozen.grad is None
    assert clip_grad_norm_(w, 10.0).item() == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_([frozen], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite() -> None:
    w = cn.zeros(2, requires_grad=True)
    w.grad = cn.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match=re.escape("the total 2.0-norm of the gradients is inf")):
        clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    w.grad = cn.tensor([math.nan, 1.0])
    t = torch.zeros(2, requires_grad=True)
    t.grad = torch.tensor([math.nan, 1.0])
    assert math.isnan(clip_grad_norm_([w], 1.0).item())
    assert math.isnan(torch.nn.utils.clip_grad_norm_([t], 1.0))
    np.testing.assert_array_equal(w.grad.data, t.grad.numpy())  # both all nan


@pytest.mark.parametrize(("call", "message"), [
    (lambda w: clip_grad_norm_([w], 1.0, norm_type=0),
     "norm_type must be > 0 (2.0 or math.inf are usual), got 0.0"),
    (lambda w: clip_grad_norm_([w], -1.0), "clip_grad_norm_: max_norm must be >= 0, got -1.0"),
    (lambda w: clip_grad_value_([w], -0.5), "clip_grad_value_: clip_value must be >= 0"),
])
def test_bad_arguments(call, message: str) -> None:
    w = cn.zeros(2, requires_grad=True)
    w.grad = cn.ones(2)
    with pytest.raises(ValueError, match=re.escape(message)):
        call(w)


def test_non_tensor_parameter() -> None:
    with pytest.raises(TypeError, match=re.escape("clip_grad_norm_: parameter 1 is a list, not a Tensor")):
        clip_grad_norm_([cn.zeros(1), [1.0]], 1.0)


def test_clip_grad_value_matches_torch() -> None:
    ours, theirs = pair(scale=2.0)
    shared = [p.grad.data.copy() for p in ours]
    clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    assert max(np.abs(old).max() for old in shared) > 1.5  # there was something to clip
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
        assert p.grad.dtype == np.float32


def test_parameters_to_vector_and_back_match_torch() -> None:
    ours, theirs = pair(scale=1.0)
    vec = parameters_to_vector(ours)
    np.testing.assert_array_equal(vec.data, torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    vec.sum().backward()  # the vector stays in the graph
    assert ours[0].grad.shape == (4, 3)
    new = cn.arange(vec.numel(), dtype=cn.float32)
    vector_to_parameters(new, ours)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new.data.copy()), theirs)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.data, t.detach().numpy())
    with pytest.raises(ValueError, match="the vector has 5 entries but the parameters have 27"):
        vector_to_parameters(cn.zeros(5), ours)
