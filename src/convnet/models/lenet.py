"""LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998), in its common modern form and as published."""

from __future__ import annotations

import numpy as np

from .. import arith, nn
from .._tensor import Tensor
from ..nn import constraints
from .registry import register

PAPER = ("Y. LeCun, L. Bottou, Y. Bengio, P. Haffner. Gradient-based learning applied to "
         "document recognition. Proc. IEEE 86(11), 1998")

# Table I of the paper: the S2 maps (columns 0-5) that each C3 map (rows 0-15) combines.
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5),
)


class LeNet5(nn.Module):
    """The LeNet-5 most people mean today: two 5x5 convolutions with ReLU and max pooling,
    then three fully connected layers (6, 16 filters; 120, 84, classes units).

    Built for 32x32 inputs as published (61,706 parameters for 10 classes); with
    ``input_size=28`` (MNIST) the first convolution pads by 2, which gives the same shapes
    and the same parameter count.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 32) -> None:
        super().__init__()
        pad = 2 if input_size == 28 else 0
        side = input_size
        for k, p, s in ((5, pad, 1), (2, 0, 2), (5, 0, 1), (2, 0, 2)):
            side = arith.conv_output_size(side, k, s, p, op="lenet5")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * side * side, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


@register("lenet5", paper=PAPER, input_shape=(1, 32, 32), num_classes=10, family="LeNet")
def lenet5(num_classes: int = 10, in_channels: int = 1, input_size: int = 32) -> LeNet5:
    return LeNet5(num_classes, in_channels, input_size)


class ScaledTanh(nn.Module):
    """The paper's squashing function f(a) = A tanh(S a), A = 1.7159, S = 2/3."""

    def __init__(self, amplitude: float = 1.7159, slope: float = 2 / 3) -> None:
        super().__init__()
        self.amplitude, self.slope = amplitude, slope

    def forward(self, x: Tensor) -> Tensor:
        return (x * self.slope).tanh() * self.amplitude

    def extra_repr(self) -> str:
        return f"amplitude={self.amplitude}, slope={self.slope:.4f}"


def subsampling(maps: int) -> nn.Conv2d:
    """S2/S4: each map's 2x2 sum times one trainable coefficient, plus a trainable bias.

    A depthwise 2x2 convolution whose four taps are tied into one value per map.
    """
    conv = nn.Conv2d(maps, maps, kernel_size=2, stride=2, groups=maps)
    constraints.tie(conv.weight, np.broadcast_to(np.arange(maps)[:, None, None, None],
                                                 conv.weight.shape).copy())
    return conv


def digit_codes(width: int = 7, height: int = 12) -> np.ndarray:
    """(10, width*height) codes of +-1: each digit drawn in a width x height bitmap.

    The paper's RBF units compare F6's 84 outputs with stylised 7x12 images of the
    characters; these are drawn here with Pillow's built-in font.
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=4 * height)
    codes = []
    for d in range(10):
        canvas = Image.new("L", (4 * width, 4 * height), 0)
        draw = ImageDraw.Draw(canvas)
        box = draw.textbbox((0, 0), str(d), font=font)
        pos = ((4 * width - (box[2] - box[0])) // 2 - box[0], (4 * height - (box[3] - box[1])) // 2 - box[1])
        draw.text(pos, str(d), fill=255, font=font)
        small = np.asarray(canvas.resize((width, height), Image.Resampling.BOX), np.float32)
        codes.append(np.where(small > 64, 1.0, -1.0).reshape(-1))
    return np.stack(codes).astype(np.float32)


class RBFOutput(nn.Module):
    """Euclidean RBF units: y_i = sum_j (x_j - w_ij)^2 against fixed +-1 codes.

    Returns -y as logits, so the nearest code scores highest. The codes are a frozen
    parameter: listed by the summary, never trained.
    """

    def __init__(self, in_features: int = 84, num_classes: int = 10) -> None:
        super().__init__()
        codes = digit_codes()
        if codes.shape[1] != in_features or num_classes > 10:
            rng = np.random.default_rng(0)  # other sizes: random +-1 codes, still fixed
            codes = np.where(rng.random((num_classes, in_features)) < 0.5, -1.0, 1.0)
        self.codes = nn.Parameter(np.asarray(codes[:num_classes], dtype=np.float32))
        constraints.freeze(self.codes)

    def forward(self, x: Tensor) -> Tensor:
        diff = x.unsqueeze(1) - self.codes.unsqueeze(0)            # (N, classes, features)
        return -(diff * diff).sum(dim=2)


class LeNet5Classic(nn.Module):
    """LeNet-5 as published in 1998: scaled-tanh units, trainable subsampling, the partially
    connected C3 of Table I, and RBF output units with fixed codes. Exactly 60,000 trainable
    parameters (C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164) for 32x32 input.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.s2 = subsampling(6)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)
        constraints.fix(self.c3.weight, constraints.connection_mask(self.c3.weight.shape,
                                                                    C3_CONNECTIONS), 0.0)
        self.s4 = subsampling(16)
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)
        self.f6 = nn.Linear(120, 84)
        self.output = RBFOutput(84, num_classes)
        self.squash = ScaledTanh()

    def forward(self, x: Tensor) -> Tensor:
        f = self.squash
        h = f(self.s4(f(self.c3(f(self.s2(f(self.c1(x))))))))
        h = f(self.c5(h)).flatten(1)                              # (N, 120)
        return self.output(f(self.f6(h)))


@register("lenet5-classic", paper=PAPER, input_shape=(1, 32, 32), num_classes=10, family="LeNet")
def lenet5_classic(num_classes: int = 10, in_channels: int = 1) -> LeNet5Classic:
    return LeNet5Classic(num_classes, in_channels)
