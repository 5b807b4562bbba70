"""Animations: one step per output cell, and the numbers drawn are convnet.nn.functional's (and PyTorch's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from PIL import Image

import convnet as cn
import convnet.nn.functional as F
from convnet.viz.animation import INPUT, PADDING, animate

CASES = [  # input, kernel, padding, stride, dilation, mode
    (5, 3, 1, 2, 1, "conv"),
    (7, 3, 2, 1, 2, "conv"),
    (4, 3, 0, 1, 1, "conv"),
    (6, 2, 0, 2, 1, "maxpool"),
    (5, 3, 1, 2, 1, "maxpool"),
    (5, 3, 1, 2, 1, "avgpool"),
    (3, 3, 0, 2, 1, "transposed"),
    (4, 3, 1, 2, 1, "transposed"),
    (3, 2, 1, 1, 2, "transposed"),
]


def torch_result(a: object, case: tuple) -> np.ndarray:
    n, k, p, s, d, mode = case
    x = torch.tensor(a.input)[None, None]
    w = None if a.kernel is None else torch.tensor(a.kernel)[None, None]
    if mode == "conv":
        out = TF.conv2d(x, w, stride=s, padding=p, dilation=d)
    elif mode == "maxpool":
        out = TF.max_pool2d(x, k, s, p, d)
    elif mode == "avgpool":
        out = TF.avg_pool2d(x, k, s, p)
    else:
        out = TF.conv_transpose2d(x, w, stride=s, padding=p, dilation=d)
    return out.numpy()[0, 0]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_one_step_per_output_cell_and_the_numbers_are_the_computed_ones(case: tuple) -> None:
    n, k, p, s, d, mode = case
    a = animate(n, k, p, s, d, mode, values=True)
    oh, ow = a.output.shape
    assert len(a.steps) == oh * ow == len(a.frames) == len(a.durations)
    assert [st.position for st in a.steps] == [(i, j) for i in range(oh) for j in range(ow)]
    np.testing.assert_allclose(a.steps[-1].shown, torch_result(a, case), rtol=1e-6)
    for idx, st in enumerate(a.steps):
        assert np.count_nonzero(~np.isnan(st.shown)) == idx + 1      # the output fills in one cell per frame
        if mode in ("conv", "transposed"):
            assert st.products is not None and float(st.products.sum()) == pytest.approx(st.value)
        elif mode == "maxpool":
            assert float(st.window.max()) == st.value
        else:
            assert float(st.window.sum()) / k**2 == pytest.approx(st.value)
    assert len({f.size for f in a.frames}) == 1


def test_the_last_frame_of_a_convolution_equals_conv2d() -> None:
    a = animate(input_size=5, kernel_size=3, padding=1, stride=2, mode="conv", values=True)
    direct = F.conv2d(cn.tensor(a.input[None, None]), cn.tensor(a.kernel[None, None]), stride=2, padding=1)
    assert np.array_equal(a.steps[-1].shown, direct.numpy()[0, 0])
    assert a.output.shape == (3, 3)
    # the kernel's taps in step (1, 1) start at padded row/column 2 (stride 2) and the padding ring is marked
    assert a.steps[4].rows.tolist() == [2, 3, 4] and a.steps[4].cols.tolist() == [2, 3, 4]
    assert (a.kinds[0] == PADDING).all() and (a.kinds[1:6, 1:6] == INPUT).all()


def test_transposed_convolution_is_drawn_over_the_spread_out_input() -> None:
    a = animate(input_size=3, kernel_size=3, padding=0, stride=2, mode="transposed")
    assert a.plane.shape == (9, 9)                                 # (3 - 1) * 2 + 1 = 5, padded by 2 each side
    assert np.array_equal(a.plane[2:7:2, 2:7:2], a.input) and (a.kinds[2:7:2, 2:7:2] == INPUT).all()
    with pytest.raises(ValueError, match="padding <= dilation \\* \\(kernel - 1\\) = 2"):
        animate(3, 3, 3, 2, mode="transposed")


def test_gif_and_frames_are_written(tmp_path: Path) -> None:
    a = animate(4, 2, 0, 2, mode="maxpool", values=True)
    gif = a.save(tmp_path / "pool.gif")
    with Image.open(gif) as im:
        assert im.n_frames == len(a.steps) == 4
    frames = a.save_frames(tmp_path / "frames")
    assert [p.name for p in frames] == ["frame-000.png", "frame-001.png", "frame-002.png", "frame-003.png"]


def test_bad_settings_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="input size must be a whole number 1 to 16, got 40"):
        animate(input_size=40)
    with pytest.raises(ValueError, match="mode must be one of conv, maxpool, avgpool, transposed"):
        animate(mode="pool")
    with pytest.raises(ValueError, match="average pooling has no dilation"):
        animate(mode="avgpool", dilation=2)
    with pytest.raises(ValueError, match="kernel 7 does not fit input 5"):
        animate(input_size=5, kernel_size=7)
