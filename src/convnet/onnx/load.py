"""Build a convnet model from an ONNX file: NumPy only at run time, no onnxruntime.

Each node becomes a convnet Module by the rule of its operator in `convnet.onnx.ops`: a
layer (Conv2d, BatchNorm2d, Linear, MaxPool2d, ...) holding the node's weights as
parameters, or a small `OnnxOp` for nodes without state (Add, Reshape, Concat, ...). The
returned `OnnxModel` runs the nodes in the file's order; it is an ordinary Module (print it,
summarise it, fine-tune it). Nodes whose inputs are all known when loading (shape
arithmetic on constants, weights passed through Identity) are computed once, at load.

Layers whose weights are named ``<path>.weight``, ``<path>.bias``, ... (as torch.onnx.export
and convnet.onnx.export write them) are placed at ``<path>``, so the imported model's
state_dict keys are the original model's.

Before anything is built, every node is checked: an unsupported operator or attribute is
reported together with all the others, by node name, in one error.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import no_grad
from ..errors import ConvnetTypeError, ConvnetValueError, ShapeError
from ..nn import Module
from . import require_onnx
from .export import META_DATASET, META_INPUT_SHAPE, skeleton
from .ops import BY_ONNX, NodeInfo, Unsupported

DEFAULT_MAX_BYTES = 2**31 - 1        # the largest self-contained ONNX file protobuf can hold
MAX_BYTES_ENV = "CONVNET_ONNX_MAX_BYTES"
MEMORY = "<ONNX model in memory>"
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class LoadError(ConvnetValueError):
    """An ONNX file that cannot be read or built; the message names the file and every problem."""


class Constants(Module):
    """The graph's constant values that its nodes read at run time, as buffers."""

    def extra_repr(self) -> str:
        return f"{len(self._buffers)} values"


class OnnxModel(Module):
    """A model read from ONNX: its nodes as convnet modules, run in the graph's order.

    ``input_names`` / ``input_shapes`` (None marks a dynamic dimension) and ``output_names``
    describe the graph; ``metadata`` holds the file's metadata_props.

    >>> import convnet, convnet.onnx, convnet.nn as nn
    >>> model = convnet.onnx.load(convnet.onnx.to_onnx(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), (1, 5, 5)))
    >>> model
    OnnxModel(
      source='<ONNX model in memory>', opset=17, inputs=(input: Nx1x5x5)
      (constants): Constants(0 values)
      (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))
      (1_Relu): ReLU()
    )
    >>> model(convnet.ones(4, 1, 5, 5)).shape
    (4, 2, 3, 3)
    """

    def __init__(self, source: str, opset: int, metadata: dict[str, str]) -> None:
        super().__init__()
        self.source, self.opset, self.metadata = source, opset, metadata
        self.input_names: list[str] = []
        self.input_shapes: list[tuple[int | None, ...]] = []
        self.input_dtypes: list[np.dtype] = []
        self.output_names: list[str] = []
        self.plan: list[tuple[Module, list[str | None], list[str]]] = []
        self.constant_names: dict[str, str] = {}       # graph value -> buffer name in self.constants
        self.constants = Constants()

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.input_names):
            raise ConvnetTypeError(f"{self.source}: the model takes {len(self.input_names)} input(s) "
                                   f"({', '.join(self.input_names)}), got {len(inputs)}")
        env: dict[str, Any] = {value: getattr(self.constants, buf) for value, buf in self.constant_names.items()}
        for name, shape, dtype, x in zip(self.input_names, self.input_shapes, self.input_dtypes, inputs,
                                         strict=True):
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
            if x.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, x.shape, strict=True)):
                want = "x".join("N" if s is None else str(s) for s in shape)
                raise ShapeError(f"{self.source}: input {name!r} must have shape {want}, got "
                                 f"{'x'.join(map(str, x.shape))}")
            env[name] = x.to(dtype) if dtype.kind == "f" and x.dtype != dtype else x
        for module, args, outs in self.plan:
            result = module(*(env[a] if a else None for a in args))
            for name, value in zip(outs, result if isinstance(result, tuple) else (result,), strict=False):
                env[name] = value
        results = tuple(env[name] for name in self.output_names)
        return results[0] if len(results) == 1 else results

    def extra_repr(self) -> str:
        shapes = ", ".join(f"{n}: {'x'.join('N' if s is None else str(s) for s in shape)}"
                           for n, shape in zip(self.input_names, self.input_shapes, strict=True))
        return f"source={Path(self.source).name!r}, opset={self.opset}, inputs=({shapes})"


