"""Receptive fields drawn from the summary's arithmetic, checked against the input gradient."""

from __future__ import annotations

import numpy as np
import pytest
from viz_helpers import box_pixels

import convnet as cn
import convnet.nn as nn
from convnet.viz.probe import input_gradient
from convnet.viz.receptive import REGION, receptive_field_figure, receptive_region


def no_ties_model() -> nn.Module:
    """Convolutions, average pooling, dilation and a strided 1x3 kernel, no ReLU or max: every
    input pixel in the field moves the output, so the gradient's support is the whole field."""
    cn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(2, 3, 3, dilation=2),
                         nn.Conv2d(3, 2, (1, 3), stride=(1, 2), padding=(0, 1)))


def one_hot(shape: tuple[int, ...], channel: int, y: int, x: int) -> np.ndarray:
    w = np.zeros(shape, np.float32)
    w[0, channel, y, x] = 1.0
    return w


@pytest.mark.parametrize("layer", ["0", "2", "3"])
def test_the_region_is_the_support_of_the_input_gradient(layer: str) -> None:
    model = no_ties_model()
    x = np.random.default_rng(0).normal(size=(1, 1, 26, 26)).astype(np.float32)
    out, _ = input_gradient(model, layer, x, lambda s: np.zeros(s))
    oh, ow = out.shape[2:]
    for y, xx in [(0, 0), (oh // 2, ow // 2), (oh - 1, ow - 1), (1, ow - 2)]:
        region = receptive_region(model, layer, (y, xx), (1, 26, 26))
        _, grad = input_gradient(model, layer, x, one_hot(out.shape, 1, y, xx))
        support = grad[0, 0] != 0
        assert np.array_equal(support, region.mask()), (layer, y, xx)
    assert region.position == (1, ow - 2)


def test_lenet_regions_reach_into_the_padding_and_are_drawn_there() -> None:
    model = cn.models.create("lenet5", input_size=28)
    region = receptive_region(model, "features.3", (0, 0), (1, 28, 28))
    assert region.receptive_field == (14, 14) and region.stride == (2, 2) and region.padding == (2, 2)
    assert (region.top, region.left, region.bottom, region.right) == (-2, -2, 11, 11)
    assert region.clipped == (0, 0, 11, 11) and region.mask().sum() == 12 * 12
    assert "reaches into the padding" in region.describe()
    assert receptive_region(model, "features.3", None, (1, 28, 28)).position == (5, 5)   # the centre by default
    image = np.full((1, 28, 28), 200, np.uint8)
    grid = receptive_field_figure(region, image)
    panel = box_pixels(grid.image, grid.boxes[0])                 # the input with 2 cells of padding round it
    zoom = panel.shape[0] // 32
    assert panel.shape[:2] == (32 * zoom, 32 * zoom)
    assert panel[1, 1].tolist() == list(REGION)                  # the box's corner, in the padding
    assert panel[14 * zoom - 2, 14 * zoom - 2].tolist() == list(REGION)     # its far corner: input pixel 11
    assert panel[20 * zoom, 20 * zoom].tolist() == [200, 200, 200]          # outside the field: the image


def test_positions_layers_and_channels_are_checked() -> None:
    model = cn.models.create("lenet5", input_size=28)
    with pytest.raises(ValueError, match="position \\(10, 0\\) is outside layer features.3's 10x10 output"):
        receptive_region(model, "features.3", (10, 0), (1, 28, 28))
    with pytest.raises(ValueError, match="classifier.1 \\(Linear\\) outputs 120, not a grid"):
        receptive_region(model, "classifier.1", None, (1, 28, 28))
    with pytest.raises(ValueError, match="the input has 3 channel\\(s\\)"):
        receptive_region(model, "features.3", None, (3, 28, 28))
    with pytest.raises(ValueError, match="no layer named 'conv2'"):
        receptive_region(model, "conv2", None, (1, 28, 28))
