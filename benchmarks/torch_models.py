"""The benchmark's models written in PyTorch, layer for layer the same as convnet's zoo."""

from __future__ import annotations

import torch
import torch.nn as tnn
import torch.nn.functional as TF


def lenet5() -> tnn.Module:
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))


class MnistNet(tnn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = tnn.Conv2d(1, 32, 3, 1), tnn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = tnn.Dropout(0.25), tnn.Dropout(0.5)
        self.fc1, self.fc2 = tnn.Linear(9216, 128), tnn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = TF.max_pool2d(TF.relu(self.conv2(TF.relu(self.conv1(x)))), 2)
        x = TF.relu(self.fc1(self.dropout1(x).flatten(1)))
        return self.fc2(self.dropout2(x))


class Block(tnn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        short = x
        if self.stride != 1 or self.extra:
            short = x[:, :, ::self.stride, ::self.stride]
            short = TF.pad(short, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        out = TF.relu(self.bn1(self.conv1(x)))
        return TF.relu(self.bn2(self.conv2(out)) + short)


class ResNet20(tnn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16)
        blocks, c = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                blocks.append(Block(c, planes, stride if i == 0 else 1))
                c = planes
        self.blocks = tnn.Sequential(*blocks)
        self.fc = tnn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(TF.relu(self.bn1(self.conv1(x))))
        return self.fc(TF.adaptive_avg_pool2d(x, 1).flatten(1))


def vgg11() -> tnn.Module:
    layers: list[tnn.Module] = []
    c = 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(c, v, 3, padding=1), tnn.ReLU(inplace=True)]
            c = v
    return tnn.Sequential(*layers, tnn.AdaptiveAvgPool2d((7, 7)), tnn.Flatten(),
                          tnn.Linear(25088, 4096), tnn.ReLU(True), tnn.Dropout(),
                          tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(), tnn.Linear(4096, 1000))


MODELS = {"lenet5": lenet5, "mnist-cnn": MnistNet, "resnet20": ResNet20, "vgg11": vgg11}
