"""Export a convnet model to ONNX by recording one forward pass (`convnet.onnx.trace`).

Every recorded operation whose inputs depend on the model's input becomes ONNX nodes, by the
rule of its Function class in `convnet.onnx.ops`; parameters and buffers become initializers
under their state_dict names; anything computed from parameters alone is folded into a
constant. The batch dimension stays symbolic ("batch"), so the file accepts any batch size.

Conventions of the file (see docs/MODEL_FILES.md): one input named ``input`` (N, C, H, W),
outputs ``output`` (``output_1``, ... for more), node names ``<module path>/<Op>``, and
``metadata_props`` ``convnet.*`` describing the model and the data it expects.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..errors import ConvnetValueError, ShapeError
from ..nn import Module
from . import require_onnx
from .ops import BY_FUNCTION, UNKNOWN_BATCH, Unsupported
from .trace import Call, Trace, record

DEFAULT_OPSET = 17
MIN_OPSET = 13
FORMAT_VERSION = 1
PROTOBUF_LIMIT = 2**31 - 1          # one serialized ONNX model (protobuf) cannot be larger

# metadata_props keys written by convnet (values are strings; JSON where structured)
META_FORMAT_VERSION = "convnet.format_version"
META_VERSION = "convnet.version"
META_MODEL = "convnet.model"
META_DATASET = "convnet.dataset"
META_INPUT_SHAPE = "convnet.input_shape"


class ExportError(ConvnetValueError):
    """The model cannot be written as ONNX; the message lists every operation that could not."""


def _where(call: Call) -> str:
    return f"{call.scope or 'the model'} ({call.function.__name__})"


class _Graph:
    """The ONNX graph under construction: the emitter that the rules of `ops` write into."""

    def __init__(self, proto: Any, trace: Trace, opset: int, state_names: dict[int, str]) -> None:
        self.proto, self.opset = proto, opset         # the ModelProto whose graph is being filled
        self.state_names = state_names                # id(parameter, buffer or its array) -> name
        self.nodes: list[Any] = []
        self.weight_bytes = 0
        self.taken: set[str] = {"input"}
        self.values: dict[int, str] = {id(trace.input): "input"}
        self.batch: dict[str, int | None] = {"input": 0}
        self.constants: dict[int, str] = {}
        self.call: Call | None = None
        self.out_batch: int | None = None

    def _unique(self, name: str) -> str:
        base, k = name, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def _scope(self) -> str:
        return (self.call.scope if self.call is not None else "") or "model"

    # ------------------------------------------------------------ what the rules call
    def is_live(self, x: Any) -> bool:
        """Does `x` depend on the model's input (rather than being a constant)?"""
        return isinstance(x, Tensor) and (id(x) in self.values or x._grad_fn is not None)

    def name(self, x: Any) -> str:
        """The value name for an operand: a graph value, or an initializer made for a constant."""
        if x is None:
            return ""
        if isinstance(x, Tensor) and id(x) in self.values:
            return self.values[id(x)]
        if isinstance(x, Tensor) and x._grad_fn is not None:
            raise Unsupported("an input computed outside convnet's recorded operations (in-place on .data, "
                              "or through NumPy)")
        if id(x) in self.constants:
            return self.constants[id(x)]
        if isinstance(x, Tensor | np.ndarray):
            array = x.data if isinstance(x, Tensor) else x
            hint = self.state_names.get(id(x)) or self.state_names.get(id(array))
            name = self.const(array, hint or "const", exact=hint is not None)
            self.constants[id(x)] = name
            return name
        like = self.call.output.dtype if self.call is not None and self.call.output.dtype.kind == "f" \
            else np.asarray(x).dtype
        return self.const(np.asarray(x, dtype=like), "const")

    def const(self, value: Any, hint: str, exact: bool = False) -> str:
        """A new initializer holding `value` (named `hint`, or scoped by the current module)."""
        from onnx import helper

        name = self._unique(hint if exact else f"{self._scope()}/{hint}")
        array = np.asarray(value)
        t = self.proto.graph.initializer.add()     # filled in place: no copies of large weights
        t.name, t.data_type = name, helper.np_dtype_to_tensor_dtype(array.dtype)
        t.dims.extend(array.shape)
        t.raw_data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        self.weight_bytes += array.nbytes
        return name

    def ints(self, values: Sequence[int], hint: str) -> str:
        return self.const(np.asarray(values, np.int64), hint)

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        from onnx import helper

        name = self._unique(f"{self._scope()}/{op}")
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attributes))
        return name

    def batch_axis(self, x: Any) -> int | None:
        """Where the batch dimension of operand `x` is: an axis, None (constant), or UNKNOWN_BATCH."""
        return self.batch.get(self.values[id(x)]) if isinstance(x, Tensor) and id(x) in self.values else None

    def set_batch(self, axis: int | None) -> None:
        """Declare where the current call's output keeps the batch dimension."""
        self.out_batch = axis

    # ------------------------------------------------------------ the walk
    def add(self, call: Call) -> str | None:
        """Convert one call; returns its output's name, or None when it is a constant."""
        live = [x for x in call.inputs if self.is_live(x)]
        if not live:
            return None
        rule = BY_FUNCTION.get(call.function)
        if rule is None or rule.export is None:
            raise Unsupported(f"the operation {call.function.__name__} has no ONNX form in convnet.onnx.ops")
        self.call = call
        first = self.batch_axis(live[0])         # by default the batch stays where it was ...
        shift = call.output.ndim - live[0].ndim
        if first is None or first == UNKNOWN_BATCH or shift == 0:
            self.out_batch = first
        elif shift > 0:                           # ... behind the axes broadcasting put in front
            self.out_batch = first + shift
        else:                                     # axes were removed and the rule did not say which
            self.out_batch = UNKNOWN_BATCH
        name = rule.export(self, call)
        self.batch.setdefault(name, self.out_batch)
        return name


