"""A two-layer CNN built only from convnet.nn.functional memorises 64 random images."""

from __future__ import annotations

import numpy as np

import convnet as cn
import convnet.nn.functional as F


def test_two_layer_cnn_fits_64_random_images() -> None:
    cn.manual_seed(0)
    rng = np.random.default_rng(0)
    images = cn.tensor(rng.standard_normal((64, 1, 12, 12)).astype(np.float32))
    labels = cn.tensor(rng.integers(0, 10, 64))

    def param(*shape: int, fan_in: int) -> cn.Tensor:
        return cn.tensor((rng.uniform(-1, 1, shape) / np.sqrt(fan_in)).astype(np.float32),
                         requires_grad=True)

    w1, b1 = param(8, 1, 3, 3, fan_in=9), param(8, fan_in=9)
    w2, b2 = param(16, 8, 3, 3, fan_in=72), param(16, fan_in=72)
    w3, b3 = param(10, 16 * 4 * 4, fan_in=256), param(10, fan_in=256)
    params = [w1, b1, w2, b2, w3, b3]
    velocity = [np.zeros_like(p.numpy()) for p in params]

    def forward(x: cn.Tensor) -> cn.Tensor:
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)    # (64, 8, 6, 6)
        h = F.relu(F.conv2d(h, w2, b2))                                 # (64, 16, 4, 4)
        return F.linear(h.flatten(1), w3, b3)

    losses = []
    for _ in range(150):
        loss = F.cross_entropy(forward(images), labels)
        for p in params:
            p.grad = None
        loss.backward()
        losses.append(loss.item())
        with cn.no_grad():
            for p, v in zip(params, velocity, strict=True):
                v *= 0.9
                v += p.grad.numpy()
                p.sub_(0.05 * v)
    with cn.no_grad():
        accuracy = (forward(images).argmax(1) == labels).numpy().mean()
    assert accuracy == 1.0, f"training accuracy {accuracy}, losses {losses[::15]}"
    assert losses[-1] < 0.05 < losses[0]
