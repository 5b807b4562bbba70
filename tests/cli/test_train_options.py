"""`convnet train` checks every option before any data is loaded or any epoch runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from convnet.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--epochs", "0"], "--epochs must be a whole number of at least 1 (passes over the training data), got 0"),
    (["--epochs", "-1"], "--epochs must be a whole number of at least 1"),
    (["--train-size", "0"], "--train-size must be a whole number of at least 1"),
    (["--batch-size", "0"], "--batch-size must be a whole number of at least 1"),
    (["--val-split", "-1"], "--val-split must be a whole number of at least 0"),
    (["--lr", "inf"], "--lr must be a finite number greater than 0"),
    (["--lr", "nan"], "--lr must be a finite number greater than 0"),
    (["--lr", "0"], "--lr must be a finite number greater than 0"),
    (["--weight-decay", "-0.1"], "--weight-decay must be a finite number at least 0"),
    (["--optimizer", "sgd", "--momentum", "1.5"], "--momentum must be a finite number in [0, 1)"),
    (["--label-smoothing", "1"], "--label-smoothing must be a finite number in [0, 1)"),
    (["--seed", "-3"], "--seed must be a whole number of at least 0, got -3"),
    (["--momentum", "0.5"], "--momentum 0.5 has no effect with --optimizer adam"),
    (["--optimizer", "adamw", "--momentum", "0.9"], "drop --momentum, or choose --optimizer sgd or rmsprop"),
])
def test_bad_option_is_named_before_any_data_is_read(args: list[str], message: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def no_data(*a: object, **k: object) -> None:
        raise AssertionError("data was loaded before the options were checked")

    monkeypatch.setattr("convnet.data.get_dataset", no_data)
    code, out = run("train", "--dataset", "mnist", "--no-download", "--out", str(tmp_path / "r"), *args)
    assert code == 2, out
    assert out.startswith("Error: ") and message in out
    assert "Traceback" not in out and not (tmp_path / "r").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--train-size", "100"], "100 training images (80 after holding out 20 for validation) are less than one "
                              "batch (--batch-size 128): use a larger --train-size or a smaller --batch-size"),
    (["--train-size", "600", "--val-split", "500"],
     "--val-split 500 leaves 100 of 600 training images, less than one batch (--batch-size 128): use "
     "--val-split between 0 and 472"),
    (["--train-size", "99999999"], "--train-size 99,999,999 is more than the 60,000 training images of "
                                   "synth-digits"),
])
def test_sizes_that_leave_no_batch_are_refused(args: list[str], message: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, shared_cache: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    code, out = run("train", "--dataset", "synth-digits", "--out", str(tmp_path / "r"), "--no-progress", *args)
    assert code == 2 and message in out, out
    assert not (tmp_path / "r" / "last.safetensors").exists()


def test_explicit_val_split_is_not_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          shared_cache: Path) -> None:
    """Half of 600 images held out: more than the default fifth, and kept as asked."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    seen = {}

    import convnet.train.run as run_module
    real_split = run_module.data.random_split

    def spy(ds: object, lengths: list[int], **kw: object) -> object:
        seen["lengths"] = list(lengths)
        return real_split(ds, lengths, **kw)

    monkeypatch.setattr(run_module.data, "random_split", spy)
    code, out = run("train", "--dataset", "synth-digits", "--train-size", "600", "--val-split", "300",
                    "--batch-size", "100", "--epochs", "1", "--out", str(tmp_path / "r"), "--no-progress")
    assert code == 0, out
    assert seen["lengths"] == [300, 300]


