"""The ``micrograd-lite`` command line.

Every failure is reported on one line, with exit status 2, never a traceback,
and no output file is left half-written.
"""

from __future__ import annotations

import argparse
import math
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
    return {
        "rankdir": args.rankdir,
        "show_grad": not args.no_grad,
        "precision": args.precision,
        "max_nodes": args.max_nodes,
    }


def chosen_graph(args) -> tuple:
    """``(root, named nodes, params)`` after backward: ``--expr`` with its NAME=VALUE leaves, or the course network."""
    if args.expr is None:
        if args.variables:
            raise CLIError("NAME=VALUE assignments need --expr")
        network = course.backpropagated_network()
        return network["E_total"], network, [network[w] for w in course.WEIGHT_NAMES]
    from .engine import leaves
    from .expr import parse_expression

    root = parse_expression(args.expr, dict(args.variables))
    root.backward()
    return root, {leaf.label: leaf for leaf in leaves(root) if leaf.label}, ()


def cmd_graph(args) -> None:
    from .viz import render_graph

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
    from .plots import plot_loss_curves
    from .viz import render_graph
    from .workbook import write_workbook

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lr, epochs = DEFAULT_LR, args.epochs
    rows = course.train(lr, epochs)
    print(f"The course sheet, lr = {lr:g}, {epochs} epochs (first rows):")
    print_sheet(rows[:5], all_columns=False)
    worst = course.largest_formula_disagreement(rows)
    print(f"hand-derived gradient formulas vs backward(): largest disagreement {worst.error:.3g}\n")
    curves = course.sweep(course.LEARNING_RATES, epochs)
    print_final_losses(curves)

    network = course.backpropagated_network()
    params = [network[w] for w in course.WEIGHT_NAMES]
    written = {
        "the sheet, every column, full precision": write_csv(out / "sheet.csv", rows),
        "the sheet as a workbook with its loss chart": write_workbook(out / "sheet.xlsx", rows, lr),
    }
    rates = ", ".join(f"{x:g}" for x in curves)
    for name, log in (("loss_curves.png", False), ("loss_curves_log.png", True)):
        plot_loss_curves(curves, out / name, log_scale=log)
        written[f"E_total per epoch for lr {rates}" + (", log scale" if log else "")] = out / name
    for suffix in ("svg", "png"):
        path = render_graph(network["E_total"], out / f"network.{suffix}", params=params)
        written[f"the network's graph at epoch 0 with values and gradients ({suffix})"] = path
    print("\nWrote:")
    for what, path in written.items():
        print(f"  {path}  {what}")


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
    from .util import write_atomically

    root, named, params = chosen_graph(args)
    root.label = root.label or "f"  # an expression's result, named for the derivations
    default_wrt = list(course.WEIGHT_NAMES) if args.expr is None else list(named)
    outputs = [p for p in (args.html, args.trace_csv, args.trace_md) if p]
    check_outputs(outputs)
    for name in args.wrt or default_wrt:
        if name not in named:
            raise CLIError(f"--wrt {name}: no such variable (choose from {', '.join(default_wrt)})")
        derivation = explain.derive(root, named[name])
        print(derivation.latex() if args.latex else derivation.text())
        print(f"{'':4}= {named[name].grad!r}  (backward)\n")
    if args.trace or args.trace_csv or args.trace_md or args.frames or args.html:
        if args.frames or args.html:
            steps, frames = explain.trace_frames(root, params=params)
        else:
            steps, frames = explain.trace_backward(root), []
        if args.trace:
            print_table(explain.TRACE_COLUMNS, explain.trace_rows(steps, digits=6), full_width=True)
        if args.trace_csv:
            write_atomically(args.trace_csv, explain.trace_csv(steps).encode())
        if args.trace_md:
            write_atomically(args.trace_md, explain.trace_markdown(steps).encode())
        if args.frames:
            folder = Path(args.frames)
            folder.mkdir(parents=True, exist_ok=True)
            for i, svg in enumerate(frames, start=1):
                write_atomically(folder / f"step_{i:03d}.svg", svg.encode())
            print(f"wrote {len(frames)} frames to {folder}/")
        if args.html:
            write_atomically(args.html, explain.trace_html(steps, frames).encode())
        for path in outputs:
            print(f"wrote {path}")


def cmd_hessian(args) -> None:
    """The matrix of second derivatives: of E_total by w1..w8 at epoch 0, or of --expr by its variables."""
    import csv
    import io

    from .higher import hessian
    from .util import write_atomically

    check_outputs([args.csv] if args.csv else [])
    root, named, params = chosen_graph(args)
    wrt = list(params) if args.expr is None else list(named.values())
    if not wrt:
        raise CLIError("--expr: the expression has no variables to differentiate by (give NAME=VALUE)")
    names = [v.label for v in wrt]
    matrix = hessian(root, wrt)
    what = "E_total at the sheet's starting weights" if args.expr is None else args.expr
    print(f"Hessian of {what}: row i, column j is d²/d(row i) d(column j)")
    cells = [[name, *(f"{x:.{args.digits}g}" for x in row)] for name, row in zip(names, matrix)]
    print_table(["", *names], cells, full_width=True)
    if args.csv:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["", *names])
        writer.writerows([name, *map(repr, row)] for name, row in zip(names, matrix))  # full precision
        write_atomically(args.csv, text.getvalue().encode())
        print(f"wrote {args.csv}")


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
    graph.add_argument("--rankdir", choices=("LR", "TB"), default="LR")
    graph.add_argument("--no-grad", action="store_true", help="hide the gradients")
    graph.add_argument("--precision", type=positive_int, default=4, help="significant digits (default 4)")
    graph.add_argument("--max-nodes", type=positive_int, default=10_000)
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
    explain.set_defaults(run=cmd_explain)

    compiled = commands.add_parser("compile", help="the course network as generated straight-line Python")
    compiled.add_argument("--show", action="store_true", help="print the generated code")
    compiled.set_defaults(run=cmd_compile)

    hessian = commands.add_parser("hessian", help="second derivatives: the course network's 8x8 Hessian, or --expr's")
    hessian.add_argument("--expr", help="an expression (default: the course network's E_total by w1..w8)")
    hessian.add_argument("variables", nargs="*", type=assignment, metavar="NAME=VALUE")
    hessian.add_argument("--csv", metavar="FILE", help="write the matrix, full precision, as CSV")
    hessian.add_argument("--digits", type=positive_int, default=4, help="significant digits shown (default 4)")
    hessian.set_defaults(run=cmd_hessian)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        args.run(args)
        return 0
    except (CLIError, ValueError, ArithmeticError, OSError, ImportError, RuntimeError) as error:
        print(f"micrograd-lite: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("micrograd-lite: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
