"""What the `convnet` command shows for an error: one line for the user's mistakes, a traceback for bugs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import convnet
from convnet.cli import main
from convnet.errors import (
    ConvnetError,
    ConvnetFileError,
    ConvnetFileNotFoundError,
    ConvnetTypeError,
    ConvnetValueError,
    MissingDependencyError,
    OptionError,
    ShapeError,
)

KERNEL_TOO_BIG = (
    "Error: conv: kernel 7 does not fit input 5 + padding 0; use a smaller kernel or dilation, more padding, "
    "or a larger input\n"
)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.output


def run_process(*args: str, setup: str = "", traceback_env: str | None = None) -> subprocess.CompletedProcess[str]:
    """`convnet ARGS` in a fresh interpreter, after running `setup` (which may break convnet on purpose)."""
    env = {k: v for k, v in os.environ.items() if k != "CONVNET_TRACEBACK"}
    if traceback_env is not None:
        env["CONVNET_TRACEBACK"] = traceback_env
    code = f"import sys\n{setup}\nfrom convnet.cli import main\nsys.exit(main({list(args)!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_a_user_error_is_one_line_with_exit_status_2() -> None:
    assert run("arith", "--input", "5", "--kernel", "7") == (2, KERNEL_TOO_BIG)


def test_a_user_error_in_a_fresh_process_has_no_traceback() -> None:
    done = run_process("arith", "--input", "5", "--kernel", "7")
    assert done.returncode == 2
    assert done.stderr == KERNEL_TOO_BIG and "Traceback" not in done.stderr


@pytest.mark.parametrize("bug", [KeyError("boom"), ValueError("boom"), TypeError("boom"), OSError("boom")])
def test_a_bug_is_not_disguised_as_a_user_error(monkeypatch: pytest.MonkeyPatch, bug: Exception) -> None:
    """A built-in exception that convnet did not raise on purpose propagates as it is."""

    def broken(*args: object, **kwargs: object) -> None:
        raise bug

    monkeypatch.setattr(convnet.arith, "same_padding", broken)
    with pytest.raises(type(bug), match="boom") as err:
        run("arith", "--input", "28", "--kernel", "5")
    assert not isinstance(err.value, ConvnetError)


def test_a_bug_prints_its_traceback() -> None:
    setup = "import convnet.arith\ndef broken(*a, **k): raise KeyError('boom')\nconvnet.arith.same_padding = broken"
    done = run_process("arith", "--input", "28", "--kernel", "5", setup=setup)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr and "KeyError: 'boom'" in done.stderr
    assert "Error: " not in done.stderr.replace("KeyError: ", "")


def test_traceback_switch_shows_where_a_user_error_came_from() -> None:
    done = run_process("--traceback", "arith", "--input", "5", "--kernel", "7")
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr and "convnet.errors.ConvnetValueError" in done.stderr
    assert done.stderr.endswith(KERNEL_TOO_BIG)


@pytest.mark.parametrize("value", ["1", "true"])
def test_traceback_environment_variable(value: str) -> None:
    done = run_process("arith", "--input", "5", "--kernel", "7", traceback_env=value)
    assert done.returncode == 2 and "Traceback (most recent call last)" in done.stderr
    assert done.stderr.endswith(KERNEL_TOO_BIG)
    quiet = run_process("arith", "--input", "5", "--kernel", "7", traceback_env="0")
    assert quiet.stderr == KERNEL_TOO_BIG


def test_traceback_also_for_the_commands_own_errors() -> None:
    done = run_process("--traceback", "arith", "--input", "0")
    assert done.returncode == 2 and "Traceback (most recent call last)" in done.stderr
    assert done.stderr.endswith("Error: --input must be positive, got 0\n")


def test_an_output_that_cannot_be_written_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("a file, not a folder")
    out = blocker / "conv.gif"
    assert run("viz", "animate", "--out", str(out)) == (
        2,
        f"Error: {out}: cannot write the file (a file is in the way)\n",
    )


def test_a_folder_that_refuses_writing_is_a_user_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", denied)
    out = tmp_path / "conv.gif"
    assert run("viz", "animate", "--out", str(out)) == (2, f"Error: {out}: cannot write the file (Permission denied)\n")
    with pytest.raises(ConvnetFileError) as err:
        convnet.io.atomic_write_text(out, "x")
    assert isinstance(err.value, PermissionError | OSError) and isinstance(err.value.__cause__, PermissionError)


def test_every_error_class_is_also_its_builtin() -> None:
    for cls, builtin in [
        (ConvnetValueError, ValueError),
        (ShapeError, ValueError),
        (OptionError, ValueError),
        (ConvnetTypeError, TypeError),
        (ConvnetFileError, OSError),
        (ConvnetFileNotFoundError, FileNotFoundError),
        (MissingDependencyError, ImportError),
        (convnet.nn.StateDictError, RuntimeError),
        (convnet.nn.utils.LayerError, ValueError),
        (convnet.train.CheckpointError, ValueError),
        (convnet.train.TrainingDiverged, RuntimeError),
        (convnet.data.DatasetError, ValueError),
        (convnet.data.DatasetNotFoundError, FileNotFoundError),
        (convnet.io.WeightsError, ValueError),
        (convnet.onnx.ExportError, ValueError),
        (convnet.onnx.LoadError, ValueError),
        (convnet.viz.MissingMatplotlib, ImportError),
    ]:
        assert issubclass(cls, ConvnetError) and issubclass(cls, builtin), cls
    assert convnet.ConvnetError is ConvnetError and convnet.ShapeError is ShapeError


def test_library_errors_are_convnet_errors_and_keep_their_builtin_kind() -> None:
    x = convnet.zeros(1, 3, 8, 8)
    with pytest.raises(ShapeError, match="conv2d expects a 4-D weight"):
        convnet.nn.functional.conv2d(x, convnet.zeros(3, 3))
    with pytest.raises(ValueError, match="expects a 4-D"):
        convnet.nn.functional.conv2d(x, convnet.zeros(3, 3))
    with pytest.raises(ConvnetTypeError):
        convnet.nn.functional.conv2d(x.numpy(), convnet.zeros(3, 3, 1, 1))
    with pytest.raises(ConvnetValueError, match="unknown dataset"):
        convnet.data.get_dataset("no-such-data")
    with pytest.raises(ConvnetValueError):
        convnet.optim.SGD(convnet.nn.Linear(2, 2).parameters(), lr=-1.0)
    with pytest.raises(ConvnetValueError):
        convnet.models.create("no-such-model")


@pytest.mark.parametrize(
    "args",
    [
        ["summary", "nosuch"],
        ["summary", "lenet5", "--input", "3x"],
        ["summary", "{text}"],
        ["predict", "{text}", "{text}"],
        ["predict", "{tmp}/nosuch.safetensors", "{text}"],
        ["evaluate", "{text}"],
        ["export", "lenet5", "{text}/x.onnx"],
        ["export", "nosuch", "{tmp}/x.onnx"],
        ["viz", "filters", "nosuch"],
        ["viz", "kernel", "sobel", "{text}"],
        ["viz", "kernel", "sobel", "{tmp}/nosuch.png"],
        ["viz", "animate", "-k", "0"],
        ["viz", "animate", "-i", "2", "-k", "5"],
        ["arith", "--input", "5", "--layers", "conv0"],
        ["arith", "--input", "5", "--padding", "x", "--kernel", "3"],
    ],
)
def test_mistakes_are_one_line_errors(args: list[str], tmp_path: Path) -> None:
    """Each of these is the user's mistake: one `Error:` line and exit status 2, never a traceback
    (the runner lets any other exception escape, which fails the test)."""
    text = tmp_path / "notes.txt"
    text.write_text("not a model, not an image")
    code, out = run(*(a.format(tmp=tmp_path, text=text) for a in args))
    assert code == 2, out
    assert out.startswith("Error: ") and out.count("\n") == 1, out
