"""AlexNet (Krizhevsky, Sutskever and Hinton 2012) and ZFNet (Zeiler and Fergus 2013)."""

from __future__ import annotations

from .. import nn
from .._tensor import Tensor
from .registry import register


def classifier(num_classes: int, dropout: float) -> nn.Sequential:
    """The fully connected head AlexNet and ZFNet share: 6x6x256 -> 4096 -> 4096 -> classes."""
    return nn.Sequential(
        nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
        nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )


class AlexNet(nn.Module):
    """AlexNet in torchvision's single-tower layout (61,100,840 parameters for 1000 classes).

    Layer names match torchvision's, so its state_dict loads unchanged.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5,
                 lrn: bool = False) -> None:
        super().__init__()
        norm = (lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)) if lrn else None
        layers: list[nn.Module] = [nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2),
                                   nn.ReLU(inplace=True)]
        layers += [norm()] if norm else []
        layers += [nn.MaxPool2d(kernel_size=3, stride=2),
                   nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True)]
        layers += [norm()] if norm else []
        layers += [nn.MaxPool2d(kernel_size=3, stride=2),
                   nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                   nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                   nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
                   nn.MaxPool2d(kernel_size=3, stride=2)]
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = classifier(num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


@register("alexnet", paper="A. Krizhevsky, I. Sutskever, G. Hinton. ImageNet classification "
          "with deep convolutional neural networks. NeurIPS 2012", input_shape=(3, 224, 224),
          num_classes=1000, family="AlexNet")
def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5,
            lrn: bool = False) -> AlexNet:
    """torchvision's AlexNet; ``lrn=True`` adds the paper's local response normalisation."""
    return AlexNet(num_classes, in_channels, dropout, lrn)


class ZFNet(nn.Module):
    """ZFNet (Zeiler and Fergus 2013, Fig. 3): AlexNet with a 7x7 stride-2 first layer and a
    stride-2 second layer, which their visualisations showed kept more mid-frequency detail.

    224 -> conv 7x7/2 -> 110 -> pool 3/2 -> 55 -> conv 5x5/2 -> 26 -> pool 3/2 -> 13 ->
    three 3x3 convolutions -> pool 3/2 -> 6x6x256 -> 4096 -> 4096 -> classes.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> None:
        super().__init__()

        def lrn() -> nn.Module:
            return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=7, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), lrn(),
            nn.Conv2d(96, 256, kernel_size=5, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), lrn(),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = classifier(num_classes, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


@register("zfnet", paper="M. Zeiler, R. Fergus. Visualizing and understanding convolutional "
          "networks. ECCV 2014 (arXiv 1311.2901, 2013)", input_shape=(3, 224, 224),
          num_classes=1000, family="ZFNet")
def zfnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> ZFNet:
    return ZFNet(num_classes, in_channels, dropout)
