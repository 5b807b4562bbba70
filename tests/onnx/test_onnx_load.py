"""Import: ONNX files from PyTorch, hand-built graphs and convnet's own exports run here."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from onnx import TensorProto, helper, numpy_helper
from onnx_helpers import assert_close, batch, convnet_run, input_shape, ort_run, ort_session, random_model

import convnet as cn
import convnet.onnx
from convnet import models
from convnet.train import load_checkpoint


# ---------------------------------------------------------------- models exported by PyTorch
class ResidualBlock(tnn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(4)
        self.conv2 = tnn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return TF.relu(self.conv2(TF.relu(self.bn1(self.conv1(x)))) + x)


class ViewHead(tnn.Module):
    """x.view(x.size(0), -1): exported as a Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = tnn.Conv2d(3, 4, 3, stride=2)
        self.fc = tnn.Linear(4 * 7 * 7, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return TF.log_softmax(self.fc(x.view(x.size(0), -1)), dim=1)


TORCH_MODELS = {
    "lenet5": (lambda: tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10)),
        (1, 32, 32)),
    "residual": (lambda: tnn.Sequential(tnn.Conv2d(3, 4, 3, padding=1), ResidualBlock(), tnn.AdaptiveAvgPool2d(1),
                                        tnn.Flatten(), tnn.Linear(4, 3)), (3, 16, 16)),
    "ceil-mode": (lambda: tnn.Sequential(tnn.Conv2d(3, 4, 3), tnn.MaxPool2d(3, 2, ceil_mode=True),
                                         tnn.AvgPool2d(3, 2, padding=1, ceil_mode=True)), (3, 16, 16)),
    "same-and-asymmetric": (lambda: tnn.Sequential(
        tnn.Conv2d(3, 4, 3, padding="same"), tnn.Conv2d(4, 4, 4, padding="same"),   # even kernel: 1 before, 2 after
        tnn.ZeroPad2d((0, 1, 1, 0)), tnn.Conv2d(4, 4, 2)), (3, 9, 9)),
    "grouped-dilated": (lambda: tnn.Sequential(
        tnn.Conv2d(4, 8, 3, groups=2, dilation=2, padding=2), tnn.Conv2d(8, 8, 3, groups=8), tnn.LeakyReLU(0.2),
        tnn.ELU(), tnn.GELU(), tnn.Sigmoid(), tnn.Tanh()), (4, 12, 12)),
    "average-pooling": (lambda: tnn.Sequential(
        tnn.AvgPool2d(3, 1, padding=1), tnn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        tnn.BatchNorm2d(3), tnn.Dropout(), tnn.Softmax(dim=1)), (3, 10, 10)),
    "view-chain": (ViewHead, (3, 16, 16)),
    "padding-modes": (lambda: tnn.Sequential(
        tnn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"),
        tnn.Conv2d(4, 4, 3, padding=1, padding_mode="replicate"),
        tnn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"),
        tnn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), tnn.ReLU6()), (3, 8, 8)),
    "one-dimensional": (lambda: tnn.Sequential(
        tnn.Conv1d(3, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool1d(3, 2, padding=1, ceil_mode=True),
        tnn.Conv1d(4, 6, 3, stride=2, dilation=2, groups=2), tnn.BatchNorm1d(6), tnn.AvgPool1d(2, ceil_mode=True),
        tnn.ConvTranspose1d(6, 2, 3, stride=2, padding=1)), (3, 24)),
    "three-dimensional": (lambda: tnn.Sequential(
        tnn.Conv3d(2, 4, 3, padding=1), tnn.MaxPool3d(2, ceil_mode=True), tnn.Conv3d(4, 4, (1, 3, 3), groups=2),
        tnn.AvgPool3d(2, padding=1, count_include_pad=False), tnn.ConvTranspose3d(4, 3, 3, stride=2, padding=1,
                                                                                 output_padding=(0, 1, 1))),
        (2, 5, 9, 8)),
    "modern-activations": (lambda: tnn.Sequential(
        tnn.Conv2d(3, 4, 3, padding=1), tnn.PReLU(4), tnn.Hardswish(), tnn.InstanceNorm2d(4, affine=True),
        tnn.Hardsigmoid(), tnn.SELU(), tnn.Softplus(), tnn.Upsample(scale_factor=2, mode="nearest"),
        tnn.Upsample(scale_factor=1.5, mode="bilinear"), tnn.Conv2d(4, 2, 3)), (3, 6, 7)),
}


