"""The layers of convnet.nn, one file per family (the same split as torch.nn.modules)."""

from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .conv_nd import Conv1d, Conv3d
from .dropout import Dropout, Dropout2d
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .normalization import BatchNorm1d, BatchNorm2d, LocalResponseNorm
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .pooling_nd import AvgPool1d, AvgPool3d, MaxPool1d, MaxPool3d

__all__ = [
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "BCEWithLogitsLoss",
    "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "CrossEntropyLoss", "Dropout",
    "Dropout2d", "ELU", "Flatten", "GELU", "Identity", "L1Loss", "LeakyReLU", "Linear", "LocalResponseNorm",
    "LogSoftmax", "MSELoss", "MaxPool1d", "MaxPool2d", "MaxPool3d", "ModuleDict", "ModuleList", "NLLLoss", "ReLU",
    "ReLU6", "Sequential", "SiLU", "Sigmoid", "Softmax", "Tanh", "Unflatten",
]
