"""The `convnet` command: train, evaluate and predict (and more, one module per family).

Every command has ``--help``. Errors the user can fix (a missing file, a bad option, data
that does not fit the model: every `convnet.errors.ConvnetError`, and click's own usage errors)
are printed as one clear message with exit status 2, without a traceback; ``convnet
--traceback`` (or ``CONVNET_TRACEBACK=1``) prints their traceback as well. Any other exception
is a bug in convnet and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from .. import __version__
from ..data.download import command_line_spelling
from ..errors import ConvnetError

TRACEBACK_ENV = "CONVNET_TRACEBACK"


class UserError(click.ClickException):
    """An error the user can fix: printed as 'Error: ...', exit status 2."""

    exit_code = 2


def traceback_wanted() -> bool:
    """True when ``--traceback`` was given, or ``CONVNET_TRACEBACK`` is set to 1 (or true, yes, on)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get("convnet.traceback"):
        return True
    return os.environ.get(TRACEBACK_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that user errors print as one line and bugs keep their traceback.

    A `ConvnetError` becomes ``Error: <message>`` with exit status 2 (click prints its own
    `ClickException` errors, `UserError` among them, the same way); with ``--traceback`` the
    traceback is printed first. Every other exception propagates: Python prints its traceback.
    Inside a command, missing-data messages name the command's options (``--no-download``).
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with command_line_spelling():
                return fn(*args, **kwargs)
        except (ConvnetError, click.ClickException) as e:
            if traceback_wanted():
                traceback.print_exception(e, file=sys.stderr)
            if isinstance(e, click.ClickException):
                raise
            raise UserError(str(e)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="convnet")
@click.option("--traceback", "show_traceback", is_flag=True,
              help=f"Print the full traceback of an error, not only its message (or set {TRACEBACK_ENV}=1).")
@click.pass_context
def main(ctx: click.Context, show_traceback: bool) -> None:
    """convnet: convolutional neural networks from first principles, in NumPy.

    \b
    Start with:  convnet train            (a small batch-norm CNN on MNIST, then a test score)
    Then:        convnet predict runs/mnist-bn-mnist/best.safetensors my-digit.png
    """
    ctx.meta["convnet.traceback"] = show_traceback


def _load_commands() -> None:
    """Import every module of this package: each registers its commands on `main`."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
