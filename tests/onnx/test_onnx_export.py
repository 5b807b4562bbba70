"""Export: every zoo model runs in onnxruntime with convnet's outputs, at any batch size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx_helpers import assert_close, batch, convnet_run, input_shape, ort_run, ort_session, random_model

import convnet as cn
import convnet.nn as nn
import convnet.nn.functional as F
import convnet.onnx
from convnet import models
from convnet.train import load_checkpoint


@pytest.mark.parametrize("name", models.list())
def test_every_zoo_model_runs_in_onnxruntime(name: str, tmp_path: Path) -> None:
    model, shape = random_model(name), input_shape(name)
    path = convnet.onnx.export(model, tmp_path / f"{name}.onnx", shape)  # runs the checker and strict inference
    if path.stat().st_size < 2**26:        # again here where it is cheap (VGG's 500 MB take seconds)
        onnx.checker.check_model(str(path), full_check=True)
    session = ort_session(path)
    for n in (3, 1):                       # the trace used 2 images: the batch dimension is dynamic
        x = batch(shape, n)
        want = convnet_run(model, x)
        assert np.abs(want).max() > 1e-3   # random weights, not a trivially zero output
        assert_close(ort_run(session, x), want)


def test_the_batch_dimension_is_symbolic(tmp_path: Path) -> None:
    proto = onnx.load(convnet.onnx.export(random_model("resnet20"), tmp_path / "r.onnx", (3, 32, 32)))
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 3, 32, 32]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 10]
    assert (inp.name, out.name) == ("input", "output")


def test_trained_lenet_with_its_dataset_in_the_metadata(trained_lenet: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(trained_lenet)
    model = models.create(ckpt.model_name, **ckpt.model_kwargs)
    model.load_state_dict(ckpt.model_state)
    model.eval()
    ds = ckpt.meta["dataset"]
    shape = (ds["in_channels"], *ds["image_size"])
    path = convnet.onnx.export(model, tmp_path / "lenet.onnx", shape, dataset=ds)
    proto = onnx.load(path)
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["convnet.dataset"]) == ds
    assert json.loads(props["convnet.model"]) == {"name": "lenet5", "kwargs": ckpt.model_kwargs}
    assert props["convnet.format_version"] == "1" and props["convnet.version"] == cn.__version__
    assert {t.name for t in proto.graph.initializer} >= set(model.state_dict())   # state_dict names kept
    session = ort_session(path)
    for n in (5, 1):
        x = batch(shape, n)
        assert_close(ort_run(session, x), convnet_run(model, x))


class Everything(nn.Module):
    """Layers and tensor operations outside the zoo: padding modes, transposed convolution,
    the other activations, pooling corner cases, BatchNorm1d, slicing, concatenation."""

    def __init__(self) -> None:
        super().__init__()
        self.reflect = nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
        self.circular = nn.Conv2d(4, 4, 3, padding=(1, 2), padding_mode="circular", dilation=(1, 2))
        self.replicate = nn.Conv2d(4, 4, 3, padding="same", padding_mode="replicate", groups=2, bias=False)
        self.same = nn.Conv2d(4, 4, 4, stride=2, padding="same")          # asymmetric: 1 before, 2 after
        self.up = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.lrn = nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=2.0)
        self.fc = nn.Linear(4 * 3 * 3 * 2, 6)
        self.bn1d = nn.BatchNorm1d(6)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: cn.Tensor) -> cn.Tensor:
        x = F.leaky_relu(self.reflect(x), 0.2)
        x = F.elu(self.circular(x)).sigmoid()
        x = F.gelu(self.replicate(x)) + F.gelu(x, approximate="tanh")
        x = self.lrn(self.bn(self.up(self.same(x)))).clamp(max=6.0)          # (N, 4, 10, 10)
        x = F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False)   # 6x6
        y = F.adaptive_avg_pool2d(x, 3)                                     # divisible: AveragePool
        z = F.adaptive_avg_pool2d(F.adaptive_avg_pool2d(x, 4), 3) * F.adaptive_max_pool2d(x, (3, 3))
        y = cn.cat([y, F.pad(z, (0, 0, 0, 0, 1, 1))[:, 1:-1]], dim=1).tanh()
        h = self.drop(self.bn1d(self.fc(y.flatten(1))))
        h = h - h.mean(dim=1, keepdim=True)
        return F.log_softmax(h, dim=1) + F.softmax(h.reshape(-1, 2, 3).permute(0, 2, 1), dim=2).flatten(1)


@pytest.mark.parametrize("opset", [17, 20])
def test_operations_outside_the_zoo(opset: int, tmp_path: Path) -> None:
    """Opset 17 writes GELU with Erf and circular padding with Slice and Concat; 20 has both."""
    cn.manual_seed(0)
    model = Everything().eval()
    for bn in (model.bn, model.bn1d):
        bn.running_mean.data[...] = cn.randn(*bn.running_mean.shape).numpy() * 0.1
        bn.running_var.data[...] = cn.rand(*bn.running_var.shape).numpy() + 0.5
    path = convnet.onnx.export(model, tmp_path / "all.onnx", (3, 9, 9), opset=opset)
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert ("Gelu" in ops) == (opset >= 20) and ("Erf" in ops) == (opset < 20)
    assert {"ConvTranspose", "LRN", "BatchNormalization", "Pad", "MatMul", "Clip", "Concat", "Slice"} <= ops
    session = ort_session(path)
    for n in (2, 4):
        x = batch((3, 9, 9), n)
        assert_close(ort_run(session, x), convnet_run(model, x))


class Volumes(nn.Module):
    """1-D and 3-D layers: Conv1d runs as a 2-D Conv one pixel high, Conv3d and 3-D pooling
    are written as ONNX's 3-D Conv, MaxPool and AveragePool."""

    def __init__(self) -> None:
        super().__init__()
        self.conv3d = nn.Conv3d(2, 4, 3, padding=(1, 0, 1), stride=(1, 2, 1), groups=2)
        self.pool3d = nn.MaxPool3d(2, ceil_mode=True)
        self.avg3d = nn.AvgPool3d(2, padding=1, count_include_pad=False)
        self.conv1d = nn.Conv1d(4, 3, 3, padding="same", dilation=2)
        self.pool1d = nn.MaxPool1d(2)

    def forward(self, x: cn.Tensor) -> cn.Tensor:
        x = self.avg3d(self.pool3d(self.conv3d(x)))                 # (N, 4, D, H, W)
        x = x.flatten(2)                                            # (N, 4, L)
        return F.avg_pool1d(self.pool1d(self.conv1d(x)), 2, ceil_mode=True)


