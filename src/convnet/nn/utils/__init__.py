"""convnet.nn.utils: gradient clipping, parameters as one flat vector, locating layer errors."""

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .trace import LayerError, layer_trace

__all__ = ["LayerError", "clip_grad_norm_", "clip_grad_value_", "layer_trace", "parameters_to_vector",
           "vector_to_parameters"]
