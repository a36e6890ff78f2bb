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
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from .. import course
from ..errors import CLIError
from ..show.notation import format_number, table_text
from ..show.viz import DEFAULT_MAX_NODES
from ..util import install_command, is_stream
from ..version import __version__

if TYPE_CHECKING:
    from ..core.engine import Value

T = TypeVar("T")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
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


def tolerance(largest: float, why: str) -> Callable[[str], float]:
    """An argument type: a number from 0 to ``largest``; beyond it, ``why`` says what it would let through."""

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (0 <= x <= largest):
            raise argparse.ArgumentTypeError(f"must be from 0 to {largest:g} ({why}), got {text!r}")
        return x

    return parse


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return n


def significant_digits(text: str) -> int:
    """1 to 17: beyond 17 digits a float's decimal expansion shows binary noise (0.4 as 0.400000000000000022…)."""
    n = positive_int(text)
    if n > 17:
        raise argparse.ArgumentTypeError(f"at most 17 (a float holds 17 significant digits), got {text!r}")
    return n


def output_path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an output file name is empty")
    return text


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


def draw_options(args: argparse.Namespace) -> dict[str, object]:
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


def render_course_network(path: str | os.PathLike[str], **draw_options: object) -> Path:
    """The course network at epoch 0, as the README and ``demo`` show it: top to bottom, constants folded."""
    from ..show.viz import render_graph

    network = course.backpropagated_network()
    options = {"rankdir": "TB", "fold_constants": True, "name_intermediates": True, "caption": course_caption()}
    options.update(draw_options)
    return render_graph(network["E_total"], path, params=[network[w] for w in course.WEIGHT_NAMES], **options)


def chosen_graph(args: argparse.Namespace) -> tuple[Value, dict[str, Value], Sequence[Value]]:
    """``(root, named nodes, params)`` after backward: ``--expr`` with its NAME=VALUE leaves, or the course network."""
    if args.expr is None:
        if args.variables:
            raise CLIError("NAME=VALUE assignments need --expr")
        network = course.backpropagated_network()
        return network["E_total"], network, [network[w] for w in course.WEIGHT_NAMES]
    from ..core.engine import leaves
    from ..core.expr import parse_expression

    values = variable_values(args.variables)
    root = parse_expression(args.expr, values)
    check_finite(root, values)
    root.backward()  # a derivative too large for a float raises the engine's OverflowError, saying where
    named = {leaf.label: leaf for leaf in leaves(root) if leaf.label}
    return root, named, ()


def check_finite(root: Value, values: dict[str, float]) -> None:
    """Finite inputs can still overflow (``x*1e308*10``): refuse an infinite value, before its derivatives."""
    if not math.isfinite(root.data):
        at = " ".join(f"{name}={value!r}" for name, value in values.items())
        raise CLIError(f"the expression is {root.data!r} at {at}: too large for a float")


def unused_name(name: str, taken: Container[str]) -> str:
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


def cmd_graph(args: argparse.Namespace) -> None:
    from ..show.viz import render_graph

    if args.expr is None and not args.variables:
        path = render_course_network(args.out, **draw_options(args))
    else:
        root, _, params = chosen_graph(args)
        path = render_graph(root, args.out, params=params, **draw_options(args))
    print(f"wrote {path}")


