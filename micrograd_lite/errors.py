"""Every exception micrograd_lite raises of its own, in one place.

Errors of arithmetic stay Python's own (``ValueError``, ``ZeroDivisionError``,
``OverflowError``) with a message that names the operation and its operands;
the classes here are for what only this package can get wrong.

>>> from micrograd_lite.errors import MissingExtra
>>> issubclass(MissingExtra, ImportError)
True
"""

from __future__ import annotations


class ExpressionError(ValueError):
    """A ``--expr`` text that cannot be parsed into a graph: the message says why."""


class GraphvizNotFound(RuntimeError):
    """The system ``dot`` program is missing; the message says how to install it."""


class GraphvizFailed(RuntimeError):
    """The system ``dot`` program is there but failed (a broken install, a wrong ``GVBINDIR``)."""


class MissingExtra(ImportError):
    """An optional package is not installed; the message names the extra that brings it."""


class UnreadableSheet(ValueError):
    """A learner's sheet that cannot be read as a table (not a spreadsheet, no header row, a missing cell)."""


class CLIError(Exception):
    """A problem with the user's request: printed as one line, exit status 2."""
