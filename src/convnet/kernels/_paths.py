"""Which path each kernel call took: recorded on request, for tests and profiling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_recording: list[tuple[str, str]] | None = None


@contextmanager
def record_paths() -> Iterator[list[tuple[str, str]]]:
    """Collect (primitive, path) for every kernel call in the block.

    >>> import convnet as cn, convnet.nn.functional as F
    >>> with cn.kernels.record_paths() as paths:
    ...     _ = F.conv2d(cn.ones(1, 1, 5, 5), cn.ones(2, 1, 3, 3))
    >>> paths[0][0]
    'conv2d'
    """
    global _recording
    outer, _recording = _recording, []
    try:
        yield _recording
    finally:
        _recording = outer


def note(primitive: str, path: str) -> None:
    """Called by the backends: `primitive` ran on `path` (kept only inside record_paths)."""
    if _recording is not None:
        _recording.append((primitive, path))