def skeleton(proto: Any) -> Any:
    """A copy of `proto` for shape inference: large initializers keep their name, type and
    shape but not their data, which inference never reads (small ones, such as a Reshape's
    target shape, are kept whole). Inferring shapes on VGG's skeleton skips copying 500 MB."""
    import onnx

    light = onnx.ModelProto()
    light.ir_version = proto.ir_version
    light.opset_import.extend(proto.opset_import)
    g = light.graph
    g.node.extend(proto.graph.node)
    g.input.extend(proto.graph.input)
    g.output.extend(proto.graph.output)
    for t in proto.graph.initializer:
        kept = g.initializer.add()
        if math.prod(t.dims) <= 2048:               # (ByteSize would walk VGG's 500 MB 77 times)
            kept.CopyFrom(t)
        else:
            kept.name, kept.data_type = t.name, t.data_type
            kept.dims.extend(t.dims)
    return light


def _state_names(model: Module) -> dict[int, str]:
    names: dict[int, str] = {}
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        names.setdefault(id(t), name)
        names.setdefault(id(t.data), name)
    return names


def _input_shape(input_shape: Sequence[int]) -> tuple[int, tuple[int, ...]]:
    """(batch size to trace with, the shape of one example): (C, H, W) and (C, L) trace 2
    examples; (N, C, H, W) and (N, C, D, H, W) name the batch."""
    shape = tuple(input_shape)
    if len(shape) not in (2, 3, 4, 5) or not all(isinstance(s, int | np.integer) and s > 0 for s in shape):
        raise ShapeError(f"input_shape must be (C, H, W) or (N, C, H, W) with positive integers (or (C, L), "
                         f"(N, C, D, H, W) for 1-D and 3-D models), got {shape!r}")
    shape = tuple(int(s) for s in shape)
    return (shape[0], shape[1:]) if len(shape) >= 4 else (2, shape)


