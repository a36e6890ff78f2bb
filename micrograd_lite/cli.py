"""The ``micrograd-lite`` command line.

Every failure is reported on one line, with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


class CLIError(Exception):
    """A problem with the user's request: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage too)."""

    def error(self, message: str):  # type: ignore[override]
        raise CLIError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="micrograd-lite",
        description="A readable scalar autodiff engine: draw graphs, reproduce the backprop sheet.",
    )
    parser.add_argument("--version", action="version", version=f"micrograd-lite {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args) or 0
    except CLIError as error:
        print(f"micrograd-lite: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("micrograd-lite: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
