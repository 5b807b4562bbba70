"""Every layer against torch.nn, from one table.

Each row names a layer and its constructor arguments (the same for both libraries), the
input shape and, for losses, how to draw the target. The test builds the torch layer,
copies its state_dict into ours as NumPy arrays, feeds both the same input and compares,
in float32 with rtol 1e-4 / atol 1e-5: the outputs, the input gradient, every parameter's
gradient, and the state_dict after the step (running statistics). Each row runs in
training and in evaluation mode. Adding a layer or configuration means adding a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

import convnet as cn
import convnet.nn as nn

RTOL, ATOL = 1e-4, 1e-5


@dataclass
class Row:
    layer: str
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] = (2, 3, 8, 8)
    target: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray] | None = None
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    scale: float = 1.0

    @property
    def id(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()
                                                if not isinstance(v, np.ndarray)]
        parts += [f"{k}=<array>" for k, v in self.kwargs.items() if isinstance(v, np.ndarray)]
        return f"{self.layer}({', '.join(parts)})-{'x'.join(map(str, self.shape))}"


def classes(n: int, ignore: int | None = None) -> Callable[[np.random.Generator, tuple], np.ndarray]:
    """Integer class targets for input (N, C, ...): shape without dimension 1."""
    def draw(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        t = rng.integers(0, n, size=shape[:1] + shape[2:])
        if ignore is not None:
            t[::3] = ignore
        return t.astype(np.int64)
    return draw


def probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    p = rng.random(shape).astype(np.float32)
    return p / p.sum(axis=1, keepdims=True)


def same_shape(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def unit_interval(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.random(shape).astype(np.float32)


W5 = np.array([0.5, 1.0, 2.0, 1.5, 0.25], dtype=np.float32)

ROWS = [
    # ---------------------------------------------------------------- convolutions
    Row("Conv2d", (3, 4, 3)),
    Row("Conv2d", (3, 6, 3), dict(stride=2, padding=1, groups=3, bias=False)),
    Row("Conv2d", (4, 4, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1)),
        shape=(2, 4, 9, 9)),
    Row("Conv2d", (3, 4, 3), dict(padding="same", dilation=2)),
    Row("Conv2d", (3, 4, 4), dict(padding="same")),
    Row("Conv2d", (3, 4, 2), dict(padding="valid")),
    Row("Conv2d", (3, 4, 3), dict(padding=2, padding_mode="reflect")),
    Row("Conv2d", (3, 4, 3), dict(padding=(1, 2), padding_mode="replicate", stride=2)),
    Row("Conv2d", (4, 8, 3), dict(padding=1, padding_mode="circular", groups=4, stride=2),
        shape=(2, 4, 7, 7)),
    Row("Conv2d", (3, 4, 4), dict(padding="same", padding_mode="reflect", dilation=(1, 2))),
    Row("ConvTranspose2d", (3, 4, 3)),
    Row("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
        shape=(2, 4, 5, 5)),
    Row("ConvTranspose2d", (3, 2, (3, 4)), dict(stride=(2, 3), padding=(1, 2), dilation=(2, 1),
                                                 bias=False)),
    Row("ConvTranspose2d", (3, 4, 3), dict(stride=2, padding=1), call_kwargs=dict(output_size=(16, 16))),
    Row("ConvTranspose2d", (3, 4, 3), dict(stride=3), call_kwargs=dict(output_size=[2, 4, 25, 26])),
    # ---------------------------------------------------------------- pooling
    Row("MaxPool2d", (2,)),
    Row("MaxPool2d", (3,), dict(stride=2, padding=1)),
    Row("MaxPool2d", (3, 2), dict(ceil_mode=True)),
    Row("MaxPool2d", (2,), dict(stride=1, dilation=2)),
    Row("MaxPool2d", ((2, 3),), dict(stride=(1, 2), return_indices=True)),
    Row("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, return_indices=True),
        shape=(2, 3, 7, 7)),
    Row("AvgPool2d", (2,)),
    Row("AvgPool2d", (3,), dict(stride=2, padding=1)),
    Row("AvgPool2d", (3, 2), dict(padding=1, count_include_pad=False)),
    Row("AvgPool2d", (3, 2), dict(ceil_mode=True)),
    Row("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), shape=(2, 3, 7, 7)),
    Row("AvgPool2d", ((2, 3),), dict(divisor_override=4)),
    Row("AdaptiveAvgPool2d", (1,)),
    Row("AdaptiveAvgPool2d", ((3, 5),), shape=(2, 3, 7, 9)),
    Row("AdaptiveAvgPool2d", ((None, 2),), shape=(2, 3, 5, 7)),
    Row("AdaptiveMaxPool2d", ((3, 4),), shape=(2, 3, 7, 9)),
    Row("AdaptiveMaxPool2d", (2,), dict(return_indices=True), shape=(2, 3, 5, 5)),
    # ---------------------------------------------------------------- linear and shape
    Row("Linear", (5, 3), shape=(4, 5)),
    Row("Linear", (5, 3), dict(bias=False), shape=(2, 3, 5)),
    Row("Identity", (3,), dict(unused=True), shape=(2, 3)),
    Row("Flatten", shape=(2, 3, 4, 5)),
    Row("Flatten", (0, 2), shape=(2, 3, 4, 5)),
    Row("Unflatten", (1, (2, 6)), shape=(2, 12, 3)),
    Row("Unflatten", (-1, (2, -1)), shape=(2, 3, 8)),
    # ---------------------------------------------------------------- activations
    Row("ReLU"),
    Row("ReLU", (True,)),
    Row("ReLU6", scale=5.0),
    Row("LeakyReLU", (0.2,)),
    Row("ELU", kwargs=dict(alpha=0.5)),
    Row("GELU"),
    Row("GELU", kwargs=dict(approximate="tanh")),
    Row("SiLU"),
    Row("Tanh"),
    Row("Sigmoid"),
    Row("Softmax", kwargs=dict(dim=1)),
    Row("Softmax", kwargs=dict(dim=-1), shape=(4, 6)),
    Row("LogSoftmax", kwargs=dict(dim=1), shape=(4, 6)),
    # ---------------------------------------------------------------- normalisation
    Row("BatchNorm1d", (5,), shape=(8, 5)),
    Row("BatchNorm1d", (4,), shape=(6, 4, 7)),
    Row("BatchNorm1d", (5,), dict(affine=False), shape=(8, 5)),
    Row("BatchNorm2d", (3,), shape=(4, 3, 5, 5)),
    Row("BatchNorm2d", (3,), dict(momentum=None), shape=(4, 3, 5, 5)),
    Row("BatchNorm2d", (3,), dict(track_running_stats=False), shape=(4, 3, 5, 5)),
    Row("BatchNorm2d", (3,), dict(eps=1e-3, momentum=0.3), shape=(4, 3, 5, 5)),
    Row("BatchNorm2d", (3,), dict(bias=False), shape=(4, 3, 5, 5)),
    Row("LocalResponseNorm", (3,), shape=(2, 6, 4, 4)),
    Row("LocalResponseNorm", (4,), dict(alpha=1e-2, beta=0.5, k=2.0), shape=(2, 6, 4, 4)),
    # ---------------------------------------------------------------- losses
    Row("CrossEntropyLoss", shape=(6, 5), target=classes(5)),
    Row("CrossEntropyLoss", kwargs=dict(weight=W5, ignore_index=2, label_smoothing=0.1),
        shape=(6, 5), target=classes(5, ignore=2)),
    Row("CrossEntropyLoss", kwargs=dict(reduction="none"), shape=(4, 5, 3, 3), target=classes(5)),
    Row("CrossEntropyLoss", kwargs=dict(reduction="sum", weight=W5), shape=(6, 5),
        target=probabilities),
    Row("NLLLoss", shape=(6, 5), target=classes(5)),
    Row("NLLLoss", kwargs=dict(weight=W5, reduction="sum"), shape=(6, 5), target=classes(5)),
    Row("NLLLoss", kwargs=dict(ignore_index=0), shape=(4, 5, 3), target=classes(5, ignore=0)),
    Row("MSELoss", shape=(4, 3), target=same_shape),
    Row("MSELoss", kwargs=dict(reduction="sum"), shape=(2, 3, 4, 4), target=same_shape),
    Row("L1Loss", shape=(4, 3), target=same_shape),
    Row("L1Loss", kwargs=dict(reduction="none"), shape=(4, 3), target=same_shape),
    Row("BCEWithLogitsLoss", shape=(4, 5), target=unit_interval),
    Row("BCEWithLogitsLoss", kwargs=dict(weight=W5, pos_weight=W5[::-1].copy()), shape=(4, 5),
        target=unit_interval),
    Row("BCEWithLogitsLoss", kwargs=dict(reduction="none"), shape=(4, 5), target=unit_interval),
    # ---------------------------------------------------------------- 1-D and 3-D layers
    Row("Conv1d", (3, 4, 3), shape=(2, 3, 10)),
    Row("Conv1d", (4, 6, 4), dict(stride=2, padding=1, dilation=2, groups=2, bias=False), shape=(2, 4, 15)),
    Row("Conv1d", (3, 4, 3), dict(padding="same", padding_mode="reflect"), shape=(2, 3, 9)),
    Row("Conv3d", (2, 4, 3), dict(padding=1), shape=(2, 2, 5, 6, 4)),
    Row("Conv3d", (4, 4, (1, 3, 2)), dict(stride=(1, 2, 1), padding=(0, 1, 1), dilation=(1, 1, 2), groups=4,
                                          padding_mode="circular"), shape=(1, 4, 3, 7, 6)),
    Row("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True, return_indices=True), shape=(2, 3, 10)),
    Row("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), shape=(2, 3, 10)),
    Row("MaxPool3d", (2,), dict(stride=1, dilation=(1, 2, 1), return_indices=True), shape=(2, 2, 4, 6, 5)),
    Row("AvgPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        shape=(1, 2, 6, 7, 5)),
]


def _kwargs(kwargs: dict[str, Any], make: Callable[[np.ndarray], Any]) -> dict[str, Any]:
    return {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _randomise_constants(layer: torch.nn.Module) -> None:
    """Give constant-initialised state (BatchNorm's 1s and 0s) random values, so that copying
    and using it is really tested."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for t in [*layer.parameters(), *layer.buffers()]:
            if t.is_floating_point() and t.numel() > 1 and bool((t == t.flatten()[0]).all()):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)


