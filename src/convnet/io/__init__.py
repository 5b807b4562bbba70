"""convnet.io: weights in from other libraries, safely (no pickle, ever).

>>> import convnet.io
>>> ".pth" in convnet.io.PICKLE_SUFFIXES          # refused with a conversion hint, never unpickled
True
"""

from .weights import PICKLE_SUFFIXES, WeightsError, load_torch_weights, read_weights

__all__ = ["PICKLE_SUFFIXES", "WeightsError", "load_torch_weights", "read_weights"]
