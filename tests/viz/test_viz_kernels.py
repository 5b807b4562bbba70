"""Hand-designed kernels at work: Sobel on a step edge, the four edge detectors on a seven."""

from __future__ import annotations

import numpy as np
import pytest
from viz_helpers import box_pixels, upscaled

from convnet.viz import colors
from convnet.viz.kernels import apply_filters, filter_names, kernel_figure


def synthetic_seven() -> np.ndarray:
    """A white-on-black seven, 28x28: a thick top bar and a slanted stem down from its right end."""
    rows, cols = np.indices((28, 28))
    bar = (rows >= 6) & (rows <= 8) & (cols >= 6) & (cols <= 21)
    centre = 21 - (rows - 9) * 0.6                                  # the stem drifts left as it goes down
    stem = (rows >= 9) & (rows <= 24) & (np.abs(cols - centre) <= 1.5)
    return (bar | stem).astype(np.float32)


def test_sobel_x_on_a_vertical_step_lights_only_the_columns_at_the_edge() -> None:
    image = np.zeros((8, 10), np.float32)
    image[:, 5:] = 1.0                                              # dark left half, bright right half
    out = apply_filters("sobel_x", image)["sobel_x"]                # valid: output column j is centred on j + 1
    assert out.shape == (6, 8)
    assert np.nonzero(np.abs(out).sum(axis=0))[0].tolist() == [3, 4]  # windows centred on columns 4 and 5
    assert np.all(out[:, 3:5] == 4.0)                               # 1 + 2 + 1: brighter to the right


def _centre(response: np.ndarray) -> tuple[float, float]:
    """Centre of mass (row, column) of the positive part of a response."""
    w = np.maximum(response, 0)
    rows, cols = np.indices(w.shape)
    return float((rows * w).sum() / w.sum()), float((cols * w).sum() / w.sum())


def test_the_four_edge_detectors_light_the_four_sides_of_a_seven() -> None:
    seven = synthetic_seven()
    out = apply_filters("edges", seven)
    assert list(out) == ["edge_top", "edge_left", "edge_bottom", "edge_right"]
    top, left, bottom, right = (_centre(out[n]) for n in out)
    assert top[0] < bottom[0] and left[1] < right[1]
    # on the bar (input rows 6-8, away from the stem): top edge at row 6, bottom edge at row 8
    col = 10 - 1                                                    # output column of input column 10
    assert out["edge_top"][6 - 1, col] == 3 and out["edge_top"][8 - 1, col] <= 0
    assert out["edge_bottom"][8 - 1, col] == 3 and out["edge_bottom"][6 - 1, col] <= 0
    # along the bar's row 7: its left end fires edge_left, its right end (where no stem hangs) edge_right
    assert out["edge_left"][7 - 1, 6 - 1] == 3 and out["edge_right"][7 - 1, 6 - 1] <= 0
    assert out["edge_right"][7 - 1, 21 - 1] == 3 and out["edge_left"][7 - 1, 21 - 1] <= 0


def test_kernel_figure_shows_each_output_on_one_shared_scale() -> None:
    seven = synthetic_seven()
    grid = kernel_figure("edges", seven, title="edges")
    outputs = apply_filters("edges", seven)
    assert grid.keys == list(outputs) and len(grid.boxes) == 4
    scale = colors.symmetric(*outputs.values())
    for name, box in zip(grid.keys, grid.boxes, strict=True):
        zoom = (box[2] - box[0]) // outputs[name].shape[1]
        assert np.array_equal(box_pixels(grid.image, box), upscaled(scale(outputs[name]), zoom))
    assert grid.image.width < 1400 and grid.image.height < 700


def test_padding_keeps_the_size_and_names_are_checked() -> None:
    assert apply_filters("sobel_y,laplacian", np.zeros((5, 6), np.float32), padding=1)["laplacian"].shape == (5, 6)
    with pytest.raises(ValueError, match="unknown filter 'edgy'; available: edges"):
        filter_names("edgy")
    assert kernel_figure("gaussian_blur", np.eye(12, dtype=np.float32)).keys == ["gaussian_blur"]
