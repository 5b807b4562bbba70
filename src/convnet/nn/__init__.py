"""convnet.nn: neural-network building blocks. `convnet.nn.functional` holds the operations."""

from . import functional

__all__ = ["functional"]
