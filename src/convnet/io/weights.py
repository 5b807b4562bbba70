"""Weights from PyTorch and NumPy files, read without ever unpickling anything.

A PyTorch state_dict shared as safetensors (``safetensors.torch.save_file``) or a NumPy
``.npz`` loads by name: the zoo's layers carry torchvision's names (``conv1.weight``,
``layer1.0.bn1.running_mean``, ``fc.bias``), so torchvision's weights load without renaming.

Pickle files (``.pt``, ``.pth``, ``.bin``, ``.ckpt``, ``.pkl``) are refused, whatever their
name says, because unpickling runs arbitrary code: a file is recognised by its first bytes,
and the error shows the one line of PyTorch that converts it to safetensors.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConvnetValueError
from ..nn import IncompatibleKeys, Module, StateDictError

PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar")
CONVERT = ("import torch; from safetensors.torch import save_file; save_file({{k: v.contiguous() for k, v in "
           "torch.load('{source}', weights_only=True).items()}}, '{target}')")
MAX_HEADER_BYTES = 100 * 2**20
# safetensors dtypes NumPy has no type for
_NO_NUMPY = {"BF16": "bfloat16", "F8_E4M3": "float8", "F8_E5M2": "float8", "F8_E8M0": "float8",
             "F4": "float4", "F6_E2M3": "float6", "F6_E3M2": "float6"}


class WeightsError(ConvnetValueError):
    """A weights file that cannot be read or does not fit the model; names the file and why."""


def _pickle_error(p: Path, why: str) -> WeightsError:
    target = Path(p.name).with_suffix(".safetensors").name if p.suffix != ".safetensors" else "converted.safetensors"
    return WeightsError(
        f"{p}: {why}. convnet never loads pickle, because unpickling a file can run any code it "
        f"contains. Convert the file once, where you trust it, with PyTorch:\n    "
        f"{CONVERT.format(source=p.name, target=target)}\n"
        f"(for a training checkpoint, take its state_dict entry first), then load {target}"
    )


def _kind(p: Path) -> str:
    """'safetensors', 'npz', 'pickle', 'torch-zip' or 'unknown', from the file's first bytes."""
    with p.open("rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else 0
        first = f.read(1) if 0 < n <= MAX_HEADER_BYTES else b""
    if head[:1] == b"\x80":                      # the PROTO opcode that starts pickles since protocol 2
        return "pickle"
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return "unknown"
        if any(name.endswith(".pkl") for name in names):
            return "torch-zip"
        return "npz"
    if first == b"{":
        return "safetensors"
    return "unknown"


def _safetensors_header(p: Path) -> dict[str, Any]:
    size = p.stat().st_size
    with p.open("rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if not 0 < n <= min(MAX_HEADER_BYTES, size - 8):
            raise ValueError(f"a header of {n:,} bytes does not fit a file of {size:,} bytes")
        return json.loads(f.read(n).decode("utf-8"))


def _read_safetensors(p: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        header = _safetensors_header(p)
    except (ValueError, UnicodeDecodeError) as e:
        raise WeightsError(f"{p}: the safetensors header is damaged ({e})") from None
    odd = {k: v.get("dtype") for k, v in header.items() if k != "__metadata__" and v.get("dtype") in _NO_NUMPY}
    if odd:
        names = ", ".join(f"{k} ({_NO_NUMPY[d]})" for k, d in list(odd.items())[:5])
        raise WeightsError(f"{p}: {len(odd)} tensor(s) have a type NumPy cannot hold: {names}. Save them as "
                           "float32 with PyTorch: save_file({k: v.float() for k, v in state.items()}, ...)")
    try:
        return load_file(str(p))
    except SafetensorError as e:
        raise WeightsError(f"{p}: not a complete safetensors file ({e}); it may be truncated or damaged") from None


def _read_npz(p: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise WeightsError(f"{p}: the .npz holds object arrays, which only pickle can read; convnet never "
                               "loads pickle. Save plain numeric arrays (np.savez(path, **arrays))") from None
        raise WeightsError(f"{p}: not a readable .npz file ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise WeightsError(f"{p}: not a complete .npz file ({e}); it may be truncated or damaged") from None
    others = [k for k, v in arrays.items() if not isinstance(v, np.ndarray)]
    if others:
        raise WeightsError(f"{p}: a zip archive whose members {others[:5]} are not NumPy arrays (.npy); "
                           "an .npz of weights holds one .npy per tensor (np.savez(path, **arrays))")
    return arrays


def read_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of a safetensors or .npz file, by name. Never unpickles anything.

    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> np.savez(path, **{"fc.weight": np.ones((2, 3), np.float32)})
    >>> {k: v.shape for k, v in read_weights(path).items()}
    {'fc.weight': (2, 3)}
    """
    p = Path(path)
    if not p.is_file():
        raise WeightsError(f"{p}: no such weights file" if not p.exists() else f"{p}: not a file")
    if p.stat().st_size == 0:
        raise WeightsError(f"{p}: the file is empty")
    kind = _kind(p)
    if kind == "pickle" or (kind == "unknown" and p.suffix in PICKLE_SUFFIXES):
        raise _pickle_error(p, "this is a pickle file")
    if kind == "torch-zip":
        raise _pickle_error(p, "this is a PyTorch zip archive, whose tensors are described by a pickle")
    if kind == "safetensors":
        return _read_safetensors(p)
    if kind == "npz":
        return _read_npz(p)
    if p.suffix == ".safetensors":
        return _read_safetensors(p)           # let safetensors say what is wrong with it
    raise WeightsError(f"{p}: not a safetensors or .npz file (its first bytes are neither); convnet reads "
                       "weights from .safetensors (PyTorch: safetensors.torch.save_file) or .npz (np.savez)")


def load_torch_weights(model: Module, path: str | os.PathLike[str], strict: bool = True) -> IncompatibleKeys:
    """Load a PyTorch state_dict saved as safetensors (or a .npz of arrays) into `model`, by name.

    Keys match PyTorch's (the zoo uses torchvision's names); a ``module.`` prefix left by
    ``nn.DataParallel`` is removed. With `strict`, missing and unexpected keys are errors;
    a wrong shape always is. Every problem is listed at once, with the file's name. Values
    are converted to the model's dtypes. Returns ``(missing_keys, unexpected_keys)``.

    >>> import convnet.io, convnet.nn as nn, numpy as np, tempfile, os
    >>> model = nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "fc.npz")
    >>> np.savez(path, weight=np.zeros((2, 3), np.float32), bias=np.ones(2, np.float32))
    >>> convnet.io.load_torch_weights(model, path)
    <All keys matched successfully>
    >>> model.bias.tolist()
    [1.0, 1.0]
    """
    state = read_weights(path)
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    try:
        return model.load_state_dict(state, strict=strict)
    except StateDictError as e:
        raise WeightsError(f"{Path(path)}: {e}") from None
