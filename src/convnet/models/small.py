"""Compact networks for MNIST-size data."""

from __future__ import annotations

from .. import arith, nn
from .._tensor import Tensor
from ..nn import functional as F
from .registry import register


class MnistNet(nn.Module):
    """The network of PyTorch's MNIST example: conv 32, conv 64 (3x3), max pooling,
    dropout, a 128-unit layer, dropout, classes. Same layer names (conv1, conv2, fc1, fc2),
    returning logits."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)   # (N, 64, 12, 12)
        x = F.relu(self.fc1(self.dropout1(x).flatten(1)))
        return self.fc2(self.dropout2(x))


@register("mnist-cnn", paper="PyTorch examples: mnist/main.py", input_shape=(1, 28, 28),
          num_classes=10, family="small")
def mnist_cnn(num_classes: int = 10, in_channels: int = 1) -> MnistNet:
    return MnistNet(num_classes, in_channels)


class VGGMnist(nn.Module):
    """A compact VGG-style network for 28x28 images: two blocks of two 3x3 convolutions with
    batch normalisation (32 then 64 channels, each block halving the size), then a small
    classifier."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, dropout: float = 0.3) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(in_channels, 32), *block(32, 32), nn.MaxPool2d(2),
                                      *block(32, 64), *block(64, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 128, bias=False),
                                        nn.BatchNorm1d(128), nn.ReLU(inplace=True),
                                        nn.Dropout(dropout), nn.Linear(128, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


@register("vgg-mnist", paper="VGG-style (Simonyan and Zisserman 2014), sized for MNIST",
          input_shape=(1, 28, 28), num_classes=10, family="VGG")
def vgg_mnist(num_classes: int = 10, in_channels: int = 1, dropout: float = 0.3) -> VGGMnist:
    return VGGMnist(num_classes, in_channels, dropout)


class MnistBN(nn.Module):
    """A small batch-norm CNN for 28x28 images, the default model of `convnet train`: three
    stages of a 3x3 convolution, 2x2 max pooling, batch normalisation and ReLU (28 -> 14 -> 7 -> 3),
    with `widths` channels, then a `hidden`-unit layer (batch norm, ReLU; 0 for none) and the classes.

    Batch normalisation lets it take a high learning rate from the first step, so a one-cycle
    schedule reaches 99.5% on MNIST in a few epochs (docs/TRAINING.md). Pooling comes before
    normalisation: the per-channel statistics, scale and ReLU then run on a quarter of the values,
    which on a CPU is a large part of a small network's time.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, widths: tuple[int, ...] = (16, 32, 64),
                 input_size: int = 28, hidden: int = 128) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin, side = in_channels, input_size
        for cout in widths:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(cout),
                       nn.ReLU(inplace=True)]
            cin, side = cout, arith.conv_output_size(side, 2, 2, 0, op="mnist-bn pooling")
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.Flatten()]
        if hidden:                     # a hidden layer: cheap capacity on the small final maps
            head += [nn.Linear(cin * side * side, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True)]
        self.classifier = nn.Sequential(*head, nn.Linear(hidden or cin * side * side, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


@register("mnist-bn", paper="a small batch-norm CNN (Ioffe and Szegedy 2015) sized for MNIST",
          input_shape=(1, 28, 28), num_classes=10, family="small")
def mnist_bn(num_classes: int = 10, in_channels: int = 1, widths: tuple[int, ...] = (16, 32, 64),
             input_size: int = 28, hidden: int = 128) -> MnistBN:
    return MnistBN(num_classes, in_channels, tuple(widths), input_size, hidden)
