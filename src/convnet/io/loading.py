"""A trained model from its file, ready for inference: `convnet.load`.

Two kinds of file hold a whole model (its layers as well as its weights):

* a ``.safetensors`` checkpoint written by ``convnet train`` or `convnet.train.save_checkpoint`:
  the model is rebuilt from the zoo by the name and arguments it records, then given its weights;
* an ``.onnx`` file (needs the optional ``onnx`` package), read by `convnet.onnx.load`.

Either way the model comes back in eval mode. `load_model` also returns what is known about the
data the model expects (the checkpoint's metadata, or for ONNX the description convnet stored on
export, else one inferred from the input shape); `convnet predict`, `convnet serve` and the
``viz`` commands all load through it.

>>> import convnet, tempfile, os
>>> net = convnet.models.create("lenet5")
>>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
>>> _ = convnet.io.save_checkpoint(path, net)
>>> convnet.load(path).training
False
>>> convnet.load(path + ".pt")                                    # doctest: +ELLIPSIS
Traceback (most recent call last):
...
convnet.errors.ConvnetFileNotFoundError: ...net.safetensors.pt: no such file; give a .safetensors checkpoint ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConvnetFileError, ConvnetFileNotFoundError, ConvnetValueError
from ..nn import Module
from .checkpoint import _looks_like_safetensors, load_checkpoint

SUFFIXES = (".safetensors", ".onnx")
_PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".ckpt")
_KINDS = "a .safetensors checkpoint (from convnet train) or an .onnx file"


def load_model(
    path: str | os.PathLike[str], *, note: Callable[[str], None] | None = None
) -> tuple[Module, dict[str, Any]]:
    """The model stored in `path`, in eval mode, and its metadata: ``meta["model"]`` (its name and
    arguments) and, where known, ``meta["dataset"]`` (classes, channels, image size, mean, std).

    `note` receives a sentence when something had to be assumed (an ONNX file that does not say how
    its images were prepared). Raises `ConvnetFileNotFoundError` for a missing file, `ConvnetFileError`
    for a folder, and a `ConvnetValueError` (`CheckpointError`, `convnet.onnx.LoadError`) for a file
    that is not a model convnet reads.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        raise ConvnetFileError(f"{p}: a folder, not a model file; give {_KINDS}")
    if not p.is_file():
        kind = {".safetensors": "checkpoint file", ".onnx": "ONNX file"}.get(suffix, "file")
        raise ConvnetFileNotFoundError(f"{p}: no such {kind}" + ("" if suffix in SUFFIXES else f"; give {_KINDS}"))
    if suffix == ".onnx":
        return _load_onnx(p, note)
    if suffix not in SUFFIXES and suffix not in _PICKLE_SUFFIXES and not _looks_like_safetensors(p):
        raise ConvnetValueError(f"{p}: not a model file convnet reads; give {_KINDS}")
    ckpt = load_checkpoint(p)  # a pickle gets its conversion hint there
    from .. import models

    model = models.create(ckpt.model_name, **ckpt.model_kwargs)
    model.load_state_dict(ckpt.model_state)
    model.eval()
    return model, ckpt.meta


def _load_onnx(p: Path, note: Callable[[str], None] | None) -> tuple[Module, dict[str, Any]]:
    from ..onnx import dataset_description, load
    from ..onnx.export import META_MODEL

    net = load(p)
    dataset, assumed = dataset_description(net)
    if assumed and note is not None:
        note(assumed)
    spec = json.loads(net.metadata.get(META_MODEL, "null")) or {"name": p.name}
    return net, {"model": spec, "dataset": dataset}


def load(path: str | os.PathLike[str]) -> Module:
    """The model in a ``.safetensors`` checkpoint or an ``.onnx`` file, in eval mode, ready for
    inference (see `load_model` for its metadata too)."""
    return load_model(path)[0]