def _pair(row: Row) -> tuple[torch.nn.Module, nn.Module]:
    torch.manual_seed(0)
    ref = getattr(torch.nn, row.layer)(*row.args, **_kwargs(row.kwargs, torch.from_numpy))
    _randomise_constants(ref)
    ours = getattr(nn, row.layer)(*row.args, **_kwargs(row.kwargs, cn.tensor))
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    return ref, ours


def _close(ours: cn.Tensor, ref: torch.Tensor, what: str) -> None:
    expected = ref.detach().numpy()
    assert ours.shape == tuple(expected.shape), f"{what}: shape {ours.shape} != {expected.shape}"
    if expected.dtype.kind == "f":
        assert ours.dtype == expected.dtype, f"{what}: dtype {ours.dtype} != {expected.dtype}"
        np.testing.assert_allclose(ours.numpy(), expected, rtol=RTOL, atol=ATOL, err_msg=what)
    else:
        np.testing.assert_array_equal(ours.numpy(), expected, err_msg=what)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_layer_matches_torch(row: Row, training: bool) -> None:
    ref, ours = _pair(row)
    ref.train(training)
    ours.train(training)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(row.shape) * row.scale).astype(np.float32)
    x_ref = torch.tensor(x, requires_grad=True)
    x_ours = cn.tensor(x, requires_grad=True)
    extra_ref, extra_ours = (), ()
    if row.target is not None:
        t = row.target(rng, row.shape)
        extra_ref, extra_ours = (torch.from_numpy(t),), (cn.tensor(t),)
    # clone first, so that in-place layers never write into a leaf (torch forbids it)
    out_ref = ref(x_ref.clone(), *extra_ref, **row.call_kwargs)
    out_ours = ours(x_ours.clone(), *extra_ours, **row.call_kwargs)

    outs_ref = out_ref if isinstance(out_ref, tuple) else (out_ref,)
    outs_ours = out_ours if isinstance(out_ours, tuple) else (out_ours,)
    assert len(outs_ours) == len(outs_ref)
    for i, (o, r) in enumerate(zip(outs_ours, outs_ref, strict=True)):
        _close(o, r, f"output {i}")

    g = rng.standard_normal(tuple(outs_ref[0].shape)).astype(np.float32)
    (outs_ref[0] * torch.from_numpy(g)).sum().backward()
    (outs_ours[0] * cn.tensor(g)).sum().backward()
    _close(x_ours.grad, x_ref.grad, "input gradient")
    named_ref = dict(ref.named_parameters())
    named_ours = dict(ours.named_parameters())
    assert list(named_ours) == list(named_ref)
    for name, p in named_ours.items():
        _close(p.grad, named_ref[name].grad, f"gradient of {name}")

    state_ref = ref.state_dict()
    state_ours = ours.state_dict()
    assert list(state_ours) == list(state_ref)
    for key, value in state_ours.items():
        _close(value, state_ref[key], f"state_dict[{key!r}] after the step")