# ---------------------------------------------------------------- reading the file
def _read(source: Any, max_bytes: int | None) -> tuple[Any, str]:
    """(ModelProto, label for messages) from a path or a ModelProto, with clear errors."""
    onnx = require_onnx()
    if isinstance(source, onnx.ModelProto):
        return source, MEMORY
    p = Path(source)
    limit = int(os.environ.get(MAX_BYTES_ENV, DEFAULT_MAX_BYTES)) if max_bytes is None else max_bytes
    if not p.is_file():
        raise LoadError(f"{p}: no such ONNX file" if not p.exists() else f"{p}: not a file")
    size = p.stat().st_size
    if size > limit:
        raise LoadError(f"{p}: the file is {size:,} bytes, over the limit of {limit:,} bytes; if you trust "
                        f"it, raise the limit (max_bytes=..., or the {MAX_BYTES_ENV} environment variable)")
    if size == 0:
        raise LoadError(f"{p}: the file is empty")
    raw = p.read_bytes()
    if raw[:1] == b"\x80" or raw[:2] == b"PK":
        raise LoadError(f"{p}: this is a pickle or zip file (a PyTorch .pt/.pth?), not ONNX; export the model "
                        "with torch.onnx.export, or load its weights with convnet.io.load_torch_weights")
    from google.protobuf.message import DecodeError

    try:
        proto = onnx.load_model_from_string(raw)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise LoadError(f"{p}: not a readable ONNX file (protobuf could not parse it: {e}); it may be "
                        "truncated or of another kind") from None
    if not proto.HasField("graph") or proto.ir_version <= 0 or not proto.graph.output:
        raise LoadError(f"{p}: not an ONNX model (no graph, IR version or outputs): the file may be "
                        "truncated, damaged, or of another kind")
    return proto, str(p)


def _check(proto: Any, label: str, path: Path | None) -> int:
    """Validate the model with ONNX's checker (reading the file, when there is one, rather
    than serializing the model again); return the default-domain opset."""
    onnx = require_onnx()
    from onnx.external_data_helper import uses_external_data

    external = [t.name for t in proto.graph.initializer if uses_external_data(t)]
    if external:
        raise LoadError(f"{label}: {len(external)} weight(s) ({', '.join(external[:3])}...) are stored in external "
                        "data files; convnet reads self-contained ONNX files only (re-save with "
                        "onnx.save_model(model, path, save_as_external_data=False) if under 2 GiB)")
    try:
        onnx.checker.check_model(proto if path is None else str(path))
    except onnx.checker.ValidationError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "invalid model"
        raise LoadError(f"{label}: not a valid ONNX model: {first}") from None
    return next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1)


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import AttributeProto, helper, numpy_helper

    out: dict[str, Any] = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if attr.type == AttributeProto.TENSOR:
            value = numpy_helper.to_array(value)
        elif attr.type == AttributeProto.STRING:
            value = value.decode("utf-8", "replace")
        elif attr.type in (AttributeProto.INTS, AttributeProto.FLOATS):
            value = list(value)
        out[attr.name] = value
    return out


def _ranks(proto: Any) -> tuple[dict[str, int], dict[str, int]]:
    """The rank and the element type of every value ONNX's shape inference can tell (ranks
    pick BatchNorm1d or 2d, and the number of spatial axes; types spot integer inputs)."""
    import onnx

    try:
        g = onnx.shape_inference.infer_shapes(skeleton(proto)).graph
    except (onnx.shape_inference.InferenceError, RuntimeError, ValueError):
        g = proto.graph
    values = [vi for vi in [*g.input, *g.value_info, *g.output] if vi.type.HasField("tensor_type")]
    return ({vi.name: len(vi.type.tensor_type.shape.dim) for vi in values if vi.type.tensor_type.HasField("shape")},
            {vi.name: vi.type.tensor_type.elem_type for vi in values if vi.type.tensor_type.elem_type})


