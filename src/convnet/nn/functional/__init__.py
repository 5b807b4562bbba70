"""convnet.nn.functional: every CNN operation as a function, named as in torch.nn.functional.

Each operation's forward and backward pass live side by side in one file:

=================  ==========================================================
conv.py            conv2d, conv_transpose2d (im2col / col2im)
conv_nd.py         conv1d, conv_transpose1d (conv2d one pixel high), conv3d,
                   conv_transpose3d (NumPy)
pooling.py         max_pool2d, avg_pool2d, adaptive_avg_pool2d, adaptive_max_pool2d
pooling_nd.py      max_pool1d, avg_pool1d (2-D one pixel high), max_pool3d, avg_pool3d
linear.py          linear (fully connected)
activation.py      relu, leaky_relu, elu, gelu, silu, sigmoid, tanh, softmax,
                   log_softmax, dropout, dropout2d
normalization.py   batch_norm, local_response_norm
padding.py         pad (constant, reflect, replicate, circular)
loss.py            cross_entropy, nll_loss, mse_loss, l1_loss,
                   binary_cross_entropy_with_logits, one_hot
=================  ==========================================================
"""

from .activation import (
    dropout,
    dropout2d,
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    tanh,
)
from .conv import conv2d, conv2d_relu, conv_transpose2d
from .conv_nd import conv1d, conv3d, conv_transpose1d, conv_transpose3d
from .linear import linear
from .loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
    one_hot,
)
from .normalization import batch_norm, local_response_norm
from .padding import pad
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from .pooling_nd import avg_pool1d, avg_pool3d, max_pool1d, max_pool3d

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "gelu",
    "l1_loss",
    "leaky_relu",
    "linear",
    "local_response_norm",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "tanh",
]
