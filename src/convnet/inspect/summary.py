"""`summary(model, input_shape)`: every layer's output shape, parameters, multiply-accumulates
and receptive field, from one forward pass of the model itself.

>>> import convnet as cn
>>> s = cn.summary("lenet5", (1, 32, 32))
>>> s.total_params, s.total_macs
(61706, 416520)
>>> row = s.layer("features.3")                  # C3: the second 5x5 convolution
>>> row.output_shape, row.receptive_field, row.effective_stride
((16, 10, 10), 14, 2)
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import enable_grad
from ..errors import ConvnetValueError, ShapeError
from ..nn import Conv2d, ConvTranspose2d, Linear, Module, init
from ..nn.constraints import fixed_count, trainable_count
from ..nn.utils import layer_trace
from .receptive import Geometry, trace_geometry


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(float(v), 3)


def _pair(a: float, b: float) -> Any:
    """One number where height and width agree, else [height, width]."""
    return _num(a) if a == b else [_num(a), _num(b)]


@dataclass
class LayerInfo:
    """One row of a summary: a module call and what came out of it."""

    name: str
    type: str
    depth: int
    output_shape: tuple[int, ...]
    params: int
    trainable_params: int
    fixed_params: int
    macs: int
    receptive_field: Any = None
    effective_stride: Any = None
    effective_padding: Any = None
    leaf: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "depth": self.depth,
                "output_shape": list(self.output_shape), "params": self.params,
                "trainable_params": self.trainable_params, "fixed_params": self.fixed_params,
                "macs": self.macs, "receptive_field": self.receptive_field,
                "effective_stride": self.effective_stride, "effective_padding": self.effective_padding}


@dataclass
class Summary:
    """The result of `summary`: ``layers`` (one `LayerInfo` per module call) and totals."""

    model: str
    input_shape: tuple[int, ...]
    layers: list[LayerInfo]
    total_params: int
    trainable_params: int
    total_macs: int
    activation_bytes: int
    param_bytes: int
    receptive_field: Any
    effective_stride: Any
    effective_padding: Any
    output_shape: tuple[int, ...] = field(default_factory=tuple)

    def layer(self, name: str) -> LayerInfo:
        for row in self.layers:
            if row.name == name:
                return row
        names = ", ".join(r.name for r in self.layers[:40])
        raise ConvnetValueError(f"no layer named {name!r}; layers: {names}{' ...' if len(self.layers) > 40 else ''}")

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "input_shape": list(self.input_shape),
                "layers": [r.as_dict() for r in self.layers], "total_params": self.total_params,
                "trainable_params": self.trainable_params, "total_macs": self.total_macs,
                "receptive_field": self.receptive_field, "effective_stride": self.effective_stride,
                "effective_padding": self.effective_padding, "output_shape": list(self.output_shape),
                "activation_bytes": self.activation_bytes, "param_bytes": self.param_bytes}

    def to_json(self) -> str:
        return json.dumps(self.as_dict())

    def _cells(self, row: LayerInfo) -> list[str]:
        def show(v: Any) -> str:
            return "" if v is None else ("x".join(map(str, v)) if isinstance(v, list) else str(v))

        return [row.name, row.type, "x".join(map(str, row.output_shape)), f"{row.params:,}",
                f"{row.fixed_params:,}" if row.fixed_params else "", f"{row.macs:,}" if row.macs else "",
                show(row.receptive_field), show(row.effective_stride), show(row.effective_padding)]

    HEADERS = ["layer", "type", "output", "params", "fixed", "MACs", "RF", "stride", "padding"]

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.HEADERS) + " |", "|" + "---|" * len(self.HEADERS)]
        for row in self.layers:
            cells = self._cells(row)
            cells[0] = "&nbsp;&nbsp;" * (row.depth - 1) + f"`{cells[0]}`"
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(self._totals_text())
        return "\n".join(lines)

    def to_csv(self) -> str:
        buf = io.StringIO()
        keys = list(self.layers[0].as_dict()) if self.layers else []
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        for row in self.layers:
            d = row.as_dict()
            writer.writerow({k: ("x".join(map(str, v)) if isinstance(v, list) else v) for k, v in d.items()})
        return buf.getvalue()

    def _totals_text(self) -> str:
        fixed = self.total_params - self.trainable_params
        mb = 1024 * 1024
        return (f"Total parameters: {self.total_params:,} ({self.trainable_params:,} trainable"
                f"{f', {fixed:,} fixed or tied' if fixed else ''}), {self.param_bytes / mb:.2f} MB\n"
                f"Multiply-accumulates: {self.total_macs:,} ({self.total_macs / 1e9:.3f} G) per image\n"
                f"Activations: {self.activation_bytes / mb:.2f} MB per image (forward)\n"
                f"Receptive field of the output: {self.receptive_field} px, effective stride "
                f"{self.effective_stride}, effective padding {self.effective_padding}")

    def __str__(self) -> str:
        from rich.console import Console
        from rich.table import Table

        table = Table(*self.HEADERS, title=f"{self.model}, input {'x'.join(map(str, self.input_shape))}",
                      box=None, pad_edge=False, title_justify="left")
        for col in (3, 4, 5, 6, 7, 8):
            table.columns[col].justify = "right"
        for row in self.layers:
            cells = self._cells(row)
            cells[0] = "  " * (row.depth - 1) + cells[0]
            table.add_row(*cells, style=None if row.leaf else "dim")
        console = Console(width=160, record=True, file=io.StringIO(), color_system=None)
        console.print(table)
        console.print(self._totals_text())
        return console.export_text().rstrip()


def _macs(module: Module, args: tuple, out: Tensor) -> int:
    """Multiply-accumulates of one call, per image (convolutions and linear layers)."""
    if isinstance(module, Conv2d):
        cin_per_group = module.in_channels // module.groups
        return int(np.prod(out.shape[1:])) * cin_per_group * module.kernel_size[0] * module.kernel_size[1]
    if isinstance(module, ConvTranspose2d):
        x = args[0]
        return int(np.prod(x.shape[1:])) * (module.out_channels // module.groups) \
            * module.kernel_size[0] * module.kernel_size[1]
    if isinstance(module, Linear):
        return int(np.prod(out.shape[1:])) * module.in_features
    return 0


def _main_output(out: Any) -> Tensor | None:
    if isinstance(out, Tensor):
        return out
    if isinstance(out, tuple) and out and isinstance(out[0], Tensor):
        return out[0]
    return None


def _geometry_fields(geo: Geometry | None) -> tuple[Any, Any, Any]:
    if geo is None:
        return None, None, None
    return (_pair(*geo.receptive_field), _pair(*geo.effective_stride), _pair(*geo.effective_padding))


def summary(model: Module | str, input_shape: tuple[int, ...] | str, **model_kwargs: Any) -> Summary:
    """Summarise `model` (a Module or a zoo name) for one input of `input_shape` (C, H, W).

    Runs one forward pass (batch of one, in eval mode) with hooks on every module. Receptive
    fields come from the recorded graph (see `convnet.inspect.receptive`), so they are right
    for residual and branching networks. MACs count convolutions and linear layers.
    """
    from .. import models

    name = model if isinstance(model, str) else type(model).__name__
    if isinstance(model, str):
        with init.skip_init():                     # the weights do not change any figure here
            model = models.create(model, **model_kwargs)
    shape = parse_shape(input_shape) if isinstance(input_shape, str) else tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ShapeError(f"input_shape must be (channels, height, width) of positive sizes, got {shape}")
    calls: list[list[Any]] = []          # [name, module, args, output], in the order calls start
    open_calls: list[list[Any]] = []
    handles = []

    def started(mod: Module, args: tuple, n: str) -> None:
        entry = [n, mod, args, None]
        calls.append(entry)
        open_calls.append(entry)

    def finished(mod: Module, args: tuple, out: Any) -> None:
        open_calls.pop()[3] = out

    for mod_name, module in model.named_modules():
        if module is not model:
            handles.append(module.register_forward_pre_hook(lambda m, a, n=mod_name: started(m, a, n)))
            handles.append(module.register_forward_hook(finished))
    was_training = model.training
    model.eval()
    x = Tensor(np.zeros((1, *shape), np.float32), requires_grad=True)
    try:
        with enable_grad(), layer_trace(model):
            out = model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    final = _main_output(out)
    outputs = [t for t in (_main_output(c[3]) for c in calls) if t is not None]
    geometry = trace_geometry(x, outputs + ([final] if final is not None else []))
    rows: list[LayerInfo] = []
    seen: dict[str, int] = {}
    for mod_name, module, args, output in calls:
        t = _main_output(output)
        leaf = not any(True for _ in module.children())
        own = list(module.parameters())
        n = seen[mod_name] = seen.get(mod_name, 0) + 1
        label = mod_name if n == 1 else f"{mod_name} ({n})"
        macs = _macs(module, args, t) if leaf and t is not None else 0
        rows.append(LayerInfo(label, type(module).__name__, mod_name.count(".") + 1,
                              tuple(t.shape[1:]) if t is not None else (),
                              sum(p.numel() for p in own) if n == 1 else 0,
                              sum(trainable_count(p) for p in own) if n == 1 else 0,
                              sum(fixed_count(p) for p in own) if n == 1 else 0,
                              macs, *_geometry_fields(geometry.get(id(t)) if t is not None else None),
                              leaf=leaf))
    _total_container_macs(rows)
    params = list(model.parameters())
    last_spatial = next((geometry[id(t)] for t in reversed(outputs) if id(t) in geometry), None)
    final_geo = geometry.get(id(final)) if final is not None else last_spatial
    rf, stride, pad = _geometry_fields(final_geo)
    leaf_rows = [(c, r) for c, r in zip(calls, rows, strict=True) if r.leaf]
    return Summary(name, shape, rows, sum(p.numel() for p in params),
                   sum(trainable_count(p) for p in params), sum(r.macs for _, r in leaf_rows),
                   sum(4 * int(np.prod(r.output_shape)) for _, r in leaf_rows if r.output_shape),
                   sum(p.numel() * p.dtype.itemsize for p in params), rf, stride, pad,
                   tuple(final.shape[1:]) if final is not None else ())


def _total_container_macs(rows: list[LayerInfo]) -> None:
    """A container's MACs are the sum of its layers'."""
    for row in rows:
        if not row.leaf:
            prefix = row.name.split(" (")[0] + "."
            row.macs = sum(r.macs for r in rows if r.leaf and r.name.startswith(prefix))


def parse_shape(text: str) -> tuple[int, ...]:
    """'3x224x224' (or '3,224,224') -> (3, 224, 224)."""
    try:
        return tuple(int(p) for p in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise ShapeError(f"input shape must look like 3x224x224 (channels x height x width), got {text!r}") from None