def _value_types(g: Any, initial: set[str]) -> list[str]:
    """Problems with the graph's inputs and outputs: convnet runs tensors, not sequences,
    optional values or maps."""
    problems = []
    for kind, values in (("input", [vi for vi in g.input if vi.name not in initial]), ("output", g.output)):
        for vi in values:
            what = vi.type.WhichOneof("value")
            if what != "tensor_type":
                problems.append(f"graph {kind} {vi.name!r} is {_KINDS.get(what, what or 'of no type')}: convnet "
                                "models take and return tensors only (not sequences, optional values or maps)")
    return problems


_KINDS = {"sequence_type": "a sequence", "optional_type": "an optional value", "map_type": "a map",
          "sparse_tensor_type": "a sparse tensor"}


# ---------------------------------------------------------------- building the model
def _module_name(raw: str, fallback: str) -> str:
    name = re.sub(r"\W+", "_", raw).strip("_")
    return name or fallback


def _place(root: Module, module: Module, path: str | None, fallback: str) -> None:
    """Register `module` at dotted `path` (creating plain containers), or under `fallback`."""
    if path:
        parts = path.split(".")
        parent, ok = root, True
        for part in parts[:-1]:
            child = parent._modules.get(part)
            if child is None:
                try:
                    parent.add_module(part, Module())
                except KeyError:
                    ok = False
                    break
                child = parent._modules[part]
            elif child._parameters or child._buffers:      # a layer, not a container
                ok = False
                break
            parent = child
        if ok and parts[-1] not in parent._modules:
            try:
                parent.add_module(parts[-1], module)
                return
            except KeyError:
                pass
    name, k = fallback, 1
    while True:
        try:
            if name not in root._modules:
                root.add_module(name, module)
                return
        except KeyError:
            pass
        k += 1
        name = f"{fallback}_{k}"


def _weight_path(module: Module, names: list[str]) -> str | None:
    """'fc' when the node's weights are named fc.weight, fc.bias (the module's own names)."""
    own = {n for n, _ in [*module.named_parameters(), *module.named_buffers()]}
    split = [n.rsplit(".", 1) for n in names]
    prefixes = {parts[0] for parts in split}
    if not names or len(prefixes) != 1 or any(len(parts) != 2 or parts[1] not in own for parts in split):
        return None
    return prefixes.pop()


def _build(proto: Any, label: str, opset: int) -> OnnxModel:
    from onnx import helper, numpy_helper

    g = proto.graph
    model = OnnxModel(label, opset, {p.key: p.value for p in proto.metadata_props})
    constants: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    used = {name for n in g.node for name in n.input} | {o.name for o in g.output}
    ranks, types = _ranks(proto)
    problems: list[str] = _value_types(g, set(constants))
    for i, node in enumerate(g.node):
        where = f"operator {node.op_type} (node {node.name or f'#{i}'!r})"
        rule = BY_ONNX.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if rule is None or rule.load is None:
            domain = f" of domain {node.domain!r}" if node.domain not in ("", "ai.onnx") else ""
            problems.append(f"{where}{domain}: this operator is not supported")
            continue
        attrs = _attributes(node)
        unknown = [k for k in attrs if k not in rule.attrs]
        problems += [f"{where}: attribute {k}={attrs[k]!r} is not supported" for k in unknown]
        if unknown:
            continue
        info = NodeInfo(node.op_type, node.name, list(node.input), list(node.output), {**rule.attrs, **attrs},
                        opset, constants, ranks, used, types)
        try:
            built = rule.load(info)
        except Unsupported as e:
            problems.append(f"{where}: {e}")
            continue
        if isinstance(built, np.ndarray):
            constants[node.output[0]] = built
            continue
        module, positions = built
        module.eval()
        args = [node.input[p] if p < len(node.input) and node.input[p] else None for p in positions
                if p < len(node.input)]
        if not any(True for _ in module.parameters()) and all(a is None or a in constants for a in args):
            try:                                  # known at load: compute it once
                with no_grad():
                    value = module(*(Tensor(constants[a]) if a else None for a in args))
            except (ValueError, TypeError, IndexError) as e:
                problems.append(f"{where}: cannot be computed from its constant inputs: {e}")
                continue
            for name, v in zip(node.output, value if isinstance(value, tuple) else (value,), strict=False):
                constants[name] = v.data
            continue
        read = [n for j, n in enumerate(node.input) if n and j not in positions]
        _place(model, module, _weight_path(module, read), _module_name(node.name, f"{node.op_type}_{i}"))
        model.plan.append((module, args, list(node.output)))
    if problems:
        raise LoadError(f"{label}: cannot build a convnet model from this ONNX graph; {len(problems)} "
                        "problem(s):\n  - " + "\n  - ".join(problems))
    initial = {t.name for t in g.initializer}
    graph_inputs = [vi for vi in g.input if vi.name not in initial]
    needed = {a for _, args, _ in model.plan for a in args if a} | {o.name for o in g.output}
    for value in sorted(needed & set(constants)):
        buffer = _module_name(value, "constant")
        while hasattr(model.constants, buffer):
            buffer += "_"
        model.constants.register_buffer(buffer, Tensor(np.array(constants[value])))
        model.constant_names[value] = buffer
    for vi in graph_inputs:
        t = vi.type.tensor_type
        model.input_names.append(vi.name)
        model.input_shapes.append(tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim))
        model.input_dtypes.append(np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type)))
    model.output_names = [o.name for o in g.output]
    return model.eval()


