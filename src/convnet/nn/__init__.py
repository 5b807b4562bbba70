"""convnet.nn: neural-network building blocks, named as in torch.nn.

=====================  ==================================================================
module.py              `Module`: parameters, buffers, sub-modules, hooks, state_dict
parameter.py           `Parameter`: a tensor a module learns
modules/               the layers: conv, pooling, linear, activation, normalization,
                       dropout, flatten, loss, and the containers (Sequential, ...)
init.py                weight initialisation (kaiming_uniform_, xavier_normal_, ...)
functional/            the operations themselves, forward and backward (F)
constraints.py         fixed and tied kernel entries, frozen filters, trainable counts
utils/                 gradient clipping, parameters <-> vector
=====================  ==================================================================

>>> import convnet as cn, convnet.nn as nn
>>> model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(6 * 14 * 14, 10))
>>> model(cn.randn(4, 1, 28, 28)).shape
(4, 10)
"""

from . import functional
from .parameter import Parameter
from .module import IncompatibleKeys, Module, RemovableHandle, StateDictError
from .modules import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Dropout2d,
    Flatten,
    Identity,
    L1Loss,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    ReLU6,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
    Unflatten,
)
from .modules import __all__ as _layers
from . import constraints, init, utils

__all__ = ["IncompatibleKeys", "Module", "Parameter", "RemovableHandle", "StateDictError",
           "constraints", "functional", "init", "utils", *_layers]
