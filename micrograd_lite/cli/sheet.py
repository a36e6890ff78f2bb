"""The course's commands: ``sheet`` computes (or, with --compare, checks) the sheet, ``sweep`` plots learning rates,
``demo`` writes everything into one folder."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from .. import course
from ..errors import CLIError
from ..show.notation import format_number
from ..util import install_command
from .terminal import check_outputs, one_line, print_table, progress

COMPACT_COLUMNS = ("epoch", "w1", "w5", "E_total", "dE_dw1", "dE_dw5")  # fits 80 columns, nothing cut short
TABLE_HEAD, TABLE_TAIL = 10, 10  # a long run prints its first and last rows only


def cmd_sheet(args: argparse.Namespace) -> int:
    if args.compare:
        return compare_sheet(args)
    outputs = [p for p in (args.csv, args.xlsx) if p]
    check_outputs(outputs)
    course.check_sheet_size(args.epochs, args.csv, args.xlsx)
    if args.xlsx:
        if Path(args.xlsx).suffix.lower() != ".xlsx":  # Excel refuses to trust a workbook named .xls or .ods
            raise CLIError(f"--xlsx {args.xlsx}: the workbook is an .xlsx file; name it {Path(args.xlsx).stem}.xlsx")
        course.workbook.require_xlsxwriter()  # a missing extra is said before the run, not after it
    lr = args.lr or course.DEFAULT_LR
    shown = ShownRows()
    worst: list[course.FormulaGap] = []  # the largest gap between the hand-derived formulas and backward(), for --check
    rows: Iterable[dict[str, float]] = shown.watch(progress(course.iter_rows(lr, args.epochs), args.epochs, "epochs"))
    if args.check:
        rows = course.track_formula_gap(rows, worst)
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
    course.check_sweep_size(args.lrs, args.epochs)
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
    lr, epochs = course.DEFAULT_LR, args.epochs
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
        path = course.render_course_network(out / f"network.{suffix}")
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


def print_final_losses(curves: Mapping[float, Sequence[float]]) -> None:
    print("learning rate   final E_total")
    for lr, losses in curves.items():
        print(f"{lr:>13g}   {losses[-1]:.6g}")
