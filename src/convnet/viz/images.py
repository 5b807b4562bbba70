"""Where pictures come from: image files, or test images of a dataset named like ``mnist:0``,
and how they become a model's input.

A file is prepared exactly as `convnet predict` prepares it (`convnet.data.preprocess`);
a dataset image is already in its dataset's format and is used as it is.

>>> import convnet.data as data
>>> parse_source("mnist:0"), parse_source("my-digit.png")
(('mnist', 0), None)
>>> meta = {"mean": [0.5], "std": [0.25]}
>>> normalise(np.full((1, 1, 2, 2), 255, np.uint8), meta)[0, 0].tolist()
[[2.0, 2.0], [2.0, 2.0]]
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from PIL import Image

from ..errors import ConvnetValueError, ShapeError
from ..train.run import eval_transform

_SOURCE = re.compile(r"^([a-z0-9_-]+):(-?\d+)$", re.IGNORECASE)


def parse_source(spec: str) -> tuple[str, int] | None:
    """("dataset", index) when `spec` names a dataset's test image (``fashion-mnist:12``), else None."""
    from ..data import list_datasets

    m = _SOURCE.match(spec.strip())
    if m and m.group(1).lower().replace("_", "-") in list_datasets():
        return m.group(1).lower().replace("_", "-"), int(m.group(2))
    return None


def dataset_split(name: str, root: str | None = None, **options: Any) -> Any:
    """The test split of dataset `name` (downloaded if needed, as `convnet train` does)."""
    from ..data import get_dataset

    return get_dataset(name, train=False, root=root, **options)


def dataset_image(name: str, index: int, root: str | None = None) -> tuple[np.ndarray, str]:
    """Test image `index` of dataset `name` as uint8 (C, H, W), and a description with its label."""
    ds = dataset_split(name, root)
    if not -len(ds) <= index < len(ds):
        raise ConvnetValueError(f"{name}:{index}: the {name} test split has {len(ds)} images (0 to {len(ds) - 1})")
    image, label = ds[index]
    return image, f"{name} test image {index % len(ds)} (a {ds.classes[label]})"


def read_image(spec: str, root: str | None = None) -> tuple[Image.Image, str]:
    """A PIL image from a file or a dataset reference, and a description of where it came from."""
    from ..data.preprocess import open_image

    source = parse_source(spec)
    if source is None:
        return open_image(spec), spec
    arr, what = dataset_image(*source, root=root)
    return Image.fromarray(arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0)), what


def grayscale(spec: str, root: str | None = None, longest: int = 256) -> tuple[np.ndarray, list[str]]:
    """Any image as float32 (H, W) in [0, 1], shrunk so its longer side is at most `longest`."""
    from ..data.folder import to_mode

    image, what = read_image(spec, root)
    notes = [f"read {what}"]
    image = to_mode(image, "L")
    if max(image.size) > longest:
        w0, h0 = image.size
        scale = longest / max(image.size)
        image = image.resize((max(1, round(w0 * scale)), max(1, round(h0 * scale))), Image.Resampling.LANCZOS)
        notes.append(f"resized it from {w0}x{h0} to {image.width}x{image.height}")
    return np.asarray(image, dtype=np.float32) / 255.0, notes


def model_image(spec: str, dataset: dict[str, Any], root: str | None = None) -> tuple[np.ndarray, list[str]]:
    """The uint8 (C, H, W) image a model trained on `dataset` (a checkpoint's meta["dataset"])
    sees for `spec`, and notes on what was done to it."""
    from ..data.preprocess import prepare_image

    shape = (dataset["in_channels"], *dataset["image_size"])
    source = parse_source(spec)
    if source is None:
        arr, notes = prepare_image(spec, dataset["in_channels"], tuple(dataset["image_size"]),
                                   dataset.get("style", "digits"))
        return arr, [f"read {spec}", *notes]
    arr, what = dataset_image(*source, root=root)
    if arr.shape != shape:
        raise ShapeError(f"{what} is {'x'.join(map(str, arr.shape))} (channels x height x width) but the model "
                         f"takes {'x'.join(map(str, shape))} images; use a test image of "
                         f"{dataset['name']} or an image file (files are converted to fit)")
    return arr, [f"read {what}"]


def normalise(images: np.ndarray, dataset: dict[str, Any]) -> np.ndarray:
    """uint8 images (N, C, H, W) scaled and normalised as in training (`dataset` gives mean and std)."""
    return eval_transform(dataset["mean"], dataset["std"])(np.asarray(images))


def denormalise(x: np.ndarray, dataset: dict[str, Any]) -> np.ndarray:
    """The inverse of `normalise`: float inputs (N, C, H, W) back to uint8 pixels (clipped)."""
    mean = np.asarray(dataset["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(dataset["std"], np.float32).reshape(1, -1, 1, 1)
    return np.clip(np.rint((x * std + mean) * 255.0), 0, 255).astype(np.uint8)
