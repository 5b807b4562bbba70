"""convnet.onnx: models in and out of ONNX, the format every inference runtime reads.

* `export(model, path, input_shape)` writes a model (any batch size; eval mode) and
  `to_onnx` returns the same graph in memory;
* `load(path)` builds a convnet model from an ONNX file, exported by convnet or by
  ``torch.onnx.export``, that runs with NumPy alone.

Both directions use one table (`convnet.onnx.ops`): per ONNX operator, the convnet operations
it is written from and the layer it is read back as. They need the ``onnx`` package
(``pip install convnet[onnx]``); ``import convnet`` does not.

>>> import convnet.onnx
>>> "Conv" in convnet.onnx.supported_operators()
True
"""

from __future__ import annotations

from typing import Any


def require_onnx() -> Any:
    """The ``onnx`` module, or a `MissingDependencyError` (an ImportError) saying how to install it.

    >>> import convnet.onnx
    >>> convnet.onnx.require_onnx().__name__
    'onnx'
    """
    from ..errors import MissingDependencyError

    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("ONNX support needs the onnx package: pip install convnet[onnx] "
                                     "(or pip install onnx)") from None
    return onnx


def supported_operators() -> list[str]:
    """The ONNX operators convnet reads, in the order of its table.

    >>> import convnet.onnx
    >>> convnet.onnx.supported_operators()[:4]
    ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool']
    """
    from .ops import TABLE

    return [rule.onnx for rule in TABLE if rule.load is not None]


from .export import DEFAULT_OPSET, ExportError, export, to_onnx  # noqa: E402
from .load import DEFAULT_MAX_BYTES, LoadError, OnnxModel, dataset_description, load  # noqa: E402

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_OPSET", "ExportError", "LoadError", "OnnxModel", "dataset_description",
           "export", "load", "require_onnx", "supported_operators", "to_onnx"]