@pytest.mark.parametrize("layer", ["Dropout", "Dropout2d"])
def test_dropout_eval_is_identity_and_train_masks(layer: str) -> None:
    x = cn.randn(64, 16, 6, 6) + 3.0  # away from zero, so a kept value is never 0
    ours = getattr(nn, layer)(p=0.25)
    ref = getattr(torch.nn, layer)(p=0.25)
    assert repr(ours) == repr(ref)
    ours.eval()
    assert ours(x) is x
    ours.train()
    xg = cn.tensor(x.numpy(), requires_grad=True)
    y = ours(xg)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.75, rtol=1e-6)
    if layer == "Dropout2d":  # whole channels: each (n, c) map is all kept or all dropped
        per_map = kept.reshape(64, 16, -1)
        assert (per_map.all(axis=2) | ~per_map.any(axis=2)).all()
    assert abs(1 - kept.mean() - 0.25) < 0.03
    y.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), kept / 0.75, rtol=1e-6)


def test_relu_inplace_writes_into_the_input_when_no_gradient_is_needed() -> None:
    x = cn.tensor([-1.0, 2.0, -3.0])
    with cn.no_grad():
        y = nn.ReLU(inplace=True)(x)
    assert y is x
    assert x.tolist() == [0.0, 2.0, 0.0]


def test_relu6_has_no_gradient_at_zero_like_torch() -> None:
    x = cn.tensor([0.0, -1.0, 3.0, 7.0], requires_grad=True)
    nn.ReLU6()(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0]


def test_conv2d_same_padding_with_stride_extends_torch() -> None:
    """torch refuses padding="same" with stride 2; ours pads (begin, end) = arith.same_padding
    and matches torch on the explicitly padded input."""
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(3, 4, 4, stride=2)
    for mode in ("zeros", "reflect"):
        ours = nn.Conv2d(3, 4, 4, stride=2, padding="same", padding_mode=mode)
        ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
        out = ours(cn.tensor(x))
        assert out.shape == (2, 4, 5, 5)  # ceil(9 / 2)
        # total padding (5 - 1) * 2 + 4 - 9 = 3: one before, two after
        padded = torch.nn.functional.pad(torch.from_numpy(x), (1, 2, 1, 2),
                                         mode="constant" if mode == "zeros" else mode)
        _close(out, ref(padded), f"same padding, stride 2, {mode}")
