"""`convnet viz ...`: pictures of what a CNN does, written to files whose paths are printed.

IMAGE arguments take a file (prepared exactly as `convnet predict` prepares it) or a test
image of a dataset by index, such as ``mnist:0`` (a seven) or ``fashion-mnist:3``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import UserError, friendly, main


def _done(paths: Sequence[Path], notes: Sequence[str] = ()) -> None:
    """Notes go to stderr, the paths written to stdout (one per line, easy to script)."""
    for note in notes:
        click.secho(note, dim=True, err=True)
    for p in paths:
        click.echo(str(p))


def _stem(spec: str) -> str:
    return spec.replace(":", "-") if ":" in spec and not Path(spec).exists() else Path(spec).stem


def _layers(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _channels(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(c) for c in text.split(",") if c.strip()]
    except ValueError:
        raise UserError(f"--channels must be channel numbers separated by commas, e.g. 0,3,5; got {text!r}") from None


def _checkpoint_data(meta: dict[str, Any], data_dir: str | None) -> Any:
    """The test split of the data a checkpoint was trained on (with the options it was made with)."""
    from ..viz.images import dataset_split

    options = meta.get("train_config", {}).get("dataset_options", {})
    return dataset_split(meta["dataset"]["name"], data_dir, **options)


@main.group()
def viz() -> None:
    """See inside a network: kernels, feature maps, filters at work, animations, receptive fields.

    \b
    convnet viz filters   CHECKPOINT               the kernels a convolution learned
    convnet viz features  CHECKPOINT IMAGE         what each channel outputs for an image
    convnet viz kernel    edges mnist:0            hand-made edge detectors on a seven
    convnet viz animate   --input 5 --kernel 3 --padding 1 --stride 2 --values
    convnet viz receptive-field lenet5 --layer features.3 --position 2 2
    convnet viz patches   CHECKPOINT --layer features.3   dataset patches a channel likes
    convnet viz dream     CHECKPOINT --layer features.3   the input a channel likes best
    convnet viz report    CHECKPOINT               learning curves, confusion matrix, mistakes
    """


@viz.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--layer", "-l", default=None, help="A convolution layer (default: the first).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: filters-LAYER.png]")
@friendly
def filters(checkpoint: str, layer: str | None, out: str | None) -> None:
    """Every kernel a convolution layer learned, one tile per (output, input) channel pair
    (or one RGB tile per kernel for a colour model's first layer), on one scale centred on zero."""
    from ..viz import canvas
    from ..viz.weights import filter_grid
    from .predict import load_model

    model, _ = load_model(checkpoint)
    grid, name = filter_grid(model, layer)
    _done([canvas.save(grid.image, out or f"filters-{name}.png")])


@viz.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.argument("image")
@click.option("--layer", "-l", default="conv", show_default=True,
              help="Layer name(s), comma-separated; 'conv' (every convolution) or 'all' (every layer with maps).")
@click.option("--top", "-k", type=int, default=None, help="Show only the K most active channels of each layer.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where datasets are (for mnist:0).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: features-IMAGE.png]")
@friendly
def features(checkpoint: str, image: str, layer: str, top: int | None, data_dir: str | None, out: str | None) -> None:
    """The feature maps IMAGE produces at each chosen layer, one tile per channel, labelled with
    the channel and its value range (captured with forward hooks)."""
    from ..viz import canvas
    from ..viz.features import choose_layers, feature_grid, feature_maps
    from ..viz.images import model_image, normalise
    from .predict import load_model

    if top is not None and top < 1:
        raise UserError(f"--top must be at least 1, got {top}")
    model, meta = load_model(checkpoint)
    ds = meta["dataset"]
    names = choose_layers(model, (ds["in_channels"], *ds["image_size"]), layer)     # check names before reading
    pixels, notes = model_image(image, ds, data_dir)
    maps = feature_maps(model, normalise(pixels[None], ds)[0], names)
    grid = feature_grid(model, maps, pixels, top, title=f"Feature maps of {Path(image).name}")
    _done([canvas.save(grid.image, out or f"features-{_stem(image)}.png")], notes)


@viz.command()
@click.argument("name")
@click.argument("image")
@click.option("--padding", "-p", type=int, default=0, show_default=True, help="Zero padding round the image.")
@click.option("--invert", is_flag=True, help="Use 1 - pixel: dark strokes on light paper become bright on dark.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where datasets are (for mnist:0).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: kernel-NAME-IMAGE.png]")
@friendly
def kernel(name: str, image: str, padding: int, invert: bool, data_dir: str | None, out: str | None) -> None:
    """Apply a hand-designed filter NAME to IMAGE: input, kernel (with its values) and output side
    by side. NAME is a filter (sobel_x, edge_top, ..., see convnet.filters), several joined by
    commas, or 'edges' for the four edge detectors. The edge detectors look for bright strokes on
    a dark ground, as in MNIST: use --invert for dark ink on paper.

    \b
    convnet viz kernel edges mnist:0      the four edge detectors on an MNIST seven
    """
    from ..viz import canvas
    from ..viz.images import grayscale
    from ..viz.kernels import kernel_figure

    if padding < 0:
        raise UserError(f"--padding must be 0 or more, got {padding}")
    pixels, notes = grayscale(image, data_dir)
    if invert:
        pixels, notes = 1.0 - pixels, [*notes, "inverted it (1 - pixel)"]
    grid = kernel_figure(name, pixels, padding, title=f"{name} on {image}")
    _done([canvas.save(grid.image, out or f"kernel-{name.replace(',', '+')}-{_stem(image)}.png")], notes)


@viz.command()
@click.option("--input", "-i", "input_size", type=int, default=5, show_default=True, help="Input size (square).")
@click.option("--kernel", "-k", "kernel_size", type=int, default=3, show_default=True, help="Kernel size.")
@click.option("--padding", "-p", type=int, default=0, show_default=True, help="Padding.")
@click.option("--stride", "-s", type=int, default=1, show_default=True, help="Stride.")
@click.option("--dilation", "-d", type=int, default=1, show_default=True, help="Dilation.")
@click.option("--mode", "-m", type=click.Choice(["conv", "maxpool", "avgpool", "transposed"]), default="conv",
              show_default=True, help="The operation.")
@click.option("--values", is_flag=True, help="Write small integers in the cells, with each step's products and sum.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random input and kernel.")
@click.option("--frames", type=click.Path(file_okay=False), default=None, help="Also write every frame as a PNG here.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="GIF to write.  [default: MODE-i5-k3-p0-s1.gif]")
@friendly
def animate(input_size: int, kernel_size: int, padding: int, stride: int, dilation: int, mode: str, values: bool,
            seed: int, frames: str | None, out: str | None) -> None:
    """An animated GIF of a kernel sliding over a padded input, the output filling in cell by cell.

    The numbers come from convnet.nn.functional (conv2d, max_pool2d, avg_pool2d,
    conv_transpose2d): what is drawn is what is computed.
    """
    from ..viz.animation import animate as make

    anim = make(input_size, kernel_size, padding, stride, dilation, mode, values, seed)
    name = f"{mode}-i{input_size}-k{kernel_size}-p{padding}-s{stride}" + (f"-d{dilation}" if dilation > 1 else "")
    paths = [anim.save(out or f"{name}.gif")]
    if frames:
        written = anim.save_frames(frames)
        paths.append(Path(frames))
        click.secho(f"{len(written)} frames in {frames}/", dim=True, err=True)
    _done(paths)


@viz.command(name="receptive-field")
@click.argument("model")
@click.argument("image", required=False)
@click.option("--layer", "-l", required=True, help="The layer whose output cell to look at.")
@click.option("--position", nargs=2, type=int, default=None, help="ROW COLUMN of the cell (default: the centre).")
@click.option("--input", "-i", "input_text", default=None, help="Input size CxHxW (default: the model's own).")
@click.option("--gradient", is_flag=True, help="Also show |d output / d input| of that cell.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where datasets are (for mnist:0).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: receptive-field-LAYER.png]")
@friendly
def receptive_field(model: str, image: str | None, layer: str, position: tuple[int, int] | None,
                    input_text: str | None, gradient: bool, data_dir: str | None, out: str | None) -> None:
    """The input region that one output cell of --layer sees, drawn on IMAGE (or a blank canvas).
    MODEL is a zoo name or a checkpoint; the region comes from the receptive-field arithmetic of
    `convnet summary`."""
    import numpy as np

    from ..train import load_checkpoint
    from ..viz import canvas
    from ..viz.images import model_image, normalise
    from ..viz.probe import input_gradient
    from ..viz.receptive import receptive_field_figure, receptive_region
    from .inspect import _model_and_shape

    net, shape, label = _model_and_shape(model, input_text)
    region = receptive_region(net, layer, position, shape)
    notes: list[str] = []
    pixels = None
    # a checkpoint knows its data's statistics and style; a zoo model (untrained) takes any
    trained = load_checkpoint(model).meta["dataset"] if Path(model).is_file() else {}
    ds = {"name": label, "style": trained.get("style", "photo" if shape[0] == 3 else "digits"),
          "mean": trained.get("mean", [0.5] * shape[0]), "std": trained.get("std", [0.25] * shape[0]),
          "in_channels": shape[0], "image_size": list(shape[1:])}
    if image:
        pixels, notes = model_image(image, ds, data_dir)
    grad = None
    if gradient:
        x = normalise(pixels[None], ds) if pixels is not None else np.zeros((1, *shape), np.float32)
        pick = np.zeros((1, *region.output_shape), np.float32)
        pick[0, :, region.position[0], region.position[1]] = 1.0
        grad = np.abs(input_gradient(net, layer, x, pick)[1][0]).sum(axis=0)
    grid = receptive_field_figure(region, pixels, grad)
    _done([canvas.save(grid.image, out or f"receptive-field-{layer}.png")], [*notes, region.describe()])


@viz.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--layer", "-l", required=True, help="Layer name(s), comma-separated (e.g. features.0,features.3).")
@click.option("--channels", "-c", default=None, help="Channels, comma-separated (default: the first 16).")
@click.option("--top", "-n", type=int, default=8, show_default=True, help="Patches per channel.")
@click.option("--images", type=int, default=2000, show_default=True, help="How many test images to search.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where the dataset is.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: patches-LAYER.png]")
@friendly
def patches(checkpoint: str, layer: str, channels: str | None, top: int, images: int, data_dir: str | None,
            out: str | None) -> None:
    """The test-image patches that excite each channel of a layer most, each cropped to the
    receptive field of the cell that fired: edges in the first layer, shapes deeper."""
    from ..viz import canvas
    from ..viz.patches import patches_grid, top_patches
    from ..viz.probe import get_layer
    from .predict import load_model

    if top < 1 or images < 1:
        raise UserError("--top and --images must be at least 1")
    model, meta = load_model(checkpoint)
    names = _layers(layer)
    for n in names:
        get_layer(model, n)
    data = _checkpoint_data(meta, data_dir)
    sections = [patches_grid(top_patches(model, data, meta["dataset"], n, _channels(channels), top, images), n,
                             type(get_layer(model, n)).__name__) for n in names]
    grid = canvas.stack_grids(sections, gap=32)
    _done([canvas.save(canvas.margin(grid.image, 8), out or f"patches-{'+'.join(names)}.png")])


@viz.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--layer", "-l", required=True, help="Layer name(s), comma-separated.")
@click.option("--channels", "-c", default=None, help="Channels, comma-separated (default: the first 16).")
@click.option("--steps", type=int, default=160, show_default=True, help="Gradient-ascent steps.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the starting noise and the jitter.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Image file to write.  [default: dream-LAYER.png]")
@friendly
def dream(checkpoint: str, layer: str, channels: str | None, steps: int, seed: int, out: str | None) -> None:
    """Activation maximisation: for each channel, the input its centre cell responds to most,
    found by gradient ascent on the input (with jitter, L2 decay and blur)."""
    from ..viz import canvas
    from ..viz.maximise import dream as run_dream
    from ..viz.maximise import dream_grid
    from ..viz.probe import get_layer
    from .predict import load_model

    model, meta = load_model(checkpoint)
    names = _layers(layer)
    for n in names:
        get_layer(model, n)
    sections = [dream_grid(run_dream(model, meta["dataset"], n, _channels(channels), steps, seed=seed),
                           type(get_layer(model, n)).__name__) for n in names]
    grid = canvas.stack_grids(sections, gap=32)
    _done([canvas.save(canvas.margin(grid.image, 8), out or f"dream-{'+'.join(names)}.png")])


@viz.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write into.  [default: the checkpoint's folder]")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where the dataset is.")
@friendly
def report(checkpoint: str, out_dir: str | None, data_dir: str | None) -> None:
    """The end-of-training pictures, again: learning curves (from the history in the checkpoint),
    the test confusion matrix and the misclassified test images."""
    from ..viz.report import training_report
    from .predict import load_model

    model, meta = load_model(checkpoint)
    result = training_report(out_dir or Path(checkpoint).parent, model, _checkpoint_data(meta, data_dir),
                             meta.get("history", []), meta)
    _done(result.paths, result.notes)
