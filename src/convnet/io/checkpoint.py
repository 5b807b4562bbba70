"""Checkpoints: one safetensors file with the weights, the optimizer state and JSON metadata.

Layout of ``*.safetensors`` written by `save_checkpoint`:

* tensors ``model.<state_dict key>``: every parameter and buffer of the model;
* tensors ``optimizer.state.<index>.<name>``: the optimizer's per-parameter arrays
  (momentum buffers, Adam moments);
* metadata (the safetensors header's string map): ``format`` = ``convnet-checkpoint``,
  ``format_version`` = ``1``, and ``convnet`` = one JSON document holding the model's name
  and construction arguments, the optimizer's hyperparameters and scalar state, the
  scheduler's state, the epoch, metrics, training history, RNG states, the dataset's
  description and the library version.

Nothing is pickled, and loading runs no code: safetensors holds only arrays, JSON only data.
Files are written to a temporary name in the same folder, flushed to disk and then renamed
over the destination, so a crash never leaves a half-written checkpoint where a good one was.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConvnetTypeError, ConvnetValueError
from .atomic import atomic_write_bytes

FORMAT = "convnet-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ConvnetValueError):
    """A checkpoint file that is missing, damaged, or not a convnet checkpoint."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds, split back into its parts."""

    model_state: dict[str, np.ndarray]
    optimizer_arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def model_name(self) -> str:
        return self.meta["model"]["name"]

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return dict(self.meta["model"].get("kwargs", {}))

    def optimizer_state(self) -> dict[str, Any] | None:
        """The optimizer's state_dict, arrays and JSON parts joined back together."""
        saved = self.meta.get("optimizer")
        if saved is None:
            return None
        state: dict[str, dict[str, Any]] = {k: dict(v) for k, v in saved["state"].items()}
        for key, arr in self.optimizer_arrays.items():
            _, _, index, name = key.split(".", 3)
            state.setdefault(index, {})[name] = arr
        return {"state": state, "param_groups": saved["param_groups"]}


def _split_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        scalars[str(index)] = {}
        for name, value in entry.items():
            if isinstance(value, np.ndarray) and value.ndim > 0:
                arrays[f"optimizer.state.{index}.{name}"] = np.ascontiguousarray(value)
            else:
                scalars[str(index)][name] = value.item() if isinstance(value, np.ndarray | np.generic) \
                    else value
    return arrays, {"state": scalars, "param_groups": state["param_groups"]}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise ConvnetTypeError(f"cannot store a {type(value).__name__} in checkpoint metadata")


def save_checkpoint(path: str | os.PathLike[str], model: Any, optimizer: Any = None,
                    meta: dict[str, Any] | None = None) -> Path:
    """Write `model` (and `optimizer`) with `meta` to `path`, atomically. Returns the path.

    The model must come from `convnet.models.create` (it carries ``model.spec``) or `meta`
    must give ``{"model": {"name": ..., "kwargs": {...}}}``.
    """
    from safetensors.numpy import save

    meta = dict(meta or {})
    spec = getattr(model, "spec", None)
    if "model" not in meta:
        if spec is None:
            raise ConvnetValueError("save_checkpoint: the model has no .spec (build it with "
                                    "convnet.models.create) and meta gives no 'model' entry")
        meta["model"] = spec
    # np.require keeps a 0-d buffer (BatchNorm's num_batches_tracked) 0-d; ascontiguousarray makes it (1,)
    tensors = {f"model.{k}": np.require(v.numpy(), requirements="C") for k, v in model.state_dict().items()}
    meta.pop("optimizer", None)        # never keep another save's optimizer description
    if optimizer is not None:
        arrays, json_part = _split_optimizer_state(optimizer.state_dict())
        tensors.update(arrays)
        meta["optimizer"] = json_part
    from .. import __version__

    meta.setdefault("convnet_version", __version__)
    header = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
              "convnet": json.dumps(meta, default=_json_default, allow_nan=True)}
    atomic_write_bytes(path, save(tensors, metadata=header))
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`, checking that it is one.

    Raises `CheckpointError` naming the file and the problem (missing, empty, truncated,
    not safetensors, not a convnet checkpoint, or from a newer format version).
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load

    p = Path(path)
    if p.suffix in (".pt", ".pth", ".pkl", ".ckpt") and not _looks_like_safetensors(p):
        raise CheckpointError(
            f"{p}: this looks like a pickled PyTorch file; convnet never loads pickle (it can run "
            "arbitrary code). Convert it once with PyTorch: from safetensors.torch import "
            "save_file; save_file(torch.load(path, weights_only=True), 'model.safetensors')"
        )
    if not p.is_file():
        raise CheckpointError(f"{p}: no such checkpoint file")
    raw = p.read_bytes()
    if not raw:
        raise CheckpointError(f"{p}: the file is empty")
    try:
        tensors = load(raw)
        header = _header(raw)
    except (SafetensorError, ValueError, KeyError, UnicodeDecodeError) as e:
        raise CheckpointError(
            f"{p}: not a readable safetensors file ({e}); it may be truncated or of another kind"
        ) from None
    metadata = header.get("__metadata__") or {}
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{p}: a safetensors file, but not a convnet checkpoint (its metadata "
                              "has no format=convnet-checkpoint); for plain weights use "
                              "convnet.io.load_torch_weights")
    version = int(metadata.get("format_version", "0"))
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{p}: checkpoint format {version} is newer than this convnet reads "
                              f"({FORMAT_VERSION}); upgrade convnet")
    try:
        meta = json.loads(metadata["convnet"])
    except (KeyError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{p}: the checkpoint's metadata is damaged ({e})") from None
    model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    optim = {k: v for k, v in tensors.items() if k.startswith("optimizer.")}
    return Checkpoint(model_state, optim, meta, p)


def _looks_like_safetensors(p: Path) -> bool:
    try:
        with p.open("rb") as f:
            head = f.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{"


def _header(raw: bytes) -> dict[str, Any]:
    n = int.from_bytes(raw[:8], "little")
    if n <= 0 or 8 + n > len(raw):
        raise ValueError(f"header length {n} does not fit a file of {len(raw)} bytes")
    return json.loads(raw[8:8 + n].decode("utf-8"))
