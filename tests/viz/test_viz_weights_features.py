"""Learned kernels as tiles, and feature maps captured with forward hooks."""

from __future__ import annotations

import numpy as np
import pytest
from viz_helpers import box_pixels, upscaled

import convnet as cn
import convnet.nn as nn
from convnet.viz import colors
from convnet.viz.features import feature_grid, feature_maps, most_active
from convnet.viz.probe import get_layer
from convnet.viz.weights import filter_grid, kernel_grid


@pytest.fixture
def lenet() -> nn.Module:
    cn.manual_seed(0)
    return cn.models.create("lenet5", input_size=28).eval()


def test_filter_grid_has_one_tile_per_kernel_on_a_shared_scale(lenet: nn.Module) -> None:
    grid, name = filter_grid(lenet, "features.3")
    w = lenet.features[3].weight.numpy()                                   # (16, 6, 5, 5)
    assert name == "features.3" and len(grid.boxes) == 16 * 6
    assert grid.keys == [(o, i) for o in range(16) for i in range(6)]
    sizes = {(b[2] - b[0], b[3] - b[1]) for b in grid.boxes}
    assert len(sizes) == 1
    zoom = sizes.pop()[0] // 5
    scale = colors.symmetric(w)
    assert scale.lo == -scale.hi == -float(np.abs(w).max())
    for (o, i), box in zip(grid.keys, grid.boxes, strict=True):
        assert np.array_equal(box_pixels(grid.image, box), upscaled(scale(w[o, i]), zoom))
    # one row per output channel, one column per input channel
    lefts = sorted({b[0] for b in grid.boxes})
    tops = sorted({b[1] for b in grid.boxes})
    assert len(lefts) == 6 and len(tops) == 16
    default, first = filter_grid(lenet)
    assert first == "features.0" and len(default.boxes) == 6


def test_colour_first_layers_get_one_rgb_tile_per_kernel() -> None:
    w = np.zeros((4, 3, 3, 3), np.float32)
    w[2, 0] = 1.0                                                          # kernel 2: all red
    w[3, 2] = -1.0                                                         # kernel 3: negative blue
    grid = kernel_grid(w)
    assert len(grid.boxes) == 4 and grid.keys == [0, 1, 2, 3]
    red, neg_blue, zero = (box_pixels(grid.image, grid.boxes[k])[0, 0].tolist() for k in (2, 3, 0))
    assert red == [255, 128, 128] and neg_blue == [128, 128, 0] and zero == [128, 128, 128]


def test_non_convolution_layers_and_unknown_names_are_explained(lenet: nn.Module) -> None:
    with pytest.raises(ValueError, match="features.1 \\(ReLU\\) has no convolution kernels; the convolution "
                                         "layers are: features.0, features.3"):
        filter_grid(lenet, "features.1")
    with pytest.raises(ValueError) as err:
        get_layer(lenet, "conv1")
    assert "no layer named 'conv1' in LeNet5" in str(err.value)
    assert "features.0 (Conv2d), features.1 (ReLU)" in str(err.value) and "classifier.5 (Linear)" in str(err.value)


def test_feature_maps_are_the_layer_outputs(lenet: nn.Module) -> None:
    x = cn.randn(1, 1, 28, 28)
    maps = feature_maps(lenet, x.numpy()[0], ["features.1", "features.3"])
    f = lenet.features
    with cn.no_grad():
        relu1 = f[1](f[0](x))
        conv2 = f[3](f[2](relu1))
    np.testing.assert_array_equal(maps["features.1"], relu1.numpy()[0])
    np.testing.assert_array_equal(maps["features.3"], conv2.numpy()[0])
    assert list(feature_maps(lenet, x.numpy()[0], "all")) == [f"features.{k}" for k in range(6)]
    assert list(feature_maps(lenet, x.numpy()[0])) == ["features.0", "features.3"]     # default: the convolutions


def test_feature_grid_tiles_show_the_maps(lenet: nn.Module) -> None:
    x = cn.randn(1, 28, 28).numpy()
    maps = feature_maps(lenet, x, ["features.0", "features.4"])
    grid = feature_grid(lenet, maps, image=np.zeros((1, 28, 28), np.uint8))
    assert grid.keys == [("features.0", c) for c in range(6)] + [("features.4", c) for c in range(16)]
    for (layer, c), box in zip(grid.keys, grid.boxes, strict=True):
        scale = colors.auto(maps[layer])
        assert scale.cmap == ("diverging" if layer == "features.0" else "sequential")   # after ReLU: no negatives
        zoom = (box[2] - box[0]) // maps[layer].shape[2]
        assert np.array_equal(box_pixels(grid.image, box), upscaled(scale(maps[layer][c]), zoom))
    top = feature_grid(lenet, {"features.4": maps["features.4"]}, top=3)
    strength = np.maximum(maps["features.4"], 0).mean(axis=(1, 2))
    assert [c for _, c in top.keys] == most_active(maps["features.4"], 3) == list(np.argsort(-strength)[:3])


def test_a_channel_count_that_does_not_fit_is_named(lenet: nn.Module) -> None:
    with pytest.raises(ValueError, match="has 3 channel\\(s\\) but the model's first convolution \\(features.0\\) "
                                         "takes 1"):
        feature_maps(lenet, np.zeros((3, 28, 28), np.float32))
    with pytest.raises(ValueError, match="one image \\(channels, height, width\\)"):
        feature_maps(lenet, np.zeros((28, 28), np.float32))