def test_out_folder_that_cannot_be_written_is_refused_before_training(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def no_data(*a: object, **k: object) -> None:
        raise AssertionError("data was loaded before --out was checked")

    monkeypatch.setattr("convnet.data.get_dataset", no_data)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out = run("train", "--dataset", "synth-digits", "--out", str(blocker / "run"))
    assert code == 2, out
    assert (f"Error: --out {blocker / 'run'}: cannot save the run there (Not a directory); nothing was "
            "trained. Choose a folder you can write to with --out DIR") in out
    assert "convnet train:" not in out               # no start banner for a run that cannot start

    def denied(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("convnet.train.run.tempfile.mkstemp", denied)
    target = tmp_path / "new" / "run"
    code, out = run("train", "--dataset", "synth-digits", "--out", str(target))
    assert code == 2 and f"--out {target}: cannot save the run there (Permission denied)" in out, out
    assert not (tmp_path / "new").exists()          # the check leaves no folders behind


def test_out_check_leaves_nothing_when_the_run_stops_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from convnet.data import DatasetNotFoundError

    def missing(*a: object, **k: object) -> None:
        raise DatasetNotFoundError("mnist: not here")

    monkeypatch.setattr("convnet.data.get_dataset", missing)
    code, out = run("train", "--dataset", "mnist", "--out", str(tmp_path / "deep" / "run"))
    assert code == 2 and "mnist: not here" in out
    assert not (tmp_path / "deep").exists()


def test_named_data_folder_without_mnist_is_an_error_not_synthetic(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """--data-dir names where the data is: a missing MNIST there never falls back to synth-digits."""
    from convnet.data.download import DownloadError

    def offline(*a: object, **k: object) -> None:
        raise DownloadError("could not download train-images-idx3-ubyte.gz: offline in tests")

    monkeypatch.setattr("convnet.data.download.download_file", offline)
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for extra in ([], ["--no-download"]):
        code, out = run("train", "--data-dir", str(data_dir), "--out", str(tmp_path / "r"), "--no-progress", *extra)
        assert code == 2, out
        assert f"Looked in: --data-dir {data_dir / 'mnist'}, --data-dir {data_dir}" in out
        assert "download=" not in out and "root=" not in out            # the command's words, not Python's
        if extra:
            assert "download disabled (--no-download)" in out and "or leave out --no-download to fetch them" in out
        assert "synth-digits" not in out and "MNIST is not available" not in out
        assert not (tmp_path / "r").exists()
    code, out = run("train", "--data-dir", str(tmp_path / "typo"), "--out", str(tmp_path / "r"))
    assert code == 2 and "'--data-dir'" in out and str(tmp_path / "typo") in out and "does not exist" in out


def test_training_time_after_resume_counts_only_the_epochs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               shared_cache: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    common = ["--no-progress", "--schedule", "constant"]
    code, out = run("train", "--dataset", "synth-digits", "--train-size", "600", "--val-split", "100",
                    "--epochs", "1", "--out", str(tmp_path / "r"), *common)
    assert code == 0 and "for 1 epoch (" in out, out
    code, out = run("train", "--resume", str(tmp_path / "r" / "last.safetensors"), "--epochs", "3", *common)
    assert code == 0, out
    line = next(line for line in out.splitlines() if line.startswith("Training time:"))
    assert "for 2 epochs (2 to 3 of 3; the first 1 ran before --resume) (loading the data" in line, line


def test_a_bare_train_checks_options_before_looking_for_data(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --dataset, a bad option is reported before MNIST is looked for: no fallback
    to synth-digits is announced for a run that will not start."""
    monkeypatch.delenv("CONVNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    code, out = run("train", "--no-download", "--epochs", "0", "--out", str(tmp_path / "r"))
    assert code == 2, out
    assert out.startswith("Error: --epochs must be a whole number of at least 1"), out
    assert "synth-digits" not in out and "MNIST is not available" not in out


def test_help_lists_every_recipe_with_its_description() -> None:
    from convnet.train.recipes import RECIPES

    code, out = run("train", "--help")
    assert code == 0 and "--recipe NAME" in out
    listed = out[out.index("Recipes (--recipe NAME"):]
    for name, recipe in RECIPES.items():
        line = next(line for line in listed.splitlines() if line.split()[:1] == [name])
        assert recipe.about in " ".join(listed.split()) and line.split()[1:3] == recipe.about.split()[:2]


def test_a_recipe_sets_the_defaults_and_flags_replace_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            shared_cache: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    code, out = run("train", "--recipe", "speedrun", "--dataset", "synth-digits", "--train-size", "600",
                    "--batch-size", "100", "--epochs", "1", "--out", str(tmp_path / "r"), "--no-progress")
    assert code == 0, out
    assert out.startswith("convnet train: recipe speedrun: lenet5 on synth-digits, 1 epoch, adam lr 0.01 "
                          "(onecycle), batch 100, augment none, label smoothing 0.1, seed 0"), out
    recipe = json.loads((tmp_path / "r" / "metrics.json").read_text())["recipe"]
    assert recipe["name"] == "speedrun" and recipe["batch_size"] == 100 and recipe["val_split"] == 0
    code, out = run("train", "--recipe", "speedrn", "--out", str(tmp_path / "s"))
    assert code == 2 and "Error: --recipe 'speedrn' is not a recipe (did you mean speedrun?)" in out
