"""`convnet viz ...`: files written and their paths printed; bad input is exit status 2 with a clear message."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

import convnet as cn
from convnet.cli import main
from convnet.train import save_checkpoint
from convnet.train.run import RunResult


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def written(stdout: str) -> list[Path]:
    paths = [Path(line) for line in stdout.splitlines() if line.strip()]
    assert paths and all(p.exists() for p in paths), stdout
    return paths


@pytest.fixture
def ckpt(trained: RunResult) -> str:
    return str(trained.best_checkpoint)


@pytest.fixture
def seven_on_paper(tmp_path: Path) -> Path:
    """A photo-like seven: dark ink on light paper, larger than 28x28."""
    img = Image.new("L", (120, 160), 235)
    ImageDraw.Draw(img).line([(20, 25), (100, 25), (50, 140)], fill=20, width=12)
    path = tmp_path / "seven.png"
    img.save(path)
    return path


def test_filters_features_and_kernel_write_images(ckpt: str, seven_on_paper: Path, tmp_path: Path) -> None:
    code, out, _ = run("viz", "filters", ckpt, "--layer", "features.3", "--out", str(tmp_path / "f.png"))
    assert code == 0 and written(out) == [tmp_path / "f.png"]
    code, out, err = run("viz", "features", ckpt, str(seven_on_paper), "--layer", "features.0,features.4", "--top",
                         "4", "--out", str(tmp_path / "maps.png"))
    assert code == 0 and written(out) == [tmp_path / "maps.png"] and "inverted it" in err
    code, out, err = run("viz", "kernel", "edges", str(seven_on_paper), "--invert", "--out", str(tmp_path / "k.png"))
    assert code == 0 and written(out) == [tmp_path / "k.png"] and "inverted it (1 - pixel)" in err
    with Image.open(tmp_path / "k.png") as im:
        assert im.width > 800


def test_animate_writes_a_gif_with_one_frame_per_output_cell(tmp_path: Path) -> None:
    code, out, _ = run("viz", "animate", "--input", "5", "--kernel", "3", "--padding", "1", "--stride", "2",
                       "--values", "--frames", str(tmp_path / "frames"), "--out", str(tmp_path / "conv.gif"))
    assert code == 0 and written(out) == [tmp_path / "conv.gif", tmp_path / "frames"]
    with Image.open(tmp_path / "conv.gif") as gif:
        assert gif.n_frames == 9
    assert len(list((tmp_path / "frames").glob("frame-*.png"))) == 9


def test_receptive_field_patches_dream_and_report(ckpt: str, tmp_path: Path) -> None:
    code, out, err = run("viz", "receptive-field", "lenet5", "--layer", "features.3", "--position", "2", "2",
                         "--gradient", "--out", str(tmp_path / "rf.png"))
    assert code == 0 and written(out) == [tmp_path / "rf.png"] and "sees input rows 4-17, columns 4-17" in err
    code, out, _ = run("viz", "patches", ckpt, "--layer", "features.0,features.3", "--channels", "0,1", "--top", "3",
                       "--images", "200", "--out", str(tmp_path / "p.png"))
    assert code == 0 and written(out) == [tmp_path / "p.png"]
    code, out, _ = run("viz", "dream", ckpt, "--layer", "features.3", "--channels", "2", "--steps", "5",
                       "--out", str(tmp_path / "d.png"))
    assert code == 0 and written(out) == [tmp_path / "d.png"]
    code, out, _ = run("viz", "report", ckpt, "--out-dir", str(tmp_path / "rep"))
    assert code == 0 and [p.name for p in written(out)] == ["training-curves.png", "confusion-matrix.png",
                                                            "misclassified.png"]


@pytest.mark.skipif(not (os.environ.get("CONVNET_DATA") and (Path(os.environ["CONVNET_DATA"]) / "mnist").is_dir()),
                    reason="needs real MNIST (set CONVNET_DATA to a folder holding mnist/)")
def test_the_seeds_seven_from_the_command_line(tmp_path: Path) -> None:
    code, out, err = run("viz", "kernel", "edges", "mnist:0", "--out", str(tmp_path / "seven.png"))
    assert code == 0 and written(out) and "mnist test image 0 (a 7)" in err


def test_bad_input_is_exit_status_2_with_a_clear_message(ckpt: str, seven_on_paper: Path, tmp_path: Path) -> None:
    code, out, err = run("viz", "features", ckpt, str(seven_on_paper), "--layer", "conv1")
    assert code == 2 and "no layer named 'conv1' in LeNet5; its layers are: features (Sequential), features.0 " \
                         "(Conv2d)" in err and "Traceback" not in err + out
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not an image")
    code, _, err = run("viz", "features", ckpt, str(bad))
    assert code == 2 and "broken.png: not an image Pillow can read" in err
    code, _, err = run("viz", "kernel", "edges", str(tmp_path / "missing.png"))
    assert code == 2 and "missing.png: no such file" in err
    code, _, err = run("viz", "receptive-field", "lenet5", "--layer", "features.3", "--input", "3x32x32")
    assert code == 2 and "the input has 3 channel(s) but the model's first convolution (features.0) takes 1" in err
    code, _, err = run("viz", "filters", ckpt, "--layer", "features.2")
    assert code == 2 and "features.2 (MaxPool2d) has no convolution kernels" in err
    code, _, err = run("viz", "animate", "--mode", "maxpool", "--kernel", "3", "--padding", "2")
    assert code == 2 and "padding 2 is more than half the kernel size 3" in err


def test_a_dataset_image_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    cn.manual_seed(0)
    model = cn.models.create("lenet5", in_channels=3)
    meta = {"dataset": {"name": "cifar10", "classes": [str(k) for k in range(10)], "mean": [0.5] * 3,
                        "std": [0.25] * 3, "in_channels": 3, "image_size": [32, 32], "style": "photo"}}
    path = save_checkpoint(tmp_path / "rgb.safetensors", model, None, meta)
    code, _, err = run("viz", "features", str(path), "synth-digits:0")
    assert code == 2 and "synth-digits test image 0 (a " in err and "is 1x28x28 (channels x height x width) but " \
                                                                       "the model takes 3x32x32 images" in err
    grid_rgb = np.asarray(Image.new("RGB", (64, 48), (200, 30, 30)))
    Image.fromarray(grid_rgb).save(tmp_path / "red.png")
    code, out, _ = run("viz", "features", str(path), str(tmp_path / "red.png"), "--out", str(tmp_path / "rgb.png"))
    assert code == 0 and written(out) == [tmp_path / "rgb.png"]
