"""Keep freed memory for reuse: large arrays are allocated and freed on every training step.

glibc returns large blocks (over 128 KB to 32 MB, adaptively) to the operating system when
they are freed, so the next step's arrays of the same sizes come back as fresh pages, and the
kernel zero-fills every page on first touch. For LeNet-5 that costs a quarter of a training
step. Raising malloc's mmap and trim thresholds keeps those blocks in the process's heap,
ready for the next step, which is what PyTorch's caching allocator achieves for its tensors.

Applied once at import on Linux with glibc; set CONVNET_KEEP_MEMORY=0 to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory(threshold: int = 1 << 30) -> bool:
    """Ask glibc to serve blocks below `threshold` from its heap and not to trim it. Returns
    whether it took effect (False elsewhere than glibc, or when switched off)."""
    if not sys.platform.startswith("linux") or os.environ.get("CONVNET_KEEP_MEMORY", "1") == "0":
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, min(threshold, 2**31 - 1)) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1
    ok &= mallopt(_M_TOP_PAD, 64 << 20) == 1
    return bool(ok)


KEPT = keep_freed_memory()