def load(source: str | os.PathLike[str] | Any, *, max_bytes: int | None = None) -> OnnxModel:
    """A convnet model built from an ONNX file (or an ``onnx.ModelProto``), in eval mode.

    Runs with NumPy alone. Files over `max_bytes` (default 2 GiB, the most a self-contained
    ONNX file can hold; or the ``CONVNET_ONNX_MAX_BYTES`` environment variable) are refused
    before reading. Raises `LoadError` naming the file and every unsupported operator or
    attribute, with its node.

    >>> import convnet, convnet.onnx, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet5.onnx")
    >>> _ = convnet.onnx.export(convnet.models.create("lenet5"), path, (1, 32, 32))
    >>> convnet.onnx.load(path)(convnet.zeros(2, 1, 32, 32)).shape
    (2, 10)
    """
    proto, label = _read(source, max_bytes)
    opset = _check(proto, label, None if label == MEMORY else Path(label))
    return _build(proto, label, opset)


def dataset_description(model: OnnxModel) -> tuple[dict[str, Any], str | None]:
    """How to prepare images for `model`: the dataset description convnet stored on export,
    or one inferred from the input shape, with a note saying what was assumed.

    >>> import convnet, convnet.onnx
    >>> model = convnet.onnx.load(convnet.onnx.to_onnx(convnet.models.create("lenet5"), (1, 32, 32)))
    >>> dataset, note = convnet.onnx.dataset_description(model)
    >>> dataset["image_size"], dataset["classes"][:3], dataset["style"]
    ([32, 32], ['0', '1', '2'], 'digits')
    """
    stored = model.metadata.get(META_DATASET)
    if stored:
        try:
            return json.loads(stored), None
        except json.JSONDecodeError as e:
            raise LoadError(f"{model.source}: its convnet.dataset metadata is damaged ({e})") from None
    shape = model.input_shapes[0] if model.input_shapes else ()
    if META_INPUT_SHAPE in model.metadata:
        shape = (None, *json.loads(model.metadata[META_INPUT_SHAPE]))
    if len(shape) != 4 or any(s is None for s in shape[1:]):
        raise LoadError(f"{model.source}: its input has shape {shape} (None = not fixed); classifying images "
                        "needs a fixed (N, C, H, W) input")
    c, h, w = shape[1:]
    with no_grad():
        out = model(Tensor(np.zeros((1, c, h, w), model.input_dtypes[0])))
    k = (out[0] if isinstance(out, tuple) else out).shape[-1]
    photo = c == 3
    ds = {"name": "unknown", "classes": [str(i) for i in range(k)], "in_channels": c, "image_size": [h, w],
          "mean": IMAGENET_MEAN if photo else [0.0] * c, "std": IMAGENET_STD if photo else [1.0] * c,
          "style": "photo" if photo else "digits"}
    note = (f"{Path(model.source).name} does not record how its images were prepared (only files exported "
            f"from a convnet checkpoint do): assuming {c}x{h}x{w} {'photos' if photo else 'digit images'}, "
            f"pixels scaled to [0, 1]{', normalised with ImageNet mean and std' if photo else ''}, and classes "
            f"numbered 0 to {k - 1}")
    return ds, note
