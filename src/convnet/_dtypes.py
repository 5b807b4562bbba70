"""Data types, named as in PyTorch (they are NumPy dtypes), and the default float type."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ConvnetTypeError

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")
half, double = float16, float64
short, long = int16, int64

_default = [float32]


def get_default_dtype() -> np.dtype:
    """The floating-point dtype given to tensors made from Python floats (float32)."""
    return _default[0]


def set_default_dtype(dtype: Any) -> None:
    """Change the default floating-point dtype (float32 or float64)."""
    dt = np.dtype(dtype)
    if dt not in (float32, float64):
        raise ConvnetTypeError(f"the default dtype must be float32 or float64, not {dt}")
    _default[0] = dt
