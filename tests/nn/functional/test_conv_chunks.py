"""Convolution builds its columns in cache-sized chunks: check chunk boundaries by making
chunks tiny, so every sample of the op table is split into many of them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from op_db import OPS, ref_conv2d

import convnet as cn
import convnet.nn.functional as F
from convnet.nn.functional import conv

CONV = next(op for op in OPS if op.name == "conv2d")
SAMPLES = CONV.samples(np.random.default_rng(99))[::4]


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_conv2d_in_tiny_chunks_matches_torch(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conv, "CHUNK_BYTES", 64)     # a handful of positions (or one image) per chunk
    monkeypatch.setattr(conv, "KEEP_BYTES", 0)       # and columns rebuilt in backward, never kept
    sample = SAMPLES[index]
    x, w, b = sample.inputs
    ours = [cn.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    ref = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    out = F.conv2d(*ours, **sample.kwargs)
    expected = ref_conv2d(*ref, **sample.kwargs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(index).standard_normal(out.shape).astype(np.float32)
    out.backward(cn.tensor(g))
    expected.backward(torch.tensor(g))
    for a, r in zip(ours, ref, strict=True):
        if a is not None:
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), rtol=1e-4, atol=1e-5)
