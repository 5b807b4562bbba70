"""Finite-difference gradient checking, for convnet's own operations and for yours.

>>> import convnet as cn, convnet.nn.functional as F
>>> x = cn.randn(1, 2, 5, 5, dtype=cn.float64, requires_grad=True)
>>> w = cn.randn(3, 2, 3, 3, dtype=cn.float64, requires_grad=True)
>>> cn.gradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..errors import ConvnetValueError
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when backward() disagrees with finite differences."""


def _outputs(result: Any) -> list[Tensor]:
    items = result if isinstance(result, tuple | list) else (result,)
    return [t for t in items if isinstance(t, Tensor) and t.dtype.kind == "f"]


def gradcheck(func: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              projections: int = 2, seed: int = 0) -> bool:
    """Check the gradients that backward() gives for `func` against central differences.

    Every input tensor with ``requires_grad=True`` is checked; they must be float64. For a
    few random directions v (`projections`), the gradient of sum(v * func(inputs)) from
    backward() must match (f(x + eps) - f(x - eps)) / (2 eps) element by element, within
    ``atol + rtol * |numeric|``. Inputs are restored afterwards, .grad included.

    Returns True, or raises `GradcheckError` naming the input, the element and both values
    (returns False instead when ``raise_exception=False``).
    """
    args = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ConvnetValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if args[i].dtype != np.float64:
            raise ConvnetValueError(
                f"gradcheck: input {i} is {args[i].dtype}; finite differences need float64 "
                "(make the inputs with dtype=convnet.float64)"
            )
    rng = np.random.default_rng(seed)
    saved_grads = [args[i].grad for i in checked]

    with no_grad():
        base = _outputs(func(*args))
    if not base:
        raise ConvnetValueError("gradcheck: func returned no floating-point tensor")
    directions = [[rng.standard_normal(o.shape) for o in base] for _ in range(projections)]

    def project(outs: list[Tensor]) -> np.ndarray:
        return np.array([sum(float(np.sum(v * o.data)) for v, o in zip(vs, outs, strict=True))
                         for vs in directions])

    analytic: list[list[np.ndarray]] = []
    for vs in directions:
        for i in checked:
            args[i].grad = None
        outs = _outputs(func(*args))
        total = sum((o * Tensor(v)).sum() for o, v in zip(outs, vs, strict=True)
                    if o.requires_grad)
        if isinstance(total, Tensor) and total.requires_grad:
            total.backward()
        analytic.append([np.zeros(args[i].shape) if args[i].grad is None else
                         args[i].grad.data.copy() for i in checked])

    ok = True
    message = ""
    for slot, i in enumerate(checked):
        data = args[i].data
        numeric = np.zeros((projections, data.size))
        flat = data.reshape(-1)  # a view: perturbing it perturbs the input
        if not np.shares_memory(flat, data):
            raise ConvnetValueError(f"gradcheck: input {i} must be contiguous")
        for j in range(flat.size):  # one element at a time: this is a test utility
            orig = flat[j]
            with no_grad():
                flat[j] = orig + eps
                plus = project(_outputs(func(*args)))
                flat[j] = orig - eps
                minus = project(_outputs(func(*args)))
            flat[j] = orig
            numeric[:, j] = (plus - minus) / (2 * eps)
        for p in range(projections):
            a = analytic[p][slot].reshape(-1)
            bad = np.abs(a - numeric[p]) > atol + rtol * np.abs(numeric[p])
            if bad.any():
                j = int(np.argmax(np.abs(a - numeric[p]) * bad))
                where = np.unravel_index(j, data.shape)
                message = (
                    f"gradcheck: gradient of input {i} (shape {data.shape}) disagrees at "
                    f"{tuple(int(k) for k in where)}: backward gives {a[j]:.8g}, finite "
                    f"differences give {numeric[p, j]:.8g} ({int(bad.sum())} of {a.size} "
                    f"elements differ beyond atol={atol}, rtol={rtol})"
                )
                ok = False
                break
        if not ok:
            break
    for slot, i in enumerate(checked):
        args[i].grad = saved_grads[slot]
    if not ok and raise_exception:
        raise GradcheckError(message)
    return ok
