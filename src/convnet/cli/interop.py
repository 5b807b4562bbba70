"""`convnet export`: a trained checkpoint (or an untrained zoo model) as an ONNX file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import UserError, friendly, main


def _source(source: str, input_text: str | None) -> tuple[Any, tuple[int, ...], dict[str, Any] | None, str]:
    """(model, input shape, dataset description or None, what it is) for a checkpoint or a zoo name."""
    from .. import models
    from ..inspect.summary import parse_shape

    shape = parse_shape(input_text) if input_text else None
    if shape is not None and len(shape) != 3:
        raise UserError(f"--input must be CxHxW (three numbers, e.g. 3x224x224), got {input_text!r}")
    if Path(source).is_file():
        from ..train import load_checkpoint, tta_of

        ckpt = load_checkpoint(source)
        model = models.create(ckpt.model_name, **ckpt.model_kwargs)
        model.load_state_dict(ckpt.model_state)
        ds = ckpt.meta.get("dataset")
        if tta_of(ckpt.meta) == "flip":
            plain = (ckpt.meta.get("test") or {}).get("accuracy_without_tta")
            click.echo("Note: its recipe scores each image together with its mirror image (--tta flip); the ONNX "
                       "file scores each image once" + (f" ({100 * plain:.2f}% on the test set that way)"
                                                         if plain is not None else "") + ".", err=True)
        if shape is None:
            if ds is None:
                raise UserError(f"{source}: the checkpoint does not say its input size; give --input CxHxW")
            shape = (ds["in_channels"], *ds["image_size"])
        return model, shape, ds, f"{Path(source).name} ({ckpt.model_name})"
    if source not in models.list() and (source.endswith(".safetensors") or "/" in source):
        raise UserError(f"{source}: no such checkpoint file")
    info = models.info(source)                   # unknown names: an error listing the zoo
    shape = shape or info.input_shape
    kwargs = {"in_channels": shape[0]} if shape[0] != info.in_channels else {}
    return models.create(source, **kwargs), shape, None, f"{source} (untrained: random weights)"


@main.command(name="export")
@click.argument("source")
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--input", "-i", "input_text", default=None,
              help="Input size as CxHxW, e.g. 3x224x224 (default: the checkpoint's data, or the model's own).")
@click.option("--opset", type=int, default=17, show_default=True, help="ONNX opset version to write.")
@friendly
def export_command(source: str, output: str, input_text: str | None, opset: int) -> None:
    """Write SOURCE (a checkpoint, or a zoo model name for an untrained model) as an ONNX
    file OUTPUT, for onnxruntime, other runtimes, or `convnet predict OUTPUT IMAGE`.

    The file takes any batch size; dropout is removed and batch normalisation uses its
    running statistics. A checkpoint's classes and preprocessing go into the file's metadata.
    """
    from ..onnx import export

    model, shape, dataset, what = _source(source, input_text)
    try:
        path = export(model, output, shape, opset, dataset=dataset)
    except ImportError as e:
        raise UserError(str(e)) from None
    params = sum(p.numel() for p in model.parameters())
    size = path.stat().st_size / 2**20
    click.echo(f"Wrote {path}: {what}, opset {opset}, input Nx{'x'.join(map(str, shape))}, "
               f"{params:,} parameters, {size:.1f} MiB.")
    click.echo(f"Run it with onnxruntime, or here: convnet predict {path} IMAGE")