def torch_export(model: tnn.Module, shape: tuple[int, ...], path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buffer = io.BytesIO()
        torch.onnx.export(model, (torch.randn(2, *shape),), buffer, opset_version=17, dynamo=False,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_models_exported_by_pytorch(name: str, tmp_path: Path) -> None:
    make, shape = TORCH_MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, tnn.BatchNorm2d):   # statistics that are not the identity
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 2)
                m.bias.uniform_(-1, 1)
    imported = convnet.onnx.load(torch_export(model, shape, tmp_path / f"{name}.onnx"))
    traced = (2, *shape) if len(shape) == 4 else shape      # a 4-tuple would read as (N, C, H, W)
    back = ort_session(convnet.onnx.to_onnx(imported, traced).SerializeToString())   # exported again
    for n in (3, 1):
        x = batch(shape, n)
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        assert_close(convnet_run(imported, x), want)
        assert_close(ort_run(back, x), want)


def test_pytorch_weight_names_are_kept(tmp_path: Path) -> None:
    make, shape = TORCH_MODELS["lenet5"]
    model = make().eval()
    imported = convnet.onnx.load(torch_export(model, shape, tmp_path / "lenet.onnx"))
    assert list(imported.state_dict()) == list(model.state_dict())
    assert isinstance(imported.get_submodule("0"), cn.nn.Conv2d)
    assert isinstance(imported.get_submodule("7"), cn.nn.Linear)


# ---------------------------------------------------------------- hand-built graphs
def conv_graph(auto_pad: str | None, stride: int, kernel: int, pads: list[int] | None = None,
               hw: int = 8) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, kernel, kernel)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    attrs = {"strides": [stride, stride], "kernel_shape": [kernel, kernel]}
    attrs.update({"auto_pad": auto_pad} if auto_pad else {"pads": pads})
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, hw, hw])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def pool_graph(op: str, auto_pad: str | None, stride: int, kernel: int, pads: list[int] | None = None,
               **extra: int) -> onnx.ModelProto:
    attrs = {"strides": [stride, stride], "kernel_shape": [kernel, kernel], **extra}
    attrs.update({"auto_pad": auto_pad} if auto_pad else {"pads": pads})
    node = helper.make_node(op, ["x"], ["y"], name="pool", **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 9, 9])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


HAND_BUILT = {
    "conv SAME_UPPER even kernel": conv_graph("SAME_UPPER", 1, 4),
    "conv SAME_UPPER stride 2": conv_graph("SAME_UPPER", 2, 3),
    "conv SAME_LOWER stride 2": conv_graph("SAME_LOWER", 2, 3),
    "conv SAME_LOWER even kernel": conv_graph("SAME_LOWER", 1, 2, hw=7),
    "conv VALID stride 2": conv_graph("VALID", 2, 3, hw=9),
    "conv asymmetric pads": conv_graph(None, 1, 3, pads=[0, 1, 2, 1]),
    "maxpool SAME_UPPER": pool_graph("MaxPool", "SAME_UPPER", 1, 2),
    "maxpool SAME_LOWER stride 2": pool_graph("MaxPool", "SAME_LOWER", 2, 2),
    "avgpool SAME_LOWER with pad": pool_graph("AveragePool", "SAME_LOWER", 2, 2, count_include_pad=1),
    "avgpool SAME_UPPER without pad": pool_graph("AveragePool", "SAME_UPPER", 2, 2, count_include_pad=0),
    "avgpool asymmetric without pad": pool_graph("AveragePool", None, 2, 3, pads=[1, 0, 0, 2], count_include_pad=0),
    "avgpool VALID": pool_graph("AveragePool", "VALID", 2, 3),
}


@pytest.mark.parametrize("case", HAND_BUILT)
def test_auto_pad_and_asymmetric_pads_match_onnxruntime(case: str) -> None:
    proto = HAND_BUILT[case]
    onnx.checker.check_model(proto)
    session = ort_session(proto.SerializeToString())
    shape = tuple(d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:])
    model = convnet.onnx.load(proto)
    for n in (2, 1):
        x = batch(shape, n)
        assert_close(convnet_run(model, x), ort_run(session, x))


@pytest.mark.parametrize("spatial,attrs", [
    (1, dict(pads=[0, 2], strides=[2])), (3, dict(auto_pad="SAME_LOWER", strides=[1, 2, 2])),
    (3, dict(pads=[1, 0, 2, 0, 1, 1], dilations=[1, 2, 1], group=2))])