def _build(model: Module, input_shape: Sequence[int], opset: int, dataset: dict[str, Any] | None
           ) -> tuple[Any, bytes]:
    """The ModelProto of `model` and its serialized bytes, checked by ONNX's checker."""
    onnx = require_onnx()
    from onnx import helper

    from .. import __version__

    latest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= latest:
        raise ConvnetValueError(
            f"opset {opset} is not supported: use {MIN_OPSET} to {latest} (default {DEFAULT_OPSET})"
        )
    traced, shape = _input_shape(input_shape)
    dtype = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"), np.dtype(np.float32))
    example = Tensor(np.random.default_rng(0).standard_normal((traced, *shape))
                     .astype(dtype))
    trace = record(model, example)
    proto = onnx.ModelProto()
    graph = _Graph(proto, trace, opset, _state_names(model))
    problems: list[str] = []
    for call in trace.calls:
        try:
            name = graph.add(call)
        except Unsupported as e:
            problems.append(f"{_where(call)}: {e}")
            name = graph._unique(f"{call.scope or 'model'}/unsupported")
            graph.batch[name] = UNKNOWN_BATCH
        if name is not None:
            graph.values[id(call.output)] = name
        if graph.weight_bytes > PROTOBUF_LIMIT:
            raise ExportError(f"{type(model).__name__} has more than 2 GiB of weights, more than one ONNX file "
                              "can hold (the protobuf limit)")
    if problems:
        raise ExportError(f"cannot export {type(model).__name__} to ONNX; {len(problems)} operation(s) have no "
                          "ONNX form:\n  - " + "\n  - ".join(problems))
    outputs = _name_outputs(graph, trace.outputs)
    g = proto.graph
    g.name = type(model).__name__
    g.node.extend(graph.nodes)
    g.input.append(helper.make_tensor_value_info("input", helper.np_dtype_to_tensor_dtype(dtype),
                                                 ["batch", *shape]))
    g.output.extend(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(t.dtype),
                                                  _symbolic(t.shape, graph.batch.get(name)))
                    for name, t in zip(outputs, trace.outputs, strict=True))
    opsets = [helper.make_opsetid("", opset)]
    proto.opset_import.extend(opsets)
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    proto.producer_name, proto.producer_version = "convnet", __version__
    spec = getattr(model, "spec", None)
    props = {META_FORMAT_VERSION: str(FORMAT_VERSION), META_VERSION: __version__,
             META_INPUT_SHAPE: json.dumps(list(shape))}
    if spec is not None:
        props[META_MODEL] = json.dumps(spec)
    if dataset is not None:
        props[META_DATASET] = json.dumps(dataset)
    helper.set_model_props(proto, props)
    data = proto.SerializeToString()
    try:  # the checker on the bytes to be written; strict shape inference on the weightless skeleton
        onnx.checker.check_model(data)
        onnx.shape_inference.infer_shapes(skeleton(proto), check_type=True, strict_mode=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise ExportError(f"internal error: the exported graph of {type(model).__name__} fails ONNX's "
                          f"checker ({e}); please report it") from None
    return proto, data


def to_onnx(model: Module, input_shape: Sequence[int], opset: int = DEFAULT_OPSET, *,
            dataset: dict[str, Any] | None = None) -> Any:
    """The ONNX ModelProto of `model` for inputs of `input_shape` ((C, H, W), or (C, L) and
    (N, C, D, H, W) for 1-D and 3-D models; any batch size).

    `dataset` (the ``dataset`` entry of a convnet checkpoint's metadata: classes, mean, std,
    image size, style) is stored in the metadata so that ``convnet predict model.onnx``
    prepares images as in training. Raises `ExportError` listing every operation that has
    no ONNX form.

    >>> import convnet, convnet.onnx
    >>> proto = convnet.onnx.to_onnx(convnet.models.create("lenet5"), (1, 32, 32))
    >>> [n.op_type for n in proto.graph.node][:4]
    ['Conv', 'Relu', 'MaxPool', 'Conv']
    """
    return _build(model, input_shape, opset, dataset)[0]


def _symbolic(shape: tuple[int, ...], batch: int | None) -> list[Any]:
    """An output's shape with its batch dimension named, or unnamed when it was moved or merged."""
    if batch is None:
        return list(shape)
    return [None if batch == UNKNOWN_BATCH else "batch" if i == batch else s for i, s in enumerate(shape)]


def _name_outputs(graph: _Graph, outputs: list[Tensor]) -> list[str]:
    """Rename the values the model returns to output, output_1, ...; others go through Identity."""
    from onnx import helper

    names: list[str] = []
    for i, t in enumerate(outputs):
        wanted = graph._unique("output" if i == 0 else f"output_{i}")
        current = graph.name(t)
        if current not in names and any(current in n.output for n in graph.nodes):
            for n in graph.nodes:
                n.input[:] = [wanted if v == current else v for v in n.input]
                n.output[:] = [wanted if v == current else v for v in n.output]
            graph.values[id(t)] = wanted
        else:                                     # the input, a constant, or returned twice
            graph.nodes.append(helper.make_node("Identity", [current], [wanted], name=f"{wanted}/Identity"))
        graph.batch[wanted] = graph.batch.get(current)
        names.append(wanted)
    return names


def export(model: Module, path: str | os.PathLike[str], input_shape: Sequence[int],
           opset: int = DEFAULT_OPSET, *, dataset: dict[str, Any] | None = None) -> Path:
    """Write `model` as an ONNX file at `path` (atomically) and return the path.

    The graph takes (batch, C, H, W) for any batch size, runs in eval mode (dropout removed,
    batch normalisation with its running statistics) and is checked with
    ``onnx.checker.check_model``. See `to_onnx` for `dataset`.

    >>> import convnet, convnet.onnx, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet5.onnx")
    >>> convnet.onnx.export(convnet.models.create("lenet5"), path, (1, 32, 32)).name
    'lenet5.onnx'
    """
    from ..io.atomic import atomic_write_bytes

    atomic_write_bytes(path, _build(model, input_shape, opset, dataset)[1])
    return Path(path)