def test_one_and_three_dimensional_layers(tmp_path: Path) -> None:
    model = Volumes().eval()
    path = convnet.onnx.export(model, tmp_path / "volumes.onnx", (2, 2, 5, 9, 6))     # (N, C, D, H, W)
    session = ort_session(path)
    for n in (3, 1):
        x = batch((2, 5, 9, 6), n)
        assert_close(ort_run(session, x), convnet_run(model, x))
    back = convnet.onnx.load(path)
    x = batch((2, 5, 9, 6), 2)
    assert_close(convnet_run(back, x), convnet_run(model, x), rtol=1e-6)


def test_pooling_is_written_explicitly() -> None:
    """ceil_mode and count_include_pad are always written: ONNX's default for count_include_pad
    is 0 where PyTorch's is 1."""
    model = nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True), nn.AvgPool2d(3, 1, padding=1),
                          nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False))
    nodes = convnet.onnx.to_onnx(model, (1, 10, 10)).graph.node
    attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in nodes]
    assert [n.op_type for n in nodes] == ["MaxPool", "AveragePool", "AveragePool"]
    assert [a["ceil_mode"] for a in attrs] == [1, 0, 1]
    assert [a.get("count_include_pad") for a in attrs] == [None, 1, 0]
    assert attrs[1]["pads"] == [1, 1, 1, 1]


class Unexportable(nn.Module):
    def forward(self, x: cn.Tensor) -> cn.Tensor:
        x = F.avg_pool2d(x, 2, divisor_override=3)
        x = F.adaptive_max_pool2d(x, 3)                         # 4x4 -> 3x3: windows of unequal size
        return x.exp().max(dim=1).values                        # no ONNX rule for max(dim)


def test_every_unexportable_operation_is_listed_at_once(tmp_path: Path) -> None:
    target = tmp_path / "m.onnx"
    target.write_bytes(b"previous file")
    with pytest.raises(convnet.onnx.ExportError) as e:
        convnet.onnx.export(Unexportable(), target, (1, 8, 8))
    msg = str(e.value)
    assert "3 operation(s)" in msg and "divisor_override=3" in msg and "4x4 to 3x3" in msg
    assert "DimExtreme" in msg and "Unexportable" in msg
    assert target.read_bytes() == b"previous file" and os.listdir(tmp_path) == ["m.onnx"]


class Masked(nn.Module):
    def __init__(self, from_input: bool) -> None:
        super().__init__()
        self.from_input = from_input
        self.register_buffer("mask", cn.tensor(np.array([[True, False, True]])))

    def forward(self, x: cn.Tensor) -> cn.Tensor:
        return cn.where(x > 0 if self.from_input else self.mask, x, -x)


def test_where_needs_a_condition_the_model_holds() -> None:
    """A comparison is not a recorded operation: its result would be frozen, so it is refused."""
    with pytest.raises(convnet.onnx.ExportError, match="frozen at the traced example's values"):
        convnet.onnx.to_onnx(Masked(from_input=True), (1, 2, 3))
    proto = convnet.onnx.to_onnx(Masked(from_input=False), (1, 2, 3))
    x = batch((1, 2, 3), 3)
    assert_close(ort_run(ort_session(proto.SerializeToString()), x), convnet_run(Masked(from_input=False), x))


def test_a_batch_dependent_reshape_is_refused() -> None:
    class Merge(nn.Module):
        def forward(self, x: cn.Tensor) -> cn.Tensor:
            return x.reshape(-1)

    with pytest.raises(convnet.onnx.ExportError, match="merges or moves the batch dimension"):
        convnet.onnx.to_onnx(Merge(), (1, 2, 2))


def test_bad_arguments() -> None:
    model = models.create("lenet5")
    with pytest.raises(ValueError, match="opset 5 is not supported"):
        convnet.onnx.to_onnx(model, (1, 32, 32), opset=5)
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
        convnet.onnx.to_onnx(model, (32,))
    with pytest.raises(ValueError, match="kernel 5 does not fit"):
        convnet.onnx.to_onnx(model, (1, 4, 4))


def test_convnet_imports_without_onnx_and_says_how_to_get_it() -> None:
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import convnet, convnet.onnx, convnet.io, convnet.cli\n"
            "try:\n    convnet.onnx.to_onnx(convnet.models.create('lenet5'), (1, 32, 32))\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install convnet[onnx]" in out
