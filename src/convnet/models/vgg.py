"""VGG (Simonyan and Zisserman 2014): stacks of 3x3 convolutions, in torchvision's layout."""

from __future__ import annotations

from typing import Any

from .. import nn
from .._tensor import Tensor
from .registry import register

PAPER = ("K. Simonyan, A. Zisserman. Very deep convolutional networks for large-scale image "
         "recognition. ICLR 2015 (arXiv 1409.1556)")

# Output channels of each 3x3 convolution; "M" is a 2x2 max pooling.
CONFIGS: dict[str, list[Any]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


def make_features(config: list[Any], in_channels: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    c = in_channels
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        c = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG with torchvision's layer names (features, avgpool, classifier)."""

    def __init__(self, config: list[Any], num_classes: int = 1000, in_channels: int = 3,
                 batch_norm: bool = False, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = make_features(config, in_channels, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.modules():   # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _register(name: str, batch_norm: bool) -> None:
    config = CONFIGS[name]
    full = name + ("_bn" if batch_norm else "")

    @register(full, paper=PAPER, input_shape=(3, 224, 224), num_classes=1000, family="VGG")
    def build(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> VGG:
        return VGG(config, num_classes, in_channels, batch_norm, dropout)

    build.__name__ = build.__qualname__ = full
    build.__doc__ = f"{full}: {sum(v != 'M' for v in config)} conv layers + 3 fully connected" + (
        ", with batch normalisation" if batch_norm else "")
    globals()[full] = build


for _name in CONFIGS:
    _register(_name, False)
    _register(_name, True)
