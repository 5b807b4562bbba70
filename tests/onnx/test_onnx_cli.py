"""`convnet export` and `convnet predict model.onnx` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from convnet.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def digits(tmp_path: Path) -> list[Path]:
    """A few drawn digit-like images: white strokes on black."""
    paths = []
    for i, box in enumerate([(20, 10, 40, 54), (12, 16, 52, 48), (28, 8, 34, 56)]):
        img = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(img).ellipse(box, outline=255, width=6)
        paths.append(tmp_path / f"digit{i}.png")
        img.save(paths[-1])
    return paths


def test_export_a_checkpoint_and_predict_with_the_onnx_file(trained_lenet: Path, tmp_path: Path,
                                                            digits: list[Path]) -> None:
    target = tmp_path / "out" / "lenet.onnx"
    code, out, err = run("export", str(trained_lenet), str(target))
    assert code == 0, out + err
    assert "Wrote" in out and "lenet5" in out and "input Nx1x28x28" in out and target.is_file()
    assert "convnet.dataset" in {p.key for p in onnx.load(target).metadata_props}
    _, from_ckpt, _ = run("predict", str(trained_lenet), *map(str, digits), "--json")
    code, from_onnx, err = run("predict", str(target), *map(str, digits), "--json")
    assert code == 0 and err == ""                          # the dataset came from the metadata: no note
    want, got = json.loads(from_ckpt), json.loads(from_onnx)
    assert [r["prediction"] for r in got] == [r["prediction"] for r in want]
    assert [r["preprocessing"] for r in got] == [r["preprocessing"] for r in want]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose([t["probability"] for t in a["top"]], [t["probability"] for t in b["top"]],
                                   rtol=1e-4, atol=1e-6)


def test_export_an_untrained_zoo_model_and_predict_with_a_note(tmp_path: Path, digits: list[Path]) -> None:
    target = tmp_path / "resnet20.onnx"
    code, out, _ = run("export", "resnet20", str(target), "--input", "3x32x32", "--opset", "18")
    assert code == 0 and "untrained: random weights" in out and "opset 18" in out
    code, out, err = run("predict", str(target), str(digits[0]), "--top-k", "2")
    assert code == 0 and "digit0.png" in out
    assert "Note:" in err and "does not record how its images were prepared" in err and "photos" in err


def test_help() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0 and "--input" in out and "--opset" in out and "zoo model name" in out


def test_summary_of_an_onnx_file(tmp_path: Path) -> None:
    target = tmp_path / "lenet5.onnx"
    assert run("export", "lenet5", str(target))[0] == 0
    code, out, _ = run("summary", str(target))
    assert code == 0 and "features.0" in out and "61,706" in out


@pytest.mark.parametrize("args,message", [
    (["export", "lenet6", "x.onnx"], "unknown model 'lenet6' (did you mean lenet5?)"),
    (["export", "runs/nothing/best.safetensors", "x.onnx"], "no such checkpoint file"),
    (["export", "lenet5", "x.onnx", "--input", "3x3"], "--input must be CxHxW"),
    (["export", "lenet5", "x.onnx", "--input", "1x4x4"], "kernel 5 does not fit"),
    (["export", "lenet5", "x.onnx", "--opset", "5"], "opset 5 is not supported"),
])
def test_bad_export_arguments(args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*args)
    assert code == 2 and message in err and "Traceback" not in out + err
    assert not (tmp_path / "x.onnx").exists()


def test_predict_with_a_damaged_onnx_file(tmp_path: Path, digits: list[Path]) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07" + bytes(100))
    code, out, err = run("predict", str(bad), str(digits[0]))
    assert code == 2 and str(bad) in err and "Traceback" not in out + err
