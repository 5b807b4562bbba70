"""The `convnet` command: train, evaluate and predict (and more, one module per family).

Every command has ``--help``. Errors the user can fix (a missing file, a bad option, data
that does not fit the model) are printed as one clear message with exit status 2, never as
a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from .. import __version__


class UserError(click.ClickException):
    """An error the user can fix: printed as 'Error: ...', exit status 2."""

    exit_code = 2


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's ValueError/TypeError/OSError into one-line CLI errors."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, OSError) as e:
            raise UserError(str(e)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="convnet")
def main() -> None:
    """convnet: convolutional neural networks from first principles, in NumPy.

    \b
    Start with:  convnet train            (LeNet-5 on MNIST, then a test score)
    Then:        convnet predict runs/lenet5-mnist/best.safetensors my-digit.png
    """


def _load_commands() -> None:
    """Import every module of this package: each registers its commands on `main`."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
