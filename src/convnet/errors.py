"""The errors convnet raises for problems a user can fix.

Every such error derives from :class:`ConvnetError` and also from the built-in exception a
Python user would expect (``ValueError`` for a bad value or shape, ``TypeError`` for a wrong
kind of argument, ``OSError``/``FileNotFoundError`` for files, ``ImportError`` for a missing
optional package), so ``except ValueError``
keeps working. The command line prints a ``ConvnetError`` as one line; any other exception
is a bug in convnet and keeps its traceback.
"""

from __future__ import annotations


class ConvnetError(Exception):
    """Base of every error whose message tells the user what to change."""


class ConvnetValueError(ConvnetError, ValueError):
    """A value, option or array shape outside what the operation accepts."""


class ShapeError(ConvnetValueError):
    """Arrays whose shapes do not fit together (a layer's input, weight and bias)."""


class OptionError(ConvnetValueError):
    """A command-line option or keyword argument outside its allowed range."""


class ConvnetTypeError(ConvnetError, TypeError):
    """An argument of the wrong kind (a list where a tensor is needed, ...)."""


class ConvnetFileError(ConvnetError, OSError):
    """A file that cannot be read or written: missing, unreadable, damaged or in the way."""


class ConvnetFileNotFoundError(ConvnetFileError, FileNotFoundError):
    """A file or folder that is not where the user said it would be."""


class MissingDependencyError(ConvnetError, ImportError):
    """An optional package a feature needs is not installed (the message says what to install)."""


__all__ = [
    "ConvnetError",
    "ConvnetFileError",
    "ConvnetFileNotFoundError",
    "ConvnetTypeError",
    "ConvnetValueError",
    "MissingDependencyError",
    "OptionError",
    "ShapeError",
]
