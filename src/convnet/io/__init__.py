"""convnet.io: model files in and out, safely (no pickle, ever).

=============  ==================================================================================
atomic.py      atomic_write_bytes / atomic_write_text: a file is replaced whole or not at all
checkpoint.py  the safetensors checkpoint format (save_checkpoint, load_checkpoint)
weights.py     PyTorch weights from .safetensors or .npz, by name (load_torch_weights)
loading.py     load / load_model: a whole model from a checkpoint or an .onnx file, for inference
=============  ==================================================================================

>>> import convnet.io
>>> ".pth" in convnet.io.PICKLE_SUFFIXES          # refused with a conversion hint, never unpickled
True
"""

from .atomic import atomic_write_bytes, atomic_write_text
from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .loading import load, load_model
from .weights import PICKLE_SUFFIXES, WeightsError, load_torch_weights, read_weights

__all__ = ["PICKLE_SUFFIXES", "Checkpoint", "CheckpointError", "WeightsError", "atomic_write_bytes",
           "atomic_write_text", "load", "load_checkpoint", "load_model", "load_torch_weights", "read_weights",
           "save_checkpoint"]
