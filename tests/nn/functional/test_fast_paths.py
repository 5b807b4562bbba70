"""The special cases the engine takes for speed give PyTorch's results: max pooling over
windows that tile a compact input, depthwise convolution without columns, and products of
short columns in panels. Each is checked in both memory layouts an input can arrive in
(NCHW, and channel-major as convolution outputs are), forward and backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from op_db import OPS, ref_conv2d

import convnet as cn
import convnet.nn.functional as F
from convnet.nn.functional import conv, pooling


def layout(a: np.ndarray, channel_major: bool) -> np.ndarray:
    """The same values, stored NCHW or channel by channel."""
    if not channel_major:
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def check(ours: list, ref: list, out: cn.Tensor, expected: torch.Tensor, seed: int) -> None:
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    out.backward(cn.tensor(g))
    expected.backward(torch.tensor(g))
    for a, r in zip(ours, ref, strict=True):
        if a is not None and a.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("channel_major", [False, True])
@pytest.mark.parametrize("kernel", [2, 3, (2, 3), (1, 2)])
@pytest.mark.parametrize("values", ["normal", "ties", "nan"])
def test_max_pool_over_tiling_windows(kernel, channel_major: bool, values: str) -> None:
    rng = np.random.default_rng(7)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    a = rng.standard_normal((3, 4, 4 * kh, 3 * kw)).astype(np.float32)
    if values == "ties":                       # ReLU-like: many windows all zero, or tied
        a = np.round(np.maximum(a, 0))
    if values == "nan":
        a[0, 1, 0, 0] = a[2, 3, -1, -1] = np.nan
    x = cn.tensor(layout(a, channel_major), requires_grad=True)
    assert pooling._tiled_max(x.data, (kh, kw)) is not None      # the fast path is taken
    t = torch.tensor(a, requires_grad=True)
    out, expected = F.max_pool2d(x, kernel), TF.max_pool2d(t, kernel)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    if values != "nan":                        # PyTorch's NaN gradients follow its own loop order
        check([x], [t], out, expected, seed=kh * 10 + kw)


def test_max_pool_fast_path_declines_what_it_cannot_tile() -> None:
    x = np.zeros((2, 3, 5, 4), dtype=np.float32)
    assert pooling._tiled_max(x, (2, 2)) is None                  # 5 rows: not divisible
    assert pooling._tiled_max(x[:, :, :, :2][:, :, :4], (2, 2)) is None   # not compact
    assert pooling._tiled_max(x[:, :, :4], (2, 2)) is None        # a cropped view


@pytest.mark.parametrize("channel_major", [False, True])
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 1)])
def test_depthwise_matches_torch(channel_major: bool, stride: int, padding: int, dilation: int) -> None:
    rng = np.random.default_rng(stride * 100 + padding * 10 + dilation)
    a = rng.standard_normal((3, 5, 9, 8)).astype(np.float32)
    w = rng.standard_normal((5, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    ours = [cn.tensor(layout(a, channel_major), requires_grad=True), cn.tensor(w, requires_grad=True),
            cn.tensor(b, requires_grad=True)]
    ref = [torch.tensor(v, requires_grad=True) for v in (a, w, b)]
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=5)
    check(ours, ref, F.conv2d(*ours, **kw), TF.conv2d(*ref, **kw), seed=stride)


CONV = next(op for op in OPS if op.name == "conv2d")
SHORT = [s for s in CONV.samples(np.random.default_rng(5)) if s.inputs[1][0].size <= conv.SHORT_COLUMNS][::3]


@pytest.mark.parametrize("index", range(len(SHORT)))
def test_short_columns_in_small_panels_match_torch(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conv, "PANEL", 64)            # many panels even for the small samples
    sample = SHORT[index]
    ours = [cn.tensor(a, requires_grad=True) if a is not None else None for a in sample.inputs]
    ref = [torch.tensor(a, requires_grad=True) if a is not None else None for a in sample.inputs]
    check(ours, ref, F.conv2d(*ours, **sample.kwargs), ref_conv2d(*ref, **sample.kwargs), seed=index)


def test_panels_do_not_change_forward_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Panels are whole multiples of 64 columns, so every output is computed exactly as in
    one product (what keeps tiled inference bit-exact)."""
    rng = np.random.default_rng(3)
    x = cn.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    w = cn.tensor(rng.standard_normal((6, 1, 5, 5)).astype(np.float32))
    monkeypatch.setattr(conv, "SHORT_COLUMNS", 0)     # one product
    whole = F.conv2d(x, w, padding=2).numpy()
    monkeypatch.setattr(conv, "SHORT_COLUMNS", 32)
    monkeypatch.setattr(conv, "PANEL", 128)
    np.testing.assert_array_equal(F.conv2d(x, w, padding=2).numpy(), whole)
