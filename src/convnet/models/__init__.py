"""convnet.models: the classic architectures and a registry to build them by name.

>>> import convnet
>>> "resnet50" in convnet.models.list()
True
"""

from . import lenet as _lenet  # registration order is the order of `list()`
from . import alexnet as _alexnet
from . import vgg as _vgg
from . import googlenet as _googlenet
from . import resnet as _resnet
from . import small as _small
from .alexnet import AlexNet, ZFNet
from .googlenet import GoogLeNet
from .lenet import LeNet5, LeNet5Classic
from .registry import ModelInfo, create, info, list_models, register
from .resnet import CifarResNet, ResNet
from .small import MnistNet, VGGMnist
from .vgg import VGG

list = list_models  # noqa: A001  (convnet.models.list(), as the issue names it)

__all__ = ["AlexNet", "CifarResNet", "GoogLeNet", "LeNet5", "LeNet5Classic", "MnistNet",
           "ModelInfo", "ResNet", "VGG", "VGGMnist", "ZFNet", "create", "info", "list",
           "list_models", "register"]
