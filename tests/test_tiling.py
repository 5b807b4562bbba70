"""Tiled inference gives exactly the untiled result, whatever the tile size."""

from __future__ import annotations

import numpy as np
import pytest

import convnet as cn
import convnet.nn as nn
from convnet.tiling import _bands, output_geometry, tiled_forward


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=2, dilation=2)

    def forward(self, x: cn.Tensor) -> cn.Tensor:
        return (self.b(self.a(x).relu()) + x).relu()


NETS = {
    "pool-conv": lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(8, 8, 3, padding=1), nn.MaxPool2d(2, ceil_mode=True),
                                       nn.Conv2d(8, 4, 1)),
    "strided-dilated": lambda: nn.Sequential(nn.Conv2d(3, 6, 5, stride=2, padding=1), nn.ELU(),
                                             nn.Conv2d(6, 6, 3, dilation=3), nn.AvgPool2d(3, 2, 1),
                                             nn.Conv2d(6, 2, (1, 3), padding=(0, 2))),
    "residual": lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), Residual(), nn.MaxPool2d(2), Residual()),
    "batchnorm": lambda: nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5), nn.ReLU(), nn.Conv2d(5, 3, 3, 2)),
}


@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("tile", [1, 5, 16])
@pytest.mark.parametrize("backend", cn.kernels.available_backends())
def test_tiles_equal_the_whole_image(name: str, tile: int, backend: str) -> None:
    """Exactly on the native kernels (every output is the same sequence of operations
    wherever it lies); on the reference kernels within float32 rounding, because NumPy
    hands the products to BLAS, which rounds a column differently depending on how many
    columns the matrix has."""
    cn.manual_seed(0)
    net = NETS[name]().eval()
    image = np.random.default_rng(1).standard_normal((2, 3, 61, 83)).astype(np.float32)
    previous = cn.get_backend()
    cn.set_backend(backend)
    try:
        with cn.no_grad():
            whole = net(cn.tensor(image)).numpy()
        tiled = tiled_forward(net, image, tile=tile)
    finally:
        cn.set_backend(previous)
    assert tiled.shape == whole.shape
    if backend == "native":
        np.testing.assert_array_equal(tiled, whole)
    else:
        np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-5)


def test_tiles_are_small() -> None:
    """Each tile's input is about tile * stride plus the receptive field, not the whole image."""
    net = NETS["pool-conv"]()
    gh, _ = output_geometry(net, 3)
    bands = _bands(1000, gh, 16)
    assert len(bands) == -(-250 // 16)
    assert max(b - a for a, b, _, _ in bands) <= 16 * int(gh.j) + int(gh.field)


def test_models_that_reduce_the_grid_are_refused() -> None:
    with pytest.raises(ValueError, match="fully convolutional"):
        tiled_forward(cn.models.create("lenet5"), np.zeros((1, 1, 64, 64), np.float32))
