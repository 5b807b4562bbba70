"""convnet.nn: neural-network building blocks. `convnet.nn.functional` holds the operations."""

from . import functional
from .parameter import Parameter

__all__ = ["Parameter", "functional"]