def cmd_sheet(args: argparse.Namespace) -> int:
    if args.compare:
        return compare_sheet(args)
    outputs = [p for p in (args.csv, args.xlsx) if p]
    check_outputs(outputs)
    check_sheet_size(args)
    if args.xlsx:
        if Path(args.xlsx).suffix.lower() != ".xlsx":  # Excel refuses to trust a workbook named .xls or .ods
            raise CLIError(f"--xlsx {args.xlsx}: the workbook is an .xlsx file; name it {Path(args.xlsx).stem}.xlsx")
        course.workbook.require_xlsxwriter()  # a missing extra is said before the run, not after it
    lr = args.lr or DEFAULT_LR
    shown = ShownRows()
    worst: list[course.FormulaGap] = []  # the largest gap between the hand-derived formulas and backward(), for --check
    rows: Iterable[dict[str, float]] = shown.watch(progress(course.iter_rows(lr, args.epochs), args.epochs, "epochs"))
    if args.check:
        rows = _track_formula_gap(rows, worst)
    if args.xlsx:
        rows = list(rows)  # the workbook is built in memory: its size is bounded by check_sheet_size
    if args.csv:
        course.write_csv(args.csv, rows)
    else:
        for _ in rows:
            pass
    if args.xlsx:
        assert isinstance(rows, list)  # kept in memory above
        course.write_workbook(args.xlsx, rows, lr)
    print_sheet(shown, all_columns=args.all_columns)
    if args.check:
        print(
            f"hand-derived formulas vs backward(), {args.epochs} rows x 8 gradients: "
            + (
                f"largest disagreement {worst[0].error:.3g} ({worst[0].column}, epoch {worst[0].epoch})"
                if worst[0].error
                else "largest disagreement 0 (every gradient equal to the last bit)"
            )
        )
    for path in outputs:
        print(f"wrote {path}")
    return 0


def _track_formula_gap(
    rows: Iterable[dict[str, float]], worst: list[course.FormulaGap]
) -> Iterator[dict[str, float]]:
    """Pass ``rows`` through, keeping in ``worst[0]`` the largest formula-vs-backward gap seen so far."""
    for row in rows:
        gap = course.largest_formula_disagreement([row])
        if not worst or gap.error > worst[0].error:
            worst[:] = [gap]
        yield row


def check_sheet_size(args: argparse.Namespace) -> None:
    """Refuse, before any work, a run whose files cannot fit: one line saying why."""
    if args.xlsx and args.epochs > WORKBOOK_MAX_EPOCHS:
        raise CLIError(
            f"--xlsx holds at most {WORKBOOK_MAX_EPOCHS} epochs (the workbook is built in memory), "
            f"not {args.epochs}; --csv streams any number"
        )
    if args.csv and not is_stream(args.csv):  # --csv /dev/stdout takes no disk space
        folder = Path(args.csv).resolve().parent
        needed, free = args.epochs * course.csvfile.BYTES_PER_ROW, shutil.disk_usage(folder).free
        if needed > free:
            raise CLIError(
                f"--epochs {args.epochs}: the CSV can take up to {needed / 1e9:.3g} GB and {folder} "
                f"has {free / 1e9:.3g} GB free"
            )


def compare_sheet(args: argparse.Namespace) -> int:
    """Check every table in a learner's file: exit status 0 all agree, 1 a disagreement, 2 a worksheet unreadable
    or with nothing to compare (like diff, trouble wins)."""
    written = [option for option, value in (("--csv", args.csv), ("--xlsx", args.xlsx)) if value is not None]
    if written:
        raise CLIError(f"--compare only reads FILE and writes nothing: leave out {' and '.join(written)}")
    reports = course.check_file(args.compare, lr=args.lr, rtol=args.rtol, atol=args.atol, progress=progress)
    for report in reports:  # a worksheet that cannot be read, or compares nothing, is an error line of its own
        if report.status == 2:
            print(f"micrograd-lite: error: {one_line(report)}", file=sys.stderr)
        else:
            print(report)
    return max(report.status for report in reports)


def cmd_sweep(args: argparse.Namespace) -> int:
    course.plots.format_of(args.out)  # before training, not after
    check_outputs([args.out])
    if args.epochs * len(args.lrs) > SWEEP_MAX_POINTS:
        raise CLIError(
            f"sweep plots every epoch: {len(args.lrs)} learning rates x {args.epochs} epochs is more than "
            f"{SWEEP_MAX_POINTS} points; use fewer --epochs (or `sheet --csv` for one long run)"
        )
    curves = course.sweep(args.lrs, args.epochs, progress=progress)
    course.plot_loss_curves(curves, args.out, layout="linear" if args.linear else "log")
    print_final_losses(curves)
    print(f"wrote {args.out}")
    return 0


