"""Atomic file writes: readers see the old file or the whole new one, never half of it.

Used by everything that saves a file (checkpoints, histories, pictures, ONNX models), so it
imports nothing from convnet but its errors: any layer may use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import ConvnetFileError


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one.

    A folder that cannot be created or written, or a disk that fills up, raises
    `ConvnetFileError` (an OSError) naming `path` and the reason; no temporary file is left.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _cannot_write(path, e) from e
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would surprise the user
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, ConvnetFileError):
            raise _cannot_write(path, e) from e
        raise


def _cannot_write(path: Path, error: OSError) -> ConvnetFileError:
    where = "a file is in the way" if isinstance(error, (FileExistsError, NotADirectoryError)) else None
    return ConvnetFileError(f"{path}: cannot write the file ({where or error.strerror or error})")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """`atomic_write_bytes` of `text` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))
