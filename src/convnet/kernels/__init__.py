"""The kernel layer: the primitives every CNN operation is made of, behind one interface.

`convnet.nn.functional` defines each operation (its checks, its sizes, its gradient
formula) and calls a backend for the arithmetic. A backend is a module with the same
functions (conv2d, conv2d_input_grad, conv2d_weight_grad, channel_sum, max_pool2d and its
backward, avg_pool2d and its backward, relu and its backward, batch_norm_stats,
affine_channels, batch_norm_backward, linear and its two gradients, cross_entropy and its
backward, sgd_step, adam_step) taking and returning NumPy arrays. Two exist:

* ``reference`` (`reference.py`): plain NumPy, im2col and col2im as the seeds draw them. The
  definition to read.
* ``native`` (`native.py` over the compiled `_native` module): this project's C kernels with
  their own thread pool; float32 runs there, other dtypes fall back to ``reference``.

``native`` is the default where it was built; ``CONVNET_BACKEND=reference`` or
`set_backend` changes it. Another backend (a GPU one, say) is a third module with the same
functions, registered with `register_backend`; nothing in `convnet.nn` changes.

>>> import convnet as cn
>>> previous = cn.get_backend()
>>> cn.set_backend("reference"); cn.get_backend()
'reference'
>>> cn.set_backend(previous)
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

from . import reference
from ._paths import note, record_paths
from .geometry import ConvGeometry, Pad2d, PoolGeometry
from ..errors import ConvnetValueError

__all__ = ["ConvGeometry", "Pad2d", "PoolGeometry", "active", "available_backends", "get_backend",
           "get_num_threads", "note", "record_paths", "register_backend", "set_backend", "set_num_threads"]

_backends: dict[str, ModuleType] = {"reference": reference}
try:
    from . import native
except ImportError as error:          # not compiled here: no C compiler, another platform
    NATIVE_ERROR: str | None = str(error)
else:
    _backends["native"] = native
    NATIVE_ERROR = None

_active: ModuleType = reference
_told = False


def available_backends() -> list[str]:
    """The backends this installation has: always 'reference', 'native' where it was built."""
    return list(_backends)


def register_backend(name: str, module: ModuleType) -> None:
    """Make another implementation of the kernel functions selectable by `set_backend`."""
    _backends[name] = module


def set_backend(name: str) -> None:
    """Run the kernels on `name`: "native" (compiled, the default) or "reference" (NumPy)."""
    global _active
    if name not in _backends:
        if name == "native" and NATIVE_ERROR is not None:
            raise ConvnetValueError(f"the native kernels are not available in this installation ({NATIVE_ERROR}); "
                                    "reinstall convnet where a C compiler is present, or use 'reference'")
        raise ConvnetValueError(f"unknown kernel backend {name!r}; choose one of {', '.join(_backends)}")
    _active = _backends[name]


def get_backend() -> str:
    """The name of the backend the kernels run on."""
    return _active.NAME


def active() -> ModuleType:
    """The backend module in use (the functions of `convnet.nn.functional` call it)."""
    return _active


def set_num_threads(n: int) -> None:
    """Use `n` threads for the native kernels (default: every core this process may use)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConvnetValueError(f"set_num_threads: the number of threads must be a positive integer, got {n!r}")
    if "native" in _backends:
        _backends["native"].set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the native kernels use."""
    return _backends["native"].get_num_threads() if "native" in _backends else 1


def _choose_at_import() -> None:
    global _told
    wanted = os.environ.get("CONVNET_BACKEND", "").strip().lower()
    if wanted:
        set_backend(wanted)
    elif "native" in _backends:
        set_backend("native")
    elif not _told:
        _told = True
        sys.stderr.write(f"convnet: compiled kernels unavailable ({NATIVE_ERROR}); "
                         "running on the NumPy reference kernels\n")


def __getattr__(name: str) -> Any:        # pragma: no cover - a clear error for typos
    raise AttributeError(f"module 'convnet.kernels' has no attribute {name!r}")


_choose_at_import()
