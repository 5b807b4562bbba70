"""convnet summary / arith / models."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from convnet import models
from convnet.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_summary_json_markdown_csv_and_text() -> None:
    code, out = run("summary", "resnet50", "--input", "3x224x224", "--json")
    s = json.loads(out)
    assert code == 0 and s["total_params"] == 25_557_032 and s["input_shape"] == [3, 224, 224]
    assert round(s["total_macs"] / 1e9, 3) == 4.089
    layer4 = next(r for r in s["layers"] if r["name"] == "layer4")
    assert layer4["effective_stride"] == 32 and layer4["receptive_field"] == 427
    code, out = run("summary", "lenet5", "--markdown")
    assert code == 0 and out.startswith("| layer |") and "`features.0`" in out
    code, out = run("summary", "lenet5", "--csv")
    assert code == 0 and len(out.strip().splitlines()) == 1 + 14
    code, out = run("summary", "lenet5")
    assert code == 0 and "Total parameters: 61,706" in out and "1x32x32" in out


def test_summary_errors() -> None:
    code, out = run("summary", "alexnet", "--input", "3x32x32")
    assert code == 2 and "features.12 (MaxPool2d)" in out and "kernel 3 does not fit input 1" in out
    code, out = run("summary", "alexnett")
    assert code == 2 and "unknown model 'alexnett' (did you mean alexnet?)" in out
    code, out = run("summary", "lenet5", "--input", "32x32")
    assert code == 2 and "(channels, height, width)" in out


def test_arith_formula_same_padding_and_uncovered_pixels() -> None:
    code, out = run("arith", "--input", "28", "--kernel", "5", "--padding", "2", "--stride", "1")
    assert code == 0 and "floor((28 + 2*2 - 5) / 1) + 1 = 28" in out and "2 on each side" in out
    code, out = run("arith", "--input", "5", "--kernel", "3", "--padding", "1", "--stride", "2")
    assert "floor((5 + 2*1 - 3) / 2) + 1 = 3" in out and "warning" not in out
    code, out = run("arith", "--input", "28", "--kernel", "5", "--stride", "2")
    assert "= 12" in out and "1 before, 2 after" in out and "last 1 pixel(s)" in out


def test_arith_stack_reproduces_the_seeds_3_5_7() -> None:
    code, out = run("arith", "--input", "7", "--layers", "conv3,conv3,conv3")
    rows = [line.split() for line in out.splitlines()[2:]]
    assert code == 0 and [(r[5], r[6]) for r in rows] == [("5", "3"), ("3", "5"), ("1", "7")]
    code, out = run("arith", "--input", "32", "--layers", "conv5/1,pool2/2,conv5/1,pool2/2,conv5")
    last = out.splitlines()[-1].split()
    assert last[5:] == ["1", "32", "4"]                  # LeNet's C5: 1x1, sees all 32 pixels
    code, out = run("arith", "--input", "9", "--layers", "conv3/2")
    assert code == 0 and "uncovered" not in out          # 9 = 2 * 3 + 3: every pixel is reached
    code, out = run("arith", "--input", "10", "--layers", "conv3/2")
    assert "leaves the last 1 pixel(s)" in out
    code, out = run("arith", "--input", "4", "--layers", "conv3,conv3")
    assert code == 2 and "layer 2 (conv3): kernel 3 does not fit input 2" in out
    code, out = run("arith", "--input", "7", "--layers", "convolution3")
    assert code == 2 and "cannot read layer 'convolution3'" in out


def test_models_lists_the_zoo() -> None:
    code, out = run("models", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and list(rows) == models.list()
    assert rows["vgg16_bn"]["params"] == 138_365_992 and round(rows["googlenet"]["macs"] / 1e9, 3) == 1.498
    assert rows["lenet5-classic"]["trainable_params"] == 60_000 and "LeCun" in rows["lenet5"]["paper"]


def test_models_table_aligns_its_numbers() -> None:
    """Every row's parameter count ends in the same column, lenet5-classic (not all trainable) included."""
    code, out = run("models")
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert code == 0 and set(lines) == set(models.list())
    ends = {}
    for name in ("lenet5", "lenet5-classic", "alexnet"):
        count = f"{run_params(name):,}"
        ends[name] = lines[name].index(count) + len(count)
    assert len(set(ends.values())) == 1, ends
    assert lines["lenet5-classic"].split()[2] == "60,000" and lines["lenet5"].split()[2] == "all"


def run_params(name: str) -> int:
    from convnet.inspect import summary

    return summary(name, models.info(name).input_shape).total_params


def test_summary_refuses_an_input_too_large_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import convnet.inspect as inspect_pkg

    real = inspect_pkg.summary
    seen: list[tuple[int, ...]] = []

    def spy(net: object, shape: tuple[int, ...], **kw: object) -> object:
        seen.append(tuple(shape))
        assert shape[1] * shape[2] <= 256 * 256, f"ran the huge input {shape}"
        return real(net, shape, **kw)

    monkeypatch.setattr(inspect_pkg, "summary", spy)
    code, out = run("summary", "resnet18", "--input", "3x100000x100000")
    assert code == 2 and "Traceback" not in out
    assert out.startswith("Error: --input 3x100000x100000: one forward pass of resnet18 would hold about ")
    assert "GiB of activations (estimated from a 3x255x255 input); the limit is 4 GiB: use a smaller --input" in out
    assert seen == [(3, 255, 255)]
    code, out = run("summary", "lenet5", "--input", "1x100000x100000")       # cannot run small: judged by its input
    assert code == 2 and "about 37.3 GiB of activations (the input alone)" in out
    monkeypatch.setattr(inspect_pkg, "summary", real)
    code, out = run("summary", "resnet18", "--input", "3x512x512")
    assert code == 0 and "Activations: 149.01 MB per image" in out