def cmd_demo(args: argparse.Namespace) -> None:
    """The main job: the sheet, the learning-rate sweep and the network picture, into one folder."""
    check_demo_installed()

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out}: a file of that name exists; demo writes into a folder")
    out.mkdir(parents=True, exist_ok=True)
    lr, epochs = DEFAULT_LR, args.epochs
    rows = course.train(lr, epochs)
    print(f"The course sheet, lr = {lr:g}, {epochs} epochs (first rows):")
    print_table(COMPACT_COLUMNS, [sheet_cells(row, COMPACT_COLUMNS) for row in rows[:5]])
    worst = course.largest_formula_disagreement(rows)
    print(f"hand-derived gradient formulas vs backward(): largest disagreement {worst.error:.3g}\n")
    curves = course.sweep(course.LEARNING_RATES, epochs)
    print_final_losses(curves)

    written = {
        "the sheet, every column, full precision": course.write_csv(out / "sheet.csv", rows),
        "the sheet as a live workbook (formulas, its loss chart)": course.write_workbook(out / "sheet.xlsx", rows, lr),
    }
    rates = ", ".join(f"{x:g}" for x in curves)
    for name, layout in (("loss_curves.png", "log"), ("loss_curves_linear.png", "linear")):
        course.plot_loss_curves(curves, out / name, layout=layout)
        written[f"E_total per epoch for lr {rates}, {layout} scale"] = out / name
    for suffix in ("svg", "png"):
        path = render_course_network(out / f"network.{suffix}")
        written[f"the network's graph at epoch 0 with values and gradients ({suffix})"] = path
    print("\nWrote:")
    for what, path in written.items():
        print(f"  {path}  {what}")


# What the demo needs beyond the engine: (module, the extra that installs it), and Graphviz's program.
DEMO_NEEDS = (("matplotlib", "plots"), ("xlsxwriter", "spreadsheets"))
DEMO_PROGRAM = "dot"


def check_demo_installed() -> None:
    """Name every missing package (and a missing ``dot``) in one error, before any work is done."""
    missing = [(module, extra) for module, extra in DEMO_NEEDS if importlib.util.find_spec(module) is None]
    problems = []
    if missing:
        modules = ", ".join(module for module, _ in missing)
        extras = ",".join(dict.fromkeys(extra for _, extra in missing))
        problems.append(f"{modules} not installed: {install_command(extras)}")
    if shutil.which(DEMO_PROGRAM) is None:
        problems.append(f"Graphviz's {DEMO_PROGRAM} program not found: install Graphviz (see graphviz.org/download)")
    if problems:
        raise CLIError("demo needs " + "; and ".join(problems))


def cmd_compile(args: argparse.Namespace) -> None:
    from ..transforms.compile import compile_graph

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


def cmd_explain(args: argparse.Namespace) -> None:
    from ..show import explain

    root, named, params = chosen_graph(args)
    root.label = root.label or unused_name("f", named)  # an expression's result, named for the derivations
    default_wrt = list(course.WEIGHT_NAMES) if args.expr is None else list(named)
    if not default_wrt:
        raise CLIError(f"--expr {args.expr!r} has no variables: nothing to differentiate (e.g. --expr 'x*3' x=2)")
    check_outputs([p for p in (args.html, args.log_csv, args.log_md) if p])
    if args.frames or args.html:  # before any work: a page too large is refused, a large one announced
        from ..show.stepper import check_size

        turns, size = check_size(root, args.max_steps)
        announce = f"the backward pass has {steps_text(turns)}; the page will be about {size / 1000:,.0f} KB"
        print(announce, file=sys.stderr)
    for name in args.wrt or default_wrt:
        if name not in named:
            raise CLIError(f"--wrt {name}: no such variable (choose from {', '.join(default_wrt)})")
        derivation = explain.derive(root, named[name])
        print(derivation.latex() if args.latex else derivation.text())
        print(f"{'':4}= {named[name].grad!r}  (computed by backward())\n")
    if args.log or args.log_csv or args.log_md or args.frames or args.html:
        write_backward_log(args, root, params)


