"""The `convnet` command: the main job's fallback, predict on drawn digits, evaluate, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from drawing import draw_digit, photographed
from PIL import Image

from convnet.cli import main
from convnet.train import load_checkpoint


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_help_on_every_command() -> None:
    for cmd in ([], ["train"], ["predict"], ["evaluate"]):
        code, out = run(*cmd, "--help")
        assert code == 0 and "Usage: " in out and "--help" in out


def test_train_without_mnist_falls_back_to_synth_digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         shared_cache: Path) -> None:
    """No CONVNET_DATA, no MNIST in the cache, no network: one visible line, then synthetic digits."""
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    assert not (shared_cache / "convnet" / "mnist").exists()
    code, out = run("train", "--epochs", "1", "--train-size", "600", "--val-split", "100",
                    "--out", str(tmp_path / "run"), "--no-progress", "--no-download")
    assert code == 0, out
    lines = [line for line in out.splitlines() if "MNIST is not available" in line]
    assert len(lines) == 1 and "--data-dir or CONVNET_DATA" in lines[0] and "synth-digits" in lines[0]
    assert "downloads are off (--no-download)" in lines[0] and "download failed" not in lines[0]
    note = out.index("Note: this model learned synth-digits (generated digits), not MNIST")
    assert note > out.index("Test accuracy:")      # said again under the score, not only before training
    assert "convnet train: recipe synth-digits: lenet5 on synth-digits" in out   # that dataset's recipe
    assert "Test accuracy:" in out and "Training time:" in out
    assert load_checkpoint(tmp_path / "run" / "best.safetensors").meta["dataset"]["name"] == "synth-digits"


def test_explicit_dataset_is_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, out = run("train", "--dataset", "fashion-mnist", "--out", str(tmp_path / "r"))
    assert code == 2 and "Error: FashionMNIST" in out and "CONVNET_DATA" in out


def test_nan_stop_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        shared_cache: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    monkeypatch.setattr("convnet.train.run._loss_fn",
                        lambda s: lambda logits, t: (logits * float("inf")).sum())
    code, out = run("train", "--dataset", "synth-digits", "--train-size", "300", "--epochs", "1",
                    "--val-split", "50", "--out", str(tmp_path / "r"), "--no-progress")
    assert code == 2 and "the loss became" in out and "lower learning rate" in out


def digit_files(folder: Path) -> dict[Path, int]:
    """40 drawn digits: large and off-centre, white on black, black on white, coloured."""
    folder.mkdir(exist_ok=True)
    files = {}
    for d in range(10):
        variants = {
            "paper": draw_digit(d),                                            # black on white
            "chalk": draw_digit(d, ink=255, paper=0, canvas=(300, 300)),       # white on black
            "corner": draw_digit(d, canvas=(400, 300), box=(230, 20, 350, 170)),  # off-centre
            "blue": draw_digit(d, mode="RGB", ink=(20, 40, 160), paper=(250, 245, 220)),
        }
        for name, img in variants.items():
            path = folder / f"{d}-{name}.png"
            img.save(path)
            files[path] = d
    return files


def test_predict_reads_hand_drawn_digits(digit_checkpoint: Path, tmp_path: Path) -> None:
    files = digit_files(tmp_path / "digits")
    code, out = run("predict", str(digit_checkpoint), str(tmp_path / "digits"), "--json")
    assert code == 0, out
    results = json.loads(out)
    assert len(results) == 40
    right = sum(int(r["prediction"]) == files[Path(r["image"])] for r in results)
    assert right >= 30, f"only {right}/40 drawn digits read correctly"
    by_name = {Path(r["image"]).name: r for r in results}
    assert any("inverted" in n for n in by_name["3-paper.png"]["preprocessing"])
    assert not any("inverted" in n for n in by_name["3-chalk.png"]["preprocessing"])
    assert any("colour to grayscale" in n for n in by_name["3-blue.png"]["preprocessing"])
    assert all(abs(sum(t["probability"] for t in r["top"]) - 1) < 0.2 for r in results)


def test_predict_table_output(digit_checkpoint: Path, tmp_path: Path) -> None:
    path = tmp_path / "seven.png"
    draw_digit(7).save(path)
    code, out = run("predict", str(digit_checkpoint), str(path), "--top-k", "2")
    assert code == 0 and "seven.png" in out and "what was done" in out


def test_predict_errors(digit_checkpoint: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "readme.txt").write_text("no images here")
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(blank)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (14000, 14000), 1).save(bomb)            # 24 KB declaring 196 megapixels
    for target, message in ((text, "not an image Pillow can read"), (empty, "the file is empty"),
                            (bomb, "bomb.png declares 196.0 megapixels; the limit is 50 megapixels"),
                            (folder, "the folder holds no images"), (blank, "looks blank"),
                            (tmp_path / "missing.png", "no such file")):
        code, out = run("predict", str(digit_checkpoint), str(target))
        assert code == 2, out
        assert message in out and str(target.name) in out or message in out
        assert "Traceback" not in out


def test_evaluate(digit_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, shared_cache: Path) -> None:
    meta = load_checkpoint(digit_checkpoint).meta
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    code, out = run("evaluate", str(digit_checkpoint), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["count"] == 10000 and 0.9 < result["accuracy"] <= 1
    assert np.array(result["confusion_matrix"]).trace() == round(result["accuracy"] * 10000)
    assert result["accuracy"] == pytest.approx(meta["test"]["accuracy"]) or meta["dataset"]["name"] != "mnist"
    assert result["train_label_smoothing"] == meta["recipe"]["label_smoothing"] == 0.1
    code, out = run("evaluate", str(digit_checkpoint))
    said = " ".join(out.split())                      # the table may wrap the line
    assert code == 0 and "(plain cross-entropy: training used label smoothing 0.1, so its losses are higher)" in said


def test_predict_folder_goes_past_bad_files(digit_checkpoint: Path, tmp_path: Path) -> None:
    """Every readable image is predicted (.webp included); each bad one is listed with its reason; exit 2."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    draw_digit(7).save(folder / "a-seven.png")
    draw_digit(1).save(folder / "b-one.webp", lossless=True)
    (folder / "c-empty.png").write_bytes(b"")
    whole = folder / "a-seven.png"
    (folder / "d-truncated.png").write_bytes(whole.read_bytes()[:300])
    (folder / "e-notes.jpg").write_text("not an image")
    Image.new("L", (60, 60), 255).save(folder / "f-blank.png")
    (folder / "readme.txt").write_text("not named as an image: skipped")
    code, out = run("predict", str(digit_checkpoint), str(folder))
    assert code == 2, out
    assert "a-seven.png" in out and "b-one.webp" in out and "Traceback" not in out
    table = out[:out.index("\nError: could not classify")]
    assert "c-empty" not in table and "readme" not in out
    assert "Error: could not classify 4 of 6 images:" in out
    for name, reason in (("c-empty.png", "the file is empty"),
                         ("d-truncated.png", "not an image Pillow can read"),
                         ("e-notes.jpg", "not an image Pillow can read"),
                         ("f-blank.png", "the image looks blank")):
        line = next(line for line in out.splitlines() if name in line)
        assert line.strip().startswith(f"{folder / name}: {reason}"), line
    code, out = run("predict", str(digit_checkpoint), str(folder), "--json")
    results = json.loads(out[:out.index("\nError: could not classify")])
    assert code == 2 and [Path(r["image"]).name for r in results] == [
        "a-seven.png", "b-one.webp", "c-empty.png", "d-truncated.png", "e-notes.jpg", "f-blank.png"]
    assert [r["prediction"] for r in results[:2]] == ["7", "1"]
    assert all("error" in r for r in results[2:]) and "error" not in results[0]
    code, out = run("predict", str(digit_checkpoint), str(folder / "a-seven.png"), str(folder / "b-one.webp"))
    assert code == 0 and "Error" not in out


def test_predict_reads_digits_under_uneven_light(digit_checkpoint: Path, tmp_path: Path) -> None:
    """Gradients, a hard shadow, paper texture and noise: read about as well as clean photos."""
    conditions = ("clean", "gradient", "shadow", "texture", "noise")
    folder = tmp_path / "photos"
    folder.mkdir()
    for digit in range(10):
        for lighting in conditions:
            photographed(digit, lighting).save(folder / f"{digit}-{lighting}.png")
    code, out = run("predict", str(digit_checkpoint), str(folder), "--json")
    assert code == 0, out
    right = dict.fromkeys(conditions, 0)
    notes = {}
    for r in json.loads(out):
        digit, lighting = Path(r["image"]).stem.split("-")
        right[lighting] += r["prediction"] == digit
        notes[Path(r["image"]).stem] = r["preprocessing"]
    assert right["clean"] >= 8, right
    assert all(right[c] >= right["clean"] - 1 for c in conditions), right
    assert any(n.startswith("evened out its lighting") for n in notes["3-shadow"])
    assert any(n.startswith("evened out its lighting") for n in notes["3-gradient"])
    assert not any(n.startswith("evened out its lighting") for n in notes["3-clean"])
