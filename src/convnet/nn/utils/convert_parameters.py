"""All parameters as one flat vector, and back (for line searches, parameter averaging, analysis)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ... import _functions
from ..._tensor import Tensor
from ...errors import ConvnetTypeError, ConvnetValueError


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the parameters, each flattened, into one 1-d tensor (gradients flow back).

    >>> import convnet as cn
    >>> from convnet.nn.utils import parameters_to_vector
    >>> parameters_to_vector([cn.ones(2, 2), cn.zeros(3)]).shape
    (7,)
    """
    return _functions.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-d ``vec`` into the parameters' values (in place).

    >>> import convnet as cn
    >>> from convnet.nn.utils import vector_to_parameters
    >>> a, b = cn.zeros(2), cn.zeros(1)
    >>> vector_to_parameters(cn.tensor([1.0, 2.0, 3.0]), [a, b])
    >>> a, b
    (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise ConvnetTypeError(f"vector_to_parameters expects a 1-d Tensor, got {getattr(vec, 'shape', type(vec))}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.numel() != needed:
        raise ConvnetValueError(
            f"vector_to_parameters: the vector has {vec.numel()} entries but the parameters have {needed}"
        )
    start = 0
    for p in params:
        np.copyto(p.data, vec.data[start:start + p.numel()].reshape(p.shape))
        start += p.numel()
