"""The ``micrograd-lite`` command line.

Every failure is reported on one line, with exit status 2, never a traceback,
and no output file is left half-written.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from . import sheet as course
from .errors import CLIError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage too)."""

    def error(self, message: str):  # type: ignore[override]
        raise CLIError(message)


# ----------------------------------------------------------------------
# Argument types.
# ----------------------------------------------------------------------


def positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return x


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return n


def assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: not a number: {value!r}") from None


# ----------------------------------------------------------------------
# Commands.
# ----------------------------------------------------------------------


def draw_options(args) -> dict:
    """``draw_dot``'s options from the command line (those not given keep draw_dot's defaults)."""
    options = {
        "rankdir": args.rankdir,
        "show_grad": not args.no_grad,
        "precision": args.precision,
        "max_nodes": args.max_nodes,
        "fold_constants": not args.draw_constants,
        "name_intermediates": True,
        "caption": args.caption,
    }
    return {name: value for name, value in options.items() if value is not None}


def course_caption(lr: float | None = None) -> str:
    """What the course network's picture shows: the sheet's first row (at the default learning rate)."""
    lr = DEFAULT_LR if lr is None else lr
    return f"The course network at epoch 0 (learning rate {lr:g}): values and ∂E_total/∂value"


def render_course_network(path, **draw_options) -> Path:
    """The course network at epoch 0, as the README and ``demo`` show it: top to bottom, constants folded."""
    from .viz import render_graph

    network = course.backpropagated_network()
    options = {"rankdir": "TB", "fold_constants": True, "name_intermediates": True, "caption": course_caption()}
    options.update(draw_options)
    return render_graph(network["E_total"], path, params=[network[w] for w in course.WEIGHT_NAMES], **options)


def chosen_graph(args) -> tuple:
    """``(root, named nodes, params)`` after backward: ``--expr`` with its NAME=VALUE leaves, or the course network."""
    if args.expr is None:
        if args.variables:
            raise CLIError("NAME=VALUE assignments need --expr")
        network = course.backpropagated_network()
        return network["E_total"], network, [network[w] for w in course.WEIGHT_NAMES]
    from .engine import leaves
    from .expr import parse_expression

    values = variable_values(args.variables)
    root = parse_expression(args.expr, values)
    root.backward()
    named = {leaf.label: leaf for leaf in leaves(root) if leaf.label}
    check_finite(root, named, values)
    return root, named, ()


def check_finite(root, named: dict, values: dict[str, float]) -> None:
    """Finite inputs can still overflow (``x*1e308*10``): refuse an infinite value or derivative."""
    at = " ".join(f"{name}={value!r}" for name, value in values.items())
    if not math.isfinite(root.data):
        raise CLIError(f"the expression is {root.data!r} at {at}: too large for a float")
    for name, leaf in named.items():
        if not math.isfinite(leaf.grad):
            raise CLIError(f"the derivative by {name} is {leaf.grad!r} at {at}: too large for a float")


def unused_name(name: str, taken) -> str:
    """``name``, or ``name_1``, ``name_2``, ... : the first that is not in ``taken`` (f*f names its result f_1)."""
    candidates = itertools.chain([name], (f"{name}_{k}" for k in itertools.count(1)))
    return next(candidate for candidate in candidates if candidate not in taken)


