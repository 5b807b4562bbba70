"""Summaries: the JSON shape, and receptive fields that are right for branching networks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convnet as cn
import convnet.nn as nn


class TwoPaths(nn.Module):
    """A deep path (two 3x3 convs) and a shallow one (1x1) joined by addition or concatenation."""

    def __init__(self, join: str) -> None:
        super().__init__()
        self.deep = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1))
        self.shallow = nn.Conv2d(1, 2, 1)
        self.join = join

    def forward(self, x: cn.Tensor) -> cn.Tensor:
        a, b = self.deep(x), self.shallow(x)
        return a + b if self.join == "add" else cn.cat([a, b], dim=1)


@pytest.mark.parametrize("join", ["add", "cat"])
def test_receptive_field_is_the_maximum_over_paths(join: str) -> None:
    s = cn.summary(TwoPaths(join), (1, 12, 12))
    assert s.layer("shallow").receptive_field == 1
    assert s.layer("deep").receptive_field == 5
    assert s.receptive_field == 5 and s.effective_padding == 2


def test_residual_network_fields() -> None:
    s = cn.summary("resnet20", (3, 32, 32))
    block = s.layer("layer1.0")                     # stem 3x3, then two 3x3 convs
    assert block.receptive_field == 7 and block.effective_stride == 1
    assert s.layer("layer2.0").effective_stride == 2 and s.layer("layer3.2").effective_stride == 4


def test_rectangular_fields_are_pairs() -> None:
    model = nn.Sequential(nn.Conv2d(1, 1, (3, 5)), nn.MaxPool2d((1, 2)))
    row = cn.summary(model, (1, 10, 20)).layer("1")
    assert row.receptive_field == [3, 6] and row.effective_stride == [1, 2] and row.output_shape == (1, 8, 8)


def test_field_equals_the_support_of_the_input_gradient() -> None:
    """Checked empirically: d output[cell] / d input is non-zero exactly inside the field."""
    cn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(2, 1, 3, dilation=2),
                          nn.Conv2d(1, 1, (1, 3), stride=(1, 2)))
    row = cn.summary(model, (1, 24, 24)).layer("3")
    rf, stride, pad = [np.broadcast_to(v, 2) for v in (row.receptive_field, row.effective_stride,
                                                       row.effective_padding)]
    x = cn.zeros(1, 1, 24, 24, requires_grad=True)
    out = model(x)
    y, xx = 1, 1
    out[0, 0, y, xx].backward()
    rows, cols = np.nonzero(x.grad.numpy()[0, 0])
    top, left = y * stride[0] - pad[0], xx * stride[1] - pad[1]
    assert (rows.min(), rows.max()) == (max(top, 0), min(top + rf[0] - 1, 23))
    assert (cols.min(), cols.max()) == (max(left, 0), min(left + rf[1] - 1, 23))


def test_json_has_the_promised_fields() -> None:
    s = json.loads(cn.summary("lenet5-classic", (1, 32, 32)).to_json())
    assert set(s) >= {"model", "input_shape", "layers", "total_params", "trainable_params", "total_macs",
                      "receptive_field", "effective_stride", "effective_padding"}
    assert set(s["layers"][0]) >= {"name", "type", "output_shape", "params", "trainable_params", "macs",
                                   "receptive_field", "effective_stride", "effective_padding"}
    c3 = next(r for r in s["layers"] if r["name"] == "c3")
    assert (c3["params"], c3["trainable_params"], c3["fixed_params"]) == (2416, 1516, 900)
    assert s["total_params"] == 61806 and s["trainable_params"] == 60000
    assert c3["macs"] == 16 * 10 * 10 * 6 * 25            # counted over every weight, fixed ones too


def test_repeated_module_calls_get_numbered_rows_and_text_renders() -> None:
    s = cn.summary("resnet18", (3, 64, 64))
    names = [r.name for r in s.layers]
    assert "layer1.0.relu" in names and "layer1.0.relu (2)" in names
    text = str(s)
    assert "Total parameters: 11,689,512" in text and "layer4.1.bn2" in text
    assert s.to_markdown().startswith("| layer | type | output |")
    assert s.to_csv().splitlines()[0].startswith("name,type,depth,output_shape")
