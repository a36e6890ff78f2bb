"""The ``micrograd-lite`` command line: the parser and ``main``; each command lives in the module of its group.

* ``graph``     graph, explain, compile, hessian: one graph drawn, derived, replayed, differentiated twice;
* ``sheet``     sheet, sweep, demo: the course (its policy lives in :mod:`micrograd_lite.course`);
* ``train``     train: a classifier and its page;
* ``arguments`` the argument types; ``terminal`` the progress bar, tables and one-line errors all share.

Every failure is reported on one line, with exit status 2, never a traceback,
and no output file is left half-written.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from .. import course
from ..deprecated import module_aliases
from ..errors import CLIError
from ..show.stepper import DEFAULT_MAX_TURNS
from ..show.viz import DEFAULT_MAX_NODES
from ..version import __version__
from .arguments import assignment, output_path, positive_float, positive_int, significant_digits, tolerance
from .graph import cmd_compile, cmd_explain, cmd_graph, cmd_hessian
from .sheet import cmd_demo, cmd_sheet, cmd_sweep
from .terminal import one_line
from .train import cmd_train


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="micrograd-lite",
        description="A readable scalar autodiff engine: draw graphs, reproduce the backprop sheet.",
    )
    parser.add_argument("--version", action="version", version=f"micrograd-lite {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser("demo", help="the main job: sheet, workbook, loss curves, network graph")
    demo.add_argument("--out", type=output_path, default="out", help="folder for every file (default: out)")
    demo.add_argument("--epochs", type=positive_int, default=100, help="epochs to train (default %(default)s)")
    demo.set_defaults(run=cmd_demo)

    graph = commands.add_parser("graph", help="draw a graph with every value and gradient")
    graph.add_argument("--out", type=output_path, required=True, help="picture file: .svg, .png, .pdf or .dot")
    graph.add_argument("--expr", help='an expression, e.g. "tanh(x*w + b)" (default: the course network)')
    graph.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE",
                       help="a value for each of --expr's variables, e.g. x=0.5 w=-3 b=2")
    graph.add_argument("--rankdir", choices=("LR", "TB"), help="layout direction (default: TB for the course, else LR)")
    graph.add_argument("--no-grad", action="store_true", help="hide the gradients")
    graph.add_argument("--precision", type=significant_digits, default=4, help="significant digits (default 4)")
    graph.add_argument("--max-nodes", type=positive_int, default=DEFAULT_MAX_NODES,
                       help="refuse a graph with more values than this (default %(default)s)")
    graph.add_argument("--draw-constants", action="store_true", help="draw constants as nodes (default: in their op)")
    graph.add_argument("--caption", help="a title above the picture (default for the course: epoch and learning rate)")
    graph.set_defaults(run=cmd_graph)

    sheet = commands.add_parser(
        "sheet",
        help="the course sheet: one row per epoch; or check your own workbook",
        description="The course sheet, one row per epoch. With --compare FILE, check your own sheet instead: "
        "every worksheet of a .xlsx/.xlsm/.ods (or a CSV) holding the table is recomputed row by row; "
        "exit status 0 when all agree, 1 when a cell disagrees, 2 when FILE (or one of its worksheets) cannot be read "
        "or has nothing to compare.",
        epilog=f"Tolerance of --compare: {course.check.TOLERANCE_TEXT}.",
    )
    sheet.add_argument("--lr", type=positive_float, default=None, help="learning rate (default 0.5; with --compare: "
                       "overrides the workbook's own η)")  # fmt: skip
    sheet.add_argument("--epochs", type=positive_int, default=100, help="rows to compute (default %(default)s)")
    sheet.add_argument("--csv", type=output_path, help="write every column, full precision, to this CSV (streamed)")
    sheet.add_argument("--xlsx", type=output_path, help="write the live workbook (inputs, formulas, table, chart)")
    sheet.add_argument("--all-columns", action="store_true", help="print every column")
    sheet.add_argument("--check", action="store_true", help="compare the hand-derived formulas with backward()")
    sheet.add_argument("--compare", metavar="FILE", help="check your own CSV/.xlsx/.xlsm/.ods: first wrong row, why")
    sheet.add_argument("--rtol", type=tolerance(course.check.MAX_RTOL, course.check.MAX_RTOL_WHY),
                       default=course.DEFAULT_RTOL, help=f"relative tolerance of --compare, 0 to "
                       f"{course.check.MAX_RTOL:g} (default {course.DEFAULT_RTOL:g})")  # fmt: skip
    sheet.add_argument("--atol", type=tolerance(course.check.MAX_ATOL, course.check.MAX_ATOL_WHY),
                       default=course.DEFAULT_ATOL, help=f"absolute tolerance of --compare, 0 to "
                       f"{course.check.MAX_ATOL:g} (default {course.DEFAULT_ATOL:g})")  # fmt: skip
    sheet.set_defaults(run=cmd_sheet)

    sweep = commands.add_parser("sweep", help="loss curves for several learning rates")
    sweep.add_argument("--lrs", type=positive_float, nargs="+", default=list(course.LEARNING_RATES),
                       help="learning rates, one curve each (default: the course's %(default)s)")
    sweep.add_argument("--epochs", type=positive_int, default=100, help="epochs per curve (default %(default)s)")
    sweep.add_argument("--out", type=output_path, default="loss.png", help="figure file (.png, .svg, .pdf)")
    sweep.add_argument("--linear", action="store_true", help="one linear panel (default: log scale, lr >= 10 apart)")
    sweep.set_defaults(run=cmd_sweep)

    explain = commands.add_parser("explain", help="derive gradients by the chain rule; log the backward pass")
    explain.add_argument("--wrt", action="append", help="the variable to differentiate by (repeatable; default: all)")
    explain.add_argument("--expr", help="an expression (default: the course network's E_total)")
    explain.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE",
                         help="a value for each of --expr's variables, e.g. x=0.5 w=-3 b=2")
    explain.add_argument("--latex", action="store_true", help="print LaTeX (for Markdown) instead of plain text")
    # --trace, --trace-csv, --trace-md: the names of 0.1.0, kept for one release
    explain.add_argument("--backward-log", "--trace", dest="log", action="store_true",
                         help="print the backward log: every product each node sends, turn by turn (a table)")
    explain.add_argument("--backward-log-csv", "--trace-csv", dest="log_csv", type=output_path, metavar="FILE",
                         help="write the backward log as CSV")
    explain.add_argument("--backward-log-md", "--trace-md", dest="log_md", type=output_path, metavar="FILE",
                         help="write the backward log as Markdown")
    explain.add_argument("--frames", type=output_path, metavar="DIR",
                         help="one SVG per backward turn (turn_001.svg, ...)")
    explain.add_argument("--html", type=output_path, metavar="FILE", help="one self-contained page to step through")
    explain.add_argument(  # --max-steps: its name of 0.1.0, kept for one release
        "--max-turns",
        "--max-steps",
        dest="max_turns",
        type=positive_int,
        default=DEFAULT_MAX_TURNS,
        help=f"refuse --html/--frames for a backward pass of more turns than this (default {DEFAULT_MAX_TURNS})",
    )
    explain.set_defaults(run=cmd_explain)

    compiled = commands.add_parser("compile", help="the course network as generated straight-line Python")
    compiled.add_argument("--show", action="store_true",
                          help="print the generated code (without it: only whether the replay equals the engine)")
    compiled.set_defaults(run=cmd_compile)

    hessian = commands.add_parser("hessian", help="second derivatives: the course network's 8x8 Hessian, or --expr's")
    hessian.add_argument("--expr", help="an expression (default: the course network's E_total by w1..w8)")
    hessian.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE",
                         help="a value for each of --expr's variables, e.g. x=1 y=2")
    hessian.add_argument("--csv", type=output_path, metavar="FILE", help="write the matrix, full precision, as CSV")
    hessian.add_argument("--digits", type=significant_digits, default=4, help="significant digits shown (default 4)")
    hessian.set_defaults(run=cmd_hessian)

    trainer = commands.add_parser("train", help="train a classifier on 2-D data (moons, yin-yang); --html: watch it")
    trainer.add_argument("--data", choices=("moons", "yinyang"), default="yinyang", help="data set (default yinyang)")
    trainer.add_argument("--hidden", type=positive_int, nargs="+", default=[8],
                         help="hidden layer sizes, e.g. --hidden 8 or --hidden 8 8 (default 8)")
    trainer.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw", help="default adamw")
    trainer.add_argument("--lr", type=positive_float, default=0.05, help="learning rate (default %(default)s)")
    trainer.add_argument("--steps", type=positive_int, default=1000, help="full-batch steps (default %(default)s)")
    trainer.add_argument("--seed", type=int, default=0, help="seed of the data and the weights (default 0)")
    trainer.add_argument("--html", type=output_path, metavar="FILE", help="write the page that shows the run")
    trainer.add_argument("--record", type=positive_int, default=200, help="steps the page shows (default 200)")
    trainer.add_argument("--max-mb", type=float, default=8.0, help="refuse a larger page (default 8; 0: no limit)")
    trainer.add_argument("--csv", type=output_path, metavar="FILE", help="write the loss history as CSV")
    trainer.set_defaults(run=cmd_train)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args``; a value that starts with '-' (``--expr -x*2``) gets a hint: ``--expr=-x*2``."""
    try:
        return parser.parse_args(argv)
    except CLIError as error:
        wanted = re.fullmatch(r"argument (\S+): expected one argument", str(error))
        options = wanted[1].split("/") if wanted else []
        for option, value in zip(argv, argv[1:]):
            if option in options and value.startswith("-"):
                raise CLIError(f"{error}: a value starting with '-' must be joined to it: {option}={value}") from None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    in_charge = threading.current_thread() is threading.main_thread()  # only the main thread may set a handler
    on_sigterm = signal.signal(signal.SIGTERM, _stop) if in_charge else None
    try:
        args = parse_arguments(parser, argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args) or 0
    except BrokenPipeError:  # the reader stopped early (`... | head`): not an error, nothing more to print
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the final flush fails silently
        return 141  # as if killed by SIGPIPE, the shell's convention
    except (CLIError, ValueError, ArithmeticError, OSError, ImportError, RuntimeError) as error:
        print(f"micrograd-lite: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("micrograd-lite: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: still one line, named so that it can be reported
        print(f"micrograd-lite: error: unexpected {type(error).__name__}: {one_line(error)}", file=sys.stderr)
        return 2
    finally:
        if in_charge:
            signal.signal(signal.SIGTERM, on_sigterm)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM stops the command as Ctrl-C does: what it was writing is removed, not left half-written."""
    raise KeyboardInterrupt




# The course's picture lives in micrograd_lite.course now (0.1.0 imported it from here): kept for one release.
__getattr__ = module_aliases(
    "micrograd_lite.cli",
    {
        "course_caption": ("micrograd_lite.course.course_caption", course.course_caption),
        "render_course_network": ("micrograd_lite.course.render_course_network", course.render_course_network),
    },
)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