def variable_values(assignments: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The NAME=VALUE arguments as a dict; a name given twice is an error, not silently the last one."""
    values: dict[str, float] = {}
    for name, value in assignments:
        if name in values:
            raise CLIError(f"{name} is given twice ({name}={values[name]!r} and {name}={value!r}): give it once")
        values[name] = value
    return values


def cmd_graph(args) -> None:
    from .viz import render_graph

    if args.expr is None and not args.variables:
        path = render_course_network(args.out, **draw_options(args))
    else:
        root, _, params = chosen_graph(args)
        path = render_graph(root, args.out, params=params, **draw_options(args))
    print(f"wrote {path}")


def cmd_sheet(args) -> None:
    if args.compare:
        return compare_sheet(args)
    outputs = [p for p in (args.csv, args.xlsx) if p]
    check_outputs(outputs)
    lr = args.lr or DEFAULT_LR
    rows = course.train(lr, args.epochs)
    print_sheet(rows, all_columns=args.all_columns)
    if args.check:
        worst = course.largest_formula_disagreement(rows)
        print(
            f"hand-derived formulas vs backward(), {len(rows)} rows x 8 gradients: "
            f"largest disagreement {worst.error:.3g} ({worst.column}, epoch {worst.epoch:g})"
        )
    if args.csv:
        write_csv(args.csv, rows)
    if args.xlsx:
        from .workbook import write_workbook

        write_workbook(args.xlsx, rows, lr)
    for path in outputs:
        print(f"wrote {path}")


def compare_sheet(args) -> None:
    rows = course.read_sheet(args.compare)
    found = course.check_sheet(rows, lr=args.lr, rtol=args.rtol)  # lr given: check the updates too
    if found is None:
        print(f"{args.compare}: all {len(rows)} rows agree with the engine (rtol {args.rtol:g})")
        return
    raise CLIError(f"{args.compare}: first disagreement at {found}")


def cmd_sweep(args) -> None:
    from .plots import plot_loss_curves

    check_outputs([args.out])
    curves = course.sweep(args.lrs, args.epochs)
    plot_loss_curves(curves, args.out, log_scale=args.log)
    print_final_losses(curves)
    print(f"wrote {args.out}")


def cmd_demo(args) -> None:
    """The main job: the sheet, the learning-rate sweep and the network picture, into one folder."""
    check_demo_installed()
    from .plots import plot_loss_curves
    from .workbook import write_workbook

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out}: a file of that name exists; demo writes into a folder")
    out.mkdir(parents=True, exist_ok=True)
    lr, epochs = DEFAULT_LR, args.epochs
    rows = course.train(lr, epochs)
    print(f"The course sheet, lr = {lr:g}, {epochs} epochs (first rows):")
    print_sheet(rows[:5], all_columns=False)
    worst = course.largest_formula_disagreement(rows)
    print(f"hand-derived gradient formulas vs backward(): largest disagreement {worst.error:.3g}\n")
    curves = course.sweep(course.LEARNING_RATES, epochs)
    print_final_losses(curves)

    written = {
        "the sheet, every column, full precision": write_csv(out / "sheet.csv", rows),
        "the sheet as a workbook with its loss chart": write_workbook(out / "sheet.xlsx", rows, lr),
    }
    rates = ", ".join(f"{x:g}" for x in curves)
    for name, log in (("loss_curves.png", False), ("loss_curves_log.png", True)):
        plot_loss_curves(curves, out / name, log_scale=log)
        written[f"E_total per epoch for lr {rates}" + (", log scale" if log else "")] = out / name
    for suffix in ("svg", "png"):
        path = render_course_network(out / f"network.{suffix}")
        written[f"the network's graph at epoch 0 with values and gradients ({suffix})"] = path
    print("\nWrote:")
    for what, path in written.items():
        print(f"  {path}  {what}")


# What the demo needs beyond the engine: (module, the extra that installs it), and Graphviz's program.
DEMO_NEEDS = (("matplotlib", "plots"), ("graphviz", "graphviz"), ("openpyxl", "spreadsheets"), ("rich", "spreadsheets"))
DEMO_PROGRAM = "dot"


def check_demo_installed() -> None:
    """Name every missing package (and a missing ``dot``) in one error, before any work is done."""
    missing = [(module, extra) for module, extra in DEMO_NEEDS if importlib.util.find_spec(module) is None]
    problems = []
    if missing:
        modules = ", ".join(module for module, _ in missing)
        extras = ",".join(dict.fromkeys(extra for _, extra in missing))
        problems.append(f"{modules} not installed: pip install 'micrograd-lite[{extras}]'")
    if shutil.which(DEMO_PROGRAM) is None:
        problems.append(f"Graphviz's {DEMO_PROGRAM} program not found: install Graphviz (see graphviz.org/download)")
    if problems:
        raise CLIError("demo needs " + "; and ".join(problems))


def cmd_compile(args) -> None:
    from .compile import compile_graph

    network = course.build_network()
    inputs = [network[name] for name in (*course.INPUTS, *course.TARGETS)]
    params = [network[w] for w in course.WEIGHT_NAMES]
    compiled = compile_graph(network["E_total"], inputs=inputs, params=params)
    if args.show:
        print(compiled.source, end="")
    value, _, grads = compiled([*course.INPUTS.values(), *course.TARGETS.values()], list(course.WEIGHTS.values()))
    network["E_total"].backward()
    same = value == network["E_total"].data and list(grads) == [p.grad for p in params]
    print(f"# replay at the sheet's epoch 0: E_total = {value!r}; equal to the eager engine bit for bit: {same}")


def cmd_explain(args) -> None:
    from . import explain

    root, named, params = chosen_graph(args)
    root.label = root.label or unused_name("f", named)  # an expression's result, named for the derivations
    default_wrt = list(course.WEIGHT_NAMES) if args.expr is None else list(named)
    if not default_wrt:
        raise CLIError(f"--expr {args.expr!r} has no variables: nothing to differentiate (e.g. --expr 'x*3' x=2)")
    check_outputs([p for p in (args.html, args.trace_csv, args.trace_md) if p])
    if args.frames or args.html:  # before any work: a page too large is refused, a large one announced
        from .stepper import check_size

        turns, size = check_size(root, args.max_steps)
        announce = f"the backward pass has {steps_text(turns)}; the page will be about {size / 1000:,.0f} KB"
        print(announce, file=sys.stderr)
    for name in args.wrt or default_wrt:
        if name not in named:
            raise CLIError(f"--wrt {name}: no such variable (choose from {', '.join(default_wrt)})")
        derivation = explain.derive(root, named[name])
        print(derivation.latex() if args.latex else derivation.text())
        print(f"{'':4}= {named[name].grad!r}  (backward)\n")
    if args.trace or args.trace_csv or args.trace_md or args.frames or args.html:
        write_trace(args, root, params)


def write_trace(args, root, params) -> None:
    """The backward pass step by step: a table, CSV, Markdown, SVG frames, the stepper page."""
    from . import trace
    from .util import write_atomically

    if args.frames or args.html:
        from .stepper import build_stepper

        stepper = build_stepper(root, params=params, max_steps=args.max_steps)
        steps = stepper.steps
    else:
        steps = trace.trace_backward(root)
    if args.trace:
        print_table(trace.TRACE_COLUMNS, trace.trace_rows(steps, digits=6), full_width=True)
    if args.trace_csv:
        write_atomically(args.trace_csv, trace.trace_csv(steps).encode())
        print(f"wrote {args.trace_csv}")
    if args.trace_md:
        write_atomically(args.trace_md, trace.trace_markdown(steps).encode())
        print(f"wrote {args.trace_md}")
    if args.frames:
        folder = Path(args.frames)
        folder.mkdir(parents=True, exist_ok=True)
        frames = stepper.frames()
        for i, svg in enumerate(frames, start=1):
            write_atomically(folder / f"step_{i:03d}.svg", svg.encode())
        print(f"wrote {len(frames)} frames to {folder}/")
    if args.html:
        page = stepper.html().encode()
        write_atomically(args.html, page)
        print(f"wrote {args.html} ({steps_text(len(stepper.turns))}, {len(page) / 1000:,.0f} KB)")


def steps_text(count: int) -> str:
    return f"{count:,} step" + ("" if count == 1 else "s")


# ----------------------------------------------------------------------
# Output helpers.
# ----------------------------------------------------------------------

DEFAULT_LR = 0.5
COMPACT_COLUMNS = ("epoch", "w1", "w5", "a_o1", "a_o2", "E_total", "dE_dw1", "dE_dw5")


def print_sheet(rows, all_columns: bool) -> None:
    """The sheet as a terminal table, numbers rounded (the files keep full precision)."""
    columns = course.COLUMNS if all_columns else COMPACT_COLUMNS
    cells = [[f"{row[c]:d}" if c == "epoch" else f"{row[c]:.5g}" for c in columns] for row in rows]
    print_table(columns, cells, full_width=all_columns)


def print_table(headers, rows, full_width: bool = False) -> None:
    """A right-aligned terminal table (rich); ``full_width``: wider than the terminal if it must be."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        raise CLIError("the table needs rich: pip install 'micrograd-lite[spreadsheets]'") from None
    table = Table(show_lines=False, header_style="bold", pad_edge=False)
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for row in rows:
        table.add_row(*row)
    console = Console()
    if full_width:  # every column at full width, like a spreadsheet, even if wider than the terminal
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
        console = Console(width=max(console.width, sum(widths) + 3 * len(widths) + 1))
    console.print(table)


def print_final_losses(curves) -> None:
    print("learning rate   final E_total")
    for lr, losses in curves.items():
        print(f"{lr:>13g}   {losses[-1]:.6g}")


def write_csv(path, rows) -> Path:
    from .util import write_atomically

    write_atomically(path, course.rows_to_csv(rows).encode())
    return Path(path)


def check_outputs(paths) -> None:
    from .util import check_writable

    try:
        check_writable(paths)
    except OSError as error:
        raise CLIError(str(error)) from None


# ----------------------------------------------------------------------
# The parser.
# ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from .stepper import DEFAULT_MAX_STEPS

    parser = _Parser(
        prog="micrograd-lite",
        description="A readable scalar autodiff engine: draw graphs, reproduce the backprop sheet.",
    )
    parser.add_argument("--version", action="version", version=f"micrograd-lite {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser("demo", help="the main job: sheet, workbook, loss curves, network graph")
    demo.add_argument("--out", default="out", help="folder for every file (default: out)")
    demo.add_argument("--epochs", type=positive_int, default=100)
    demo.set_defaults(run=cmd_demo)

    graph = commands.add_parser("graph", help="draw a graph with every value and gradient")
    graph.add_argument("--out", required=True, help="picture file: .svg, .png, .pdf or .dot")
    graph.add_argument("--expr", help='an expression, e.g. "tanh(x*w + b)" (default: the course network)')
    graph.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE")
    graph.add_argument("--rankdir", choices=("LR", "TB"), help="layout direction (default: TB for the course, else LR)")
    graph.add_argument("--no-grad", action="store_true", help="hide the gradients")
    graph.add_argument("--precision", type=positive_int, default=4, help="significant digits (default 4)")
    graph.add_argument("--max-nodes", type=positive_int, default=10_000)
    graph.add_argument("--draw-constants", action="store_true", help="draw constants as nodes (default: in their op)")
    graph.add_argument("--caption", help="a title above the picture (default for the course: epoch and learning rate)")
    graph.set_defaults(run=cmd_graph)

    sheet = commands.add_parser("sheet", help="the course sheet: one row per epoch")
    sheet.add_argument("--lr", type=positive_float, default=None, help="learning rate (default 0.5)")
    sheet.add_argument("--epochs", type=positive_int, default=100)
    sheet.add_argument("--csv", help="write every column, full precision, to this CSV")
    sheet.add_argument("--xlsx", help="write the workbook (inputs block, formulas, table, chart)")
    sheet.add_argument("--all-columns", action="store_true", help="print every column")
    sheet.add_argument("--check", action="store_true", help="compare the hand-derived formulas with backward()")
    sheet.add_argument("--compare", metavar="FILE", help="point at the first cell of your CSV/xlsx that is wrong")
    sheet.add_argument("--rtol", type=positive_float, default=1e-9, help="tolerance for --compare")
    sheet.set_defaults(run=cmd_sheet)

    sweep = commands.add_parser("sweep", help="loss curves for several learning rates")
    sweep.add_argument("--lrs", type=positive_float, nargs="+", default=list(course.LEARNING_RATES))
    sweep.add_argument("--epochs", type=positive_int, default=100)
    sweep.add_argument("--out", default="loss.png", help="figure file (.png, .svg, .pdf)")
    sweep.add_argument("--log", action="store_true", help="log-scale loss axis")
    sweep.set_defaults(run=cmd_sweep)

    explain = commands.add_parser("explain", help="derive gradients by the chain rule; trace the backward pass")
    explain.add_argument("--wrt", action="append", help="the variable to differentiate by (repeatable; default: all)")
    explain.add_argument("--expr", help="an expression (default: the course network's E_total)")
    explain.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE")
    explain.add_argument("--latex", action="store_true", help="print LaTeX (for Markdown) instead of plain text")
    explain.add_argument("--trace", action="store_true", help="print the backward pass step by step (a table)")
    explain.add_argument("--trace-csv", metavar="FILE", help="write the trace as CSV")
    explain.add_argument("--trace-md", metavar="FILE", help="write the trace as Markdown")
    explain.add_argument("--frames", metavar="DIR", help="one SVG per backward step")
    explain.add_argument("--html", metavar="FILE", help="one self-contained page to step through")
    explain.add_argument(
        "--max-steps",
        type=positive_int,
        default=DEFAULT_MAX_STEPS,
        help=f"refuse --html/--frames for a backward pass longer than this (default {DEFAULT_MAX_STEPS})",
    )
    explain.set_defaults(run=cmd_explain)

    compiled = commands.add_parser("compile", help="the course network as generated straight-line Python")
    compiled.add_argument("--show", action="store_true", help="print the generated code")
    compiled.set_defaults(run=cmd_compile)
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
    try:
        args = parse_arguments(parser, argv)
        if args.command is None:
            parser.print_help()
            return 0
        args.run(args)
        return 0
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


def one_line(error: BaseException) -> str:
    """The error's message on one line (its lines joined by spaces), or its type if it has no message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