def test_1d_and_3d_convolutions_with_onnx_padding(spatial: int, attrs: dict) -> None:
    """Constant weights with padding Conv1d / Conv3d have no argument for: learnable layers
    named ConvNd all the same, matching onnxruntime."""
    rng = np.random.default_rng(0)
    group = attrs.get("group", 1)
    w = rng.standard_normal((4, 4 // group, *(3,) * spatial)).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", kernel_shape=[3] * spatial, **attrs)
    shape = ["n", 4, *(7,) * spatial]
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * (spatial + 2))],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.ones(4, np.float32), "b")])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    model = convnet.onnx.load(proto)
    assert [m._get_name() for m in model.children()][1:] == [f"Conv{spatial}d"]
    assert sum(p.numel() for p in model.parameters()) == w.size + 4
    x = batch((4, *(7,) * spatial), 2)
    assert_close(convnet_run(model, x), ort_run(ort_session(proto.SerializeToString()), x))


def test_legacy_attributes_of_old_opsets() -> None:
    """Opset 6: Add with broadcast=1 and axis (B's axes line up with A's from axis 1 on, not
    from the right), and BatchNormalization's is_test; checked against the formulas in NumPy
    (onnxruntime does not run opsets this old)."""
    f, rng = TensorProto.FLOAT, np.random.default_rng(0)
    bias, scale, shift, mean = (rng.standard_normal(3).astype(np.float32) for _ in range(4))
    var = rng.uniform(0.5, 2, 3).astype(np.float32)
    nodes = [helper.make_node("Add", ["x", "bias"], ["a"], broadcast=1, axis=1),
             helper.make_node("BatchNormalization", ["a", "s", "b", "m", "v"], ["y"], is_test=1, epsilon=1e-3)]
    consts = [numpy_helper.from_array(v, n) for v, n in ((bias, "bias"), (scale, "s"), (shift, "b"), (mean, "m"),
                                                          (var, "v"))]
    inputs = [helper.make_tensor_value_info("x", f, [2, 3, 4, 5])]
    inputs += [helper.make_tensor_value_info(t.name, f, [3]) for t in consts]     # IR 3 lists weights as inputs
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", f, [2, 3, 4, 5])], consts)
    model = convnet.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 6)], ir_version=3))
    x = batch((3, 4, 5), 2)
    a = x + bias[:, None, None]
    want = (a - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) * scale[:, None, None] + shift[:, None, None]
    assert_close(convnet_run(model, x), want)


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", ["lenet5", "lenet5-classic", "mnist-cnn", "vgg-mnist", "mnist-bn", "resnet20",
                                  "resnet18", "googlenet"])
def test_round_trip_gives_the_same_model(name: str, tmp_path: Path) -> None:
    model, shape = random_model(name), input_shape(name)
    back = convnet.onnx.load(convnet.onnx.export(model, tmp_path / "m.onnx", shape))
    x = batch(shape, 3)
    assert_close(convnet_run(back, x), convnet_run(model, x), rtol=1e-6)
    kinds = (cn.nn.Conv2d, cn.nn.Linear, cn.nn.BatchNorm1d, cn.nn.BatchNorm2d)
    layers = {f"{name}.{key}" for name, m in model.named_modules() if isinstance(m, kinds)
              for key in m.state_dict() if key != "num_batches_tracked"}
    assert layers <= set(back.state_dict())    # layers come back under their own names
    assert isinstance(back, cn.nn.Module) and back.metadata["convnet.model"].startswith('{"name": ')


def test_imported_model_can_be_fine_tuned(tmp_path: Path) -> None:
    back = convnet.onnx.load(convnet.onnx.export(random_model("lenet5-classic"), tmp_path / "m.onnx", (1, 32, 32)))
    back.train()
    cn.nn.functional.cross_entropy(back(cn.randn(4, 1, 32, 32)), cn.tensor([0, 1, 2, 3])).backward()
    assert back.get_submodule("c1").weight.grad is not None