def write_backward_log(args: argparse.Namespace, root: Value, params: Sequence[Value]) -> None:
    """The backward pass turn by turn: a table, CSV, Markdown, SVG frames, the stepper page."""
    from ..show import backward_log
    from ..util import write_atomically

    if args.frames or args.html:
        from ..show.stepper import build_stepper

        stepper = build_stepper(root, params=params, max_steps=args.max_steps)
        rows = stepper.log
    else:
        rows = backward_log.log_backward(root)
    if args.log:
        print_table(backward_log.LOG_COLUMNS, backward_log.log_rows(rows, digits=6))
    if args.log_csv:
        write_atomically(args.log_csv, backward_log.log_csv(rows).encode())
        print(f"wrote {args.log_csv}")
    if args.log_md:
        write_atomically(args.log_md, backward_log.log_markdown(rows).encode())
        print(f"wrote {args.log_md}")
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


def cmd_train(args: argparse.Namespace) -> None:
    """Train a classifier on moons or yin-yang; the loss every few steps, the test accuracy, the page, the CSV."""
    from ..transforms.training import TrainConfig, train
    from ..util import write_atomically

    config = TrainConfig(data=args.data, hidden=tuple(args.hidden), optimizer=args.optimizer, lr=args.lr,
                         steps=args.steps, seed=args.seed, record=args.record)  # fmt: skip
    config.check()
    if not (math.isfinite(args.max_mb) and args.max_mb >= 0):
        raise CLIError(f"--max-mb must be a number of megabytes >= 0 (0: no limit), got {args.max_mb:g}")
    check_outputs([path for path in (args.html, args.csv) if path])
    if args.html:
        from ..core.datasets import DATASETS
        from ..show.trainpage import check_size
        from ..show.viz import pipe

        pipe("digraph {}", "svg")  # the page's graphs need Graphviz's dot: a missing one is said before training
        size = check_size(config, len(DATASETS[args.data][0]), None if args.max_mb == 0 else int(args.max_mb * 1e6))
        print(f"the page will be about {size / 1e6:.1f} MB ({min(config.record, config.steps)} recorded steps)")
    bar = sys.stderr.isatty()

    def report(step: int, train_loss: float, val_loss: float) -> None:
        if bar:
            sys.stderr.write("\r\033[K")  # clear the progress bar's line; it is drawn again on the next step
        print(f"step {step:>{len(str(args.steps))}}: train loss {train_loss:.4g}, validation loss {val_loss:.4g}")

    def steps_bar(items: Iterable[T], total: int, what: str) -> Iterator[T]:
        return progress(items, total, what, minimum=1)

    run = train(config, progress=steps_bar, report=report, report_every=max(1, args.steps // 10))
    print(f"test accuracy {run.test_accuracy:.2%} ({len(run.dataset.test)} points), {run.seconds:.1f} s of training")
    if args.csv:
        write_atomically(args.csv, run.csv().encode())
        print(f"wrote {args.csv}")
    if args.html:
        from ..show.trainpage import page_html

        page = page_html(run).encode()
        write_atomically(args.html, page)
        print(f"wrote {args.html} ({len(run.records)} recorded steps, {len(page) / 1e6:.1f} MB)")


def cmd_hessian(args: argparse.Namespace) -> None:
    """The matrix of second derivatives: of E_total by w1..w8 at epoch 0, or of --expr by its variables."""
    import csv
    import io

    from ..transforms.higher import hessian
    from ..util import write_atomically

    check_outputs([args.csv] if args.csv else [])
    root, named, params = chosen_graph(args)
    wrt = list(params) if args.expr is None else list(named.values())
    if not wrt:
        raise CLIError("--expr: the expression has no variables to differentiate by (give NAME=VALUE)")
    names = [v.label for v in wrt]
    matrix = hessian(root, wrt)  # an infinite f'' (5e307·x³ at 1) raises the engine's OverflowError, saying where
    what = "E_total at the sheet's starting weights" if args.expr is None else args.expr
    print(f"Hessian of {what}: row i, column j is d²/d(row i) d(column j)")
    cells = [[name, *(format_number(x, args.digits) for x in row)] for name, row in zip(names, matrix)]
    print_table(["", *names], cells)
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
COMPACT_COLUMNS = ("epoch", "w1", "w5", "E_total", "dE_dw1", "dE_dw5")  # fits 80 columns, nothing cut short
TABLE_HEAD, TABLE_TAIL = 10, 10  # a long run prints its first and last rows only
WORKBOOK_MAX_EPOCHS = 100_000
SWEEP_MAX_POINTS = 2_000_000  # about 64 MB of floats held for the figure


class ShownRows:
    """The rows the terminal shows: the first ``TABLE_HEAD`` and the last ``TABLE_TAIL``, in bounded memory."""

    def __init__(self) -> None:
        self.head: list[dict[str, float]] = []
        self.tail: deque[dict[str, float]] = deque(maxlen=TABLE_TAIL)
        self.count = 0

    def watch(self, rows: Iterable[dict[str, float]]) -> Iterator[dict[str, float]]:
        for row in rows:
            self.count += 1
            if len(self.head) < TABLE_HEAD:
                self.head.append(row)
            else:
                self.tail.append(row)
            yield row


def progress(
    items: Iterable[T], total: int, what: str, stream: TextIO | None = None, minimum: int = 10_000
) -> Iterator[T]:
    """Pass ``items`` through; a progress bar on ``stream`` (stderr) when it is a terminal and ``total >= minimum``."""
    stream = stream or sys.stderr
    if total < minimum or not stream.isatty():
        yield from items
        return
    step = max(1, total // 200)
    try:
        for done, item in enumerate(items):
            if done % step == 0:
                filled = 30 * done // total
                stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {what}")
                stream.flush()
            yield item
    finally:  # also when the loop stops early (a table's end, its first wrong row) or is interrupted
        stream.write(f"\r{' ' * (60 + len(what))}\r")
        stream.flush()


def sheet_cells(row: Mapping[str, float], columns: Sequence[str]) -> list[str]:
    """One row of the terminal table: numbers to 5 significant digits (the files keep full precision)."""
    return [f"{int(row[c]):d}" if c == "epoch" else format_number(row[c], 5) for c in columns]


def print_sheet(shown: ShownRows, all_columns: bool) -> None:
    """The sheet as a terminal table: every row of a short run, the first and last rows of a long one."""
    columns = course.COLUMNS if all_columns else COMPACT_COLUMNS
    cells = [sheet_cells(row, columns) for row in shown.head]
    skipped = shown.count - len(shown.head) - len(shown.tail)
    if skipped:
        cells.append(["…"] * len(columns))
    cells += [sheet_cells(row, columns) for row in shown.tail]
    print_table(columns, cells)
    if skipped:
        print(f"({skipped} rows not shown: --csv writes every row)")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table (:func:`~micrograd_lite.notation.table_text`) on standard output."""
    print(table_text(headers, rows), end="")


def print_final_losses(curves: Mapping[float, Sequence[float]]) -> None:
    print("learning rate   final E_total")
    for lr, losses in curves.items():
        print(f"{lr:>13g}   {losses[-1]:.6g}")


def check_outputs(paths: Iterable[str]) -> None:
    from ..util import check_writable

    try:
        check_writable(paths)
    except OSError as error:
        raise CLIError(str(error)) from None


# ----------------------------------------------------------------------
# The parser.
# ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from ..show.stepper import DEFAULT_MAX_STEPS

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
    explain.add_argument("--frames", type=output_path, metavar="DIR", help="one SVG per backward step")
    explain.add_argument("--html", type=output_path, metavar="FILE", help="one self-contained page to step through")
    explain.add_argument(
        "--max-steps",
        type=positive_int,
        default=DEFAULT_MAX_STEPS,
        help=f"refuse --html/--frames for a backward pass longer than this (default {DEFAULT_MAX_STEPS})",
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


def one_line(error: object) -> str:
    """An error's (or a report's) message on one line (its lines joined by spaces), or its type if it has no message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
