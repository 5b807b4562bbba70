"""`convnet summary`, `convnet arith` and `convnet models`: the arithmetic of layers, a command away."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from . import UserError, friendly, main


def _model_and_shape(model: str, input_text: str | None) -> tuple[Any, tuple[int, ...], str]:
    """A zoo name or a checkpoint path, and the input shape (given, or the model's own)."""
    from .. import models
    from ..inspect import parse_shape
    from ..nn import init

    if model.endswith(".safetensors") or Path(model).is_file():
        from .predict import load_model

        net, meta = load_model(model)
        shape = (meta["dataset"]["in_channels"], *meta["dataset"]["image_size"])
        label = f"{Path(model).name} ({meta['model']['name']})"
    else:
        info = models.info(model)
        with init.skip_init():
            net = models.create(model)
        shape, label = info.input_shape, model
    if input_text:
        shape = parse_shape(input_text)
    return net, shape, label


MAX_ACTIVATION_BYTES = 4 * 2**30     # the activations one summary forward pass may hold: 4 GiB
_PROBE_PIXELS = 256 * 256


def _check_memory(net: Any, shape: tuple[int, ...], label: str) -> None:
    """Refuse an input whose forward pass would need more than `MAX_ACTIVATION_BYTES`, before allocating it.

    For a large input the model first runs at a small one of the same aspect ratio (at most 256x256
    pixels) and its activation memory is scaled by the ratio of pixels; a model that cannot run
    the small one is judged by its input alone (a lower bound).
    """
    import math

    from ..inspect import summary as summarise

    if len(shape) != 3 or min(shape) < 1 or shape[1] * shape[2] <= _PROBE_PIXELS:
        return
    c, h, w = shape
    f = math.ceil(math.sqrt(h * w / _PROBE_PIXELS))
    ph, pw = max(1, h // f), max(1, w // f)
    try:
        estimate = summarise(net, (c, ph, pw)).activation_bytes * (h * w) / (ph * pw)
        how = f"estimated from a {c}x{ph}x{pw} input"
    except ValueError:
        estimate, how = 4.0 * c * h * w, "the input alone"
    if estimate > MAX_ACTIVATION_BYTES:
        raise UserError(f"--input {c}x{h}x{w}: one forward pass of {label} would hold about "
                        f"{estimate / 2**30:,.1f} GiB of activations ({how}); the limit is "
                        f"{MAX_ACTIVATION_BYTES / 2**30:g} GiB: use a smaller --input")


@main.command()
@click.argument("model")
@click.option("--input", "-i", "input_text", default=None,
              help="Input size as CxHxW, e.g. 3x224x224 (default: the model's own).")
@click.option("--json", "fmt", flag_value="json", help="One JSON object.")
@click.option("--markdown", "fmt", flag_value="markdown", help="A Markdown table.")
@click.option("--csv", "fmt", flag_value="csv", help="CSV, one row per layer.")
@friendly
def summary(model: str, input_text: str | None, fmt: str | None) -> None:
    """Layer by layer: output shape, parameters (trainable and fixed), multiply-accumulates,
    receptive field, effective stride and padding. MODEL is a zoo name or a checkpoint.

    Receptive fields follow the graph the model runs, so they are right for residual
    and Inception networks (the maximum over paths).
    """
    from ..inspect import summary as summarise

    net, shape, label = _model_and_shape(model, input_text)
    _check_memory(net, shape, label)
    s = summarise(net, shape)
    s.model = label
    if fmt == "json":
        click.echo(s.to_json())
    elif fmt == "markdown":
        click.echo(s.to_markdown())
    elif fmt == "csv":
        click.echo(s.to_csv(), nl=False)
    else:
        click.echo(str(s))


@main.command(name="models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly
def list_models(as_json: bool) -> None:
    """The model zoo: parameters, multiply-accumulates at the canonical input, and the paper."""
    from .. import models
    from ..inspect import summary as summarise

    rows = []
    for name in models.list():
        info = models.info(name)
        s = summarise(name, info.input_shape)
        rows.append({"name": name, "family": info.family, "params": s.total_params,
                     "trainable_params": s.trainable_params, "macs": s.total_macs,
                     "input_shape": list(info.input_shape), "num_classes": info.num_classes,
                     "paper": info.paper})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "params", "trainable", "GMACs", "input", "paper", box=None, pad_edge=False)
    for column in table.columns[1:4]:
        column.justify = "right"                       # numbers align on their last digit
    for r in rows:
        trainable = "all" if r["trainable_params"] == r["params"] else f"{r['trainable_params']:,}"
        table.add_row(r["name"], f"{r['params']:,}", trainable, f"{r['macs'] / 1e9:.3f}",
                      "x".join(map(str, r["input_shape"])), r["paper"])
    Console(width=200).print(table)


# ---------------------------------------------------------------- the calculator
@dataclass
class LayerSpec:
    kind: str          # conv | pool
    kernel: int
    stride: int
    padding: Any       # int or "same"
    dilation: int
    text: str


_TOKEN = re.compile(r"^(conv|pool)(\d+)(?:/(\d+))?((?:/(?:p\d+|same|valid|d\d+))*)$")


def parse_layers(text: str) -> list[LayerSpec]:
    """'conv5/1,pool2/2' -> specs; a token is (conv|pool)K[/S][/pP|/same|/valid][/dD]."""
    specs = []
    for raw in [t.strip() for t in text.split(",") if t.strip()]:
        m = _TOKEN.match(raw.lower())
        if not m:
            raise UserError(
                f"cannot read layer {raw!r}: write (conv|pool)KERNEL[/STRIDE][/pPADDING|/same][/dDILATION], "
                "e.g. conv3, conv5/1, pool2/2, conv3/2/p1, conv3/1/same, conv3/d2")
        kind, k, s, extra = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        stride = int(s) if s else (k if kind == "pool" else 1)
        padding: Any = 0
        dilation = 1
        for part in filter(None, extra.split("/")):
            if part in ("same", "valid"):
                padding = 0 if part == "valid" else "same"
            elif part.startswith("p"):
                padding = int(part[1:])
            else:
                dilation = int(part[1:])
        if k < 1 or stride < 1 or dilation < 1:
            raise UserError(f"layer {raw!r}: kernel, stride and dilation must be positive")
        specs.append(LayerSpec(kind, k, stride, padding, dilation, raw))
    if not specs:
        raise UserError("--layers is empty")
    return specs


def _formula(size: int, k: int, s: int, p: tuple[int, int], d: int) -> tuple[str, int]:
    from .. import arith

    pads = f"2*{p[0]}" if p[0] == p[1] else f"{p[0]} + {p[1]}"
    kernel = f"{k}" if d == 1 else f"{d}*({k} - 1) + 1"
    out = arith.conv_output_size(size, k, s, p, d)
    return f"floor(({size} + {pads} - {kernel}) / {s}) + 1 = {out}", out


@main.command()
@click.option("--input", "-i", "size", type=int, required=True, help="Input size (one side, in pixels).")
@click.option("--kernel", "-k", type=int, default=None, help="Kernel size.")
@click.option("--padding", "-p", default="0", show_default=True, help="Padding: a number, 'same' or 'valid'.")
@click.option("--stride", "-s", type=int, default=1, show_default=True, help="Stride.")
@click.option("--dilation", "-d", type=int, default=1, show_default=True, help="Dilation.")
@click.option("--layers", "-l", default=None,
              help="A stack, e.g. conv3,conv3,conv3 or 'conv5/1,pool2/2,conv5/1,pool2/2'.")
@friendly
def arith(size: int, kernel: int | None, padding: str, stride: int, dilation: int, layers: str | None) -> None:
    """Output sizes with the formula filled in, 'same' padding, and how size, receptive field
    and effective stride grow through a stack of layers.

    \b
    convnet arith --input 28 --kernel 5 --padding 2
    convnet arith --input 7 --layers conv3,conv3,conv3       (receptive field 3 -> 5 -> 7)
    """
    from .. import arith as ar

    if size < 1:
        raise UserError(f"--input must be positive, got {size}")
    if layers:
        _stack(size, parse_layers(layers))
        return
    if kernel is None:
        raise UserError("give --kernel (and --padding, --stride), or a stack with --layers")
    if padding not in ("same", "valid") and not padding.strip().isdigit():
        raise UserError(f"--padding must be a whole number of 0 or more, 'same' or 'valid'; got {padding!r}")
    same = ar.same_padding(size, kernel, stride, dilation)
    pads = same if padding == "same" else (0, 0) if padding == "valid" else (int(padding), int(padding))
    text, out = _formula(size, kernel, stride, pads, dilation)
    click.echo("output = floor((W + 2P - K) / S) + 1" + (" with K = d(k - 1) + 1" if dilation > 1 else ""))
    click.echo(f"       = {text}")
    click.echo(f"'same' padding for stride {stride} (output {-(-size // stride)}): "
               + (f"{same[0]} on each side" if same[0] == same[1] else f"{same[0]} before, {same[1]} after"))
    lost = ar.uncovered(size, kernel, stride, pads, dilation)
    if lost:
        click.secho(f"warning: stride {stride} does not fit evenly: the last {lost} pixel(s) at the edge are "
                    "never covered by the kernel", fg="yellow")


def _stack(size: int, specs: list[LayerSpec]) -> None:
    from rich.console import Console
    from rich.table import Table

    from .. import arith as ar
    from ..inspect.receptive import INPUT

    table = Table("layer", "kernel", "stride", "padding", "dilation", "output", "receptive field",
                  "effective stride", box=None, pad_edge=False)
    table.add_row("input", "", "", "", "", f"{size}", "1", "1")
    axis, warnings = INPUT.h, []
    for i, spec in enumerate(specs, 1):
        pads = ar.same_padding(size, spec.kernel, spec.stride, spec.dilation) if spec.padding == "same" \
            else (spec.padding, spec.padding)
        try:
            out = ar.conv_output_size(size, spec.kernel, spec.stride, pads, spec.dilation,
                                      op=f"layer {i} ({spec.text})")
        except ValueError as e:
            raise UserError(str(e)) from None
        lost = ar.uncovered(size, spec.kernel, spec.stride, pads, spec.dilation)
        if lost:
            warnings.append(f"layer {i} ({spec.text}): stride {spec.stride} leaves the last {lost} pixel(s) of "
                            f"its {size}-pixel input uncovered")
        axis = axis.conv(spec.kernel, spec.stride, pads[0], spec.dilation)
        shown = pads[0] if pads[0] == pads[1] else f"{pads[0]}+{pads[1]}"
        table.add_row(spec.text, str(spec.kernel), str(spec.stride), str(shown), str(spec.dilation), str(out),
                      str(int(axis.field)), str(int(axis.j)))
        size = out
    Console(width=120).print(table)
    for w in warnings:
        click.secho(f"warning: {w}", fg="yellow")