def test_trained_lenet_round_trip_and_metadata(trained_lenet: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(trained_lenet)
    model = models.create(ckpt.model_name, **ckpt.model_kwargs)
    model.load_state_dict(ckpt.model_state)
    ds = ckpt.meta["dataset"]
    path = convnet.onnx.export(model.eval(), tmp_path / "lenet.onnx", (1, 28, 28), dataset=ds)
    back = convnet.onnx.load(path)
    x = batch((1, 28, 28), 4)
    assert_close(convnet_run(back, x), convnet_run(model, x), rtol=1e-6)
    assert convnet.onnx.dataset_description(back) == (ds, None)


def test_preprocessing_is_inferred_with_a_note(tmp_path: Path) -> None:
    make, shape = TORCH_MODELS["residual"]
    back = convnet.onnx.load(torch_export(make().eval(), shape, tmp_path / "res.onnx"))
    ds, note = convnet.onnx.dataset_description(back)
    assert ds["classes"] == ["0", "1", "2"] and ds["image_size"] == [16, 16] and ds["style"] == "photo"
    assert note is not None and "res.onnx" in note and "ImageNet mean and std" in note


# ---------------------------------------------------------------- errors that teach
def unsupported_graph() -> onnx.ModelProto:
    f = TensorProto.FLOAT
    nodes = [
        helper.make_node("SpaceToDepth", ["x"], ["a"], name="rearrange", blocksize=2),
        helper.make_node("LRN", ["a"], ["b"], name="norm", size=4),
        helper.make_node("Einsum", ["b", "b"], ["c"], name="product", equation="nchw,nchw->nchw"),
        helper.make_node("FusedThing", ["c"], ["d"], name="vendor", domain="com.example"),
        helper.make_node("Relu", ["d"], ["y"], name="fine"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", f, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", f, [None] * 4)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)],
                             ir_version=8)


def test_every_unsupported_operator_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "odd.onnx"
    onnx.save(unsupported_graph(), path)
    with pytest.raises(convnet.onnx.LoadError) as e:
        convnet.onnx.load(path)
    msg = str(e.value)
    assert str(path) in msg and "4 problem(s)" in msg
    for part in ("operator SpaceToDepth (node 'rearrange')", "operator LRN (node 'norm'): size=4",
                 "operator Einsum (node 'product')", "FusedThing (node 'vendor') of domain 'com.example'"):
        assert part in msg
    assert "Relu" not in msg


def test_unsupported_attribute_values_are_named(tmp_path: Path) -> None:
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", mode="area")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)], [scales])
    with pytest.raises(convnet.onnx.LoadError,
                       match=r"Resize \(node 'resize'\): mode='area' is not supported; supported: nearest, linear"):
        convnet.onnx.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8))


def test_corrupt_files_give_clear_errors(tmp_path: Path) -> None:
    good = convnet.onnx.export(random_model("lenet5"), tmp_path / "good.onnx", (1, 32, 32)).read_bytes()
    cases = {
        "truncated.onnx": (good[: len(good) // 2], "truncated"),
        "empty.onnx": (b"", "the file is empty"),
        "noise.onnx": (np.random.default_rng(0).bytes(5000), "truncated"),
        "text.onnx": (b"hello, I am not a model\n" * 10, "truncated"),
        "model.pth.onnx": (b"\x80\x04\x95" + bytes(20), "pickle or zip file"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(convnet.onnx.LoadError) as e:
            convnet.onnx.load(tmp_path / name)
        assert str(tmp_path / name) in str(e.value) and expected in str(e.value), (name, str(e.value))
    with pytest.raises(convnet.onnx.LoadError, match="no such ONNX file"):
        convnet.onnx.load(tmp_path / "missing.onnx")


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = convnet.onnx.export(random_model("lenet5"), tmp_path / "m.onnx", (1, 32, 32))
    size = path.stat().st_size
    with pytest.raises(convnet.onnx.LoadError, match=rf"{size:,} bytes, over the limit of 1,000 bytes"):
        convnet.onnx.load(path, max_bytes=1000)
    monkeypatch.setenv("CONVNET_ONNX_MAX_BYTES", "2000")
    with pytest.raises(convnet.onnx.LoadError, match="CONVNET_ONNX_MAX_BYTES"):
        convnet.onnx.load(path)
    assert convnet.onnx.load(path, max_bytes=size) is not None


def test_wrong_input_shape_is_explained(tmp_path: Path) -> None:
    back = convnet.onnx.load(convnet.onnx.export(random_model("lenet5"), tmp_path / "m.onnx", (1, 32, 32)))
    with pytest.raises(ValueError, match="input 'input' must have shape Nx1x32x32, got 2x1x28x28"):
        back(cn.zeros(2, 1, 28, 28))
