"""`convnet predict`: classify your own images with a trained checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from . import UserError, friendly, main


def load_model(checkpoint: str) -> tuple[Any, dict[str, Any]]:
    """`convnet.io.load_model` as the commands use it: a note about what an ONNX file left
    unsaid is printed, and the model must say which data it expects (images are prepared so).
    """
    from ..io import load_model as load_file

    model, meta = load_file(checkpoint, note=lambda text: click.echo(f"Note: {text}.", err=True))
    if "dataset" not in meta:
        raise UserError(f"{checkpoint}: the checkpoint does not say which data it was trained on")
    return model, meta


def classify(model: Any, meta: dict[str, Any], paths: list[Path], top_k: int) -> list[dict[str, Any]]:
    """Prepare each image as the model expects and return its top-k classes with probabilities.

    One result per path, in order. An image that cannot be read or used (not an image, empty,
    truncated, too large, blank) does not stop the others: its result is ``{"image": path,
    "error": reason}``, the reason starting with the path.
    """
    from .._tensor import Tensor
    from ..autograd import no_grad
    from ..data import DatasetError
    from ..data.preprocess import prepare_image
    from ..nn import functional as F
    from ..train import predict_logits, tta_of

    ds = meta["dataset"]
    size = tuple(ds["image_size"])
    prepared: dict[int, tuple[np.ndarray, list[str]]] = {}
    errors: dict[int, str] = {}
    for i, p in enumerate(paths):
        try:
            prepared[i] = prepare_image(p, ds["in_channels"], size, ds.get("style", "digits"))
        except (DatasetError, OSError) as e:
            errors[i] = str(e) if str(e).startswith(str(p)) else f"{p}: {e}"      # each names its file
    probs: dict[int, np.ndarray] = {}
    if prepared:
        batch = np.stack([arr for arr, _ in prepared.values()]).astype(np.float32) / 255.0   # (N, C, H, W)
        mean = np.asarray(ds["mean"], np.float32).reshape(1, -1, 1, 1)
        std = np.asarray(ds["std"], np.float32).reshape(1, -1, 1, 1)
        with no_grad():
            rows = F.softmax(predict_logits(model, Tensor((batch - mean) / std), tta_of(meta)), dim=1).numpy()
        probs = dict(zip(prepared, rows, strict=True))
    classes = ds["classes"]
    k = min(top_k, len(classes))
    results = []
    for i, p in enumerate(paths):
        if i in errors:
            results.append({"image": str(p), "error": errors[i]})
            continue
        order = np.argsort(-probs[i])[:k]
        results.append({"image": str(p), "prediction": classes[order[0]],
                        "top": [{"class": classes[j], "probability": float(probs[i][j])} for j in order],
                        "preprocessing": prepared[i][1]})
    return results


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--top-k", "-k", type=int, default=3, show_default=True, help="How many classes to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@friendly
def predict(checkpoint: str, images: tuple[str, ...], top_k: int, as_json: bool) -> None:
    """Classify IMAGES (files or folders of images) with a trained CHECKPOINT (a convnet
    checkpoint, or an .onnx file).

    Any size, colour or grayscale, dark-on-light or light-on-dark: each image is converted
    the way the model's training data looked, and the output says what was done. A file that
    cannot be read does not stop the others: each one is listed with its reason, and the exit
    status is then 2.
    """
    from ..data.preprocess import find_images

    if top_k < 1:
        raise UserError(f"--top-k must be at least 1, got {top_k}")
    model, meta = load_model(checkpoint)
    paths = find_images(list(images))
    results = classify(model, meta, paths, top_k)
    failed = [r for r in results if "error" in r]
    if as_json:
        click.echo(json.dumps(results, indent=1))
    elif len(failed) < len(results):
        from rich.console import Console
        from rich.table import Table

        table = Table("image", "prediction", f"top {min(top_k, len(meta['dataset']['classes']))}",
                      "what was done", box=None, pad_edge=False)
        for r in results:
            if "error" in r:
                continue
            top = ", ".join(f"{t['class']} {100 * t['probability']:.1f}%" for t in r["top"])
            table.add_row(Path(r["image"]).name, f"[bold]{r['prediction']}[/]", top, "; ".join(r["preprocessing"]))
        Console().print(table)
    if failed:
        if len(results) == 1:
            raise UserError(failed[0]["error"])
        lines = "\n".join(f"  {r['error']}" for r in failed)
        raise UserError(f"could not classify {len(failed)} of {len(results)} images:\n{lines}")
