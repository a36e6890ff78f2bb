"""Checking a learner's table row by row, and naming the slip that explains a wrong row.

Each row is recomputed by the engine from that row's own inputs, targets and
weights, so a wrong cell is reported where it is, not where it spreads to;
each row's weights are checked against the previous row's update
``w − η·∂E/∂w`` (with the learner's own gradients). When a row is wrong, the
row is recomputed once more with each common slip of the hand derivation
(:data:`SLIPS`); a slip that reproduces the learner's numbers is named.

>>> from micrograd_lite.course.network import train
>>> from micrograd_lite.course.read import Table
>>> rows = train(0.5, 3)
>>> rows[1]["dE_dw6"] += 1e-6
>>> table = Table("mine.csv", {c: c for c in rows[0]}, {c: i for i, c in enumerate(rows[0])}, [2, 3, 4], rows, 0.5)
>>> report = check_table(table)
>>> report.row_number, [finding.column for finding in report.findings]
(3, ['dE_dw6'])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import UnreadableSheet
from ..util import Progress, no_progress
from .network import (
    COLUMNS,
    WEIGHT_NAMES,
    WEIGHTS_OUT_OF,
    FormulaChoices,
    backpropagated_network,
    closed_form_gradients,
    sheet_row,
)
from .read import Table, read_tables

DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-10
TOLERANCE_TEXT = (
    f"a cell agrees when it is within {DEFAULT_RTOL:g} relative (or {DEFAULT_ATOL:g} absolute) of the engine's "
    "value from the same row's inputs, so cells stored with 10 significant digits raise no alarm"
)


@dataclass(frozen=True)
class Slip:
    """A common slip of the hand derivation, and how to recompute a row with it."""

    what: str  # "{columns} use …": completed with the learner's names of the columns it changes
    gradients: FormulaChoices = field(default_factory=FormulaChoices)  # keyword arguments of closed_form_gradients
    update: Callable[[float, float, float], float] | None = None  # (w, η, ∂E/∂w) -> the next w


SWAPPED = {"h1": "a_h2", "h2": "a_h1"}
SLIPS = (
    Slip("{columns} use a_h1·(1−a_h1) where a_h2·(1−a_h2) belongs", {"sigma_prime_of": {"h1": "a_h1", "h2": "a_h1"}}),
    Slip("{columns} use a_h2·(1−a_h2) where a_h1·(1−a_h1) belongs", {"sigma_prime_of": {"h1": "a_h2", "h2": "a_h2"}}),
    Slip("{columns} use the other hidden neuron's σ' (a_h1 and a_h2 swapped)", {"sigma_prime_of": SWAPPED}),
    Slip(
        "{columns} use w6 and w8 where w5 and w7 belong", {"weights_back_to": {"h1": ("w6", "w8"), "h2": ("w6", "w8")}}
    ),
    Slip(
        "{columns} use w5 and w7 where w6 and w8 belong", {"weights_back_to": {"h1": ("w5", "w7"), "h2": ("w5", "w7")}}
    ),
    Slip("{columns} use w6 where w7 belongs", {"weights_back_to": {**WEIGHTS_OUT_OF, "h1": ("w5", "w6")}}),
    Slip("{columns} use w7 where w6 belongs", {"weights_back_to": {**WEIGHTS_OUT_OF, "h2": ("w7", "w8")}}),
    Slip(
        "{columns} use the other hidden neuron's weights", {"weights_back_to": {"h1": ("w6", "w8"), "h2": ("w5", "w7")}}
    ),
    Slip("{columns} use a_h2 where a_h1 belongs and a_h1 where a_h2 belongs", {"output_activation_of": SWAPPED}),
    Slip("{columns} miss the output neuron's σ' factor a_o·(1−a_o)", {"output_sigma_prime": False}),
    Slip("{columns} miss the hidden neuron's σ' factor a_h·(1−a_h)", {"hidden_sigma_prime": False}),
    Slip("{columns} add η·∂E/∂w where the update subtracts it (w − η·∂E/∂w)", update=lambda w, lr, g: w + lr * g),
    Slip("{columns} apply η twice (w − η·η·∂E/∂w)", update=lambda w, lr, g: w - lr * lr * g),
)


@dataclass(frozen=True)
class Finding:
    """One wrong cell: the learner's number, the engine's, in the learner's names."""

    header: str  # the learner's column header
    cell: str  # e.g. "Z33"
    column: str  # our column name
    yours: float
    engine: float

    def __str__(self) -> str:
        return (
            f"{self.header} ({self.cell}): yours {self.yours!r}, engine {self.engine!r}, "
            f"difference {self.yours - self.engine:+.3g}"
        )


@dataclass
class Report:
    """What checking one table found."""

    source: str
    rows_checked: int
    lr: float | None
    lr_source: str
    row_number: int | None = None  # the first wrong row's spreadsheet row, None when all agree
    step: int | None = None
    findings: list[Finding] = field(default_factory=list)
    diagnosis: str | None = None
    unchecked: tuple[str, ...] = ()  # our names of the columns the learner's table does not have

    @property
    def agrees(self) -> bool:
        return not self.findings

    def __str__(self) -> str:
        if self.lr is None:
            rate = "η unknown (no labelled cell, too few rows to infer it): updates not checked"
        else:
            rate = f"η = {self.lr:g} from {self.lr_source}"
        if self.agrees:
            lines = [f"{self.source}: all {self.rows_checked} rows agree with the engine ({rate})"]
        else:
            lines = [
                f"{self.source}: disagrees with the engine ({rate})",
                f"  first wrong row: row {self.row_number} (step {self.step})",
                *(f"    {finding}" for finding in self.findings),
            ]
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        if self.unchecked:
            lines.append(f"  not checked (no such column): {', '.join(self.unchecked)}")
        return "\n".join(lines)


def check_file(
    path: str | os.PathLike[str],
    lr: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    progress: Progress = no_progress,
) -> list[Report]:
    """A report for every table in a learner's file (see :func:`check_table`); ``progress`` wraps the rows."""
    return [check_table(table, lr, rtol, atol, progress) for table in read_tables(path, progress)]


def check_table(
    table: Table,
    lr: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    progress: Progress = no_progress,
) -> Report:
    """Recompute every row; report the first wrong row, all its wrong cells and a slip that explains them.

    ``lr`` overrides the table's own η (its labelled cell or worksheet name);
    without either, η is inferred from the first two rows' weights.
    """
    lr, lr_source = (lr, "--lr") if lr is not None else (table.lr, table.lr_source)
    if lr is None:
        lr, lr_source = _inferred_learning_rate(table)
    report = Report(table.source, 0, lr, lr_source, unchecked=tuple(c for c in COLUMNS[1:] if c not in table.headers))
    for index, row in progress(enumerate(table.rows), len(table.rows), f"rows checked of {table.source}"):
        report.rows_checked = index + 1
        try:
            expected = _expected_row(table, index, lr)
        except ArithmeticError as error:  # numbers too large for the network (a target of 1e300)
            where = f"{table.source}: row {table.row_numbers[index]}"
            raise UnreadableSheet(f"{where} cannot be recomputed: {error}") from None
        wrong = [c for c in row if c != "epoch" and not _close(row[c], expected[c], rtol, atol)]
        if wrong:
            report.row_number, report.step = table.row_numbers[index], index
            report.findings = [Finding(table.headers[c], table.cell(index, c), c, row[c], expected[c]) for c in wrong]
            report.diagnosis = _diagnosis(table, index, lr, expected, wrong, rtol, atol)
            break
    return report


def _expected_row(table: Table, index: int, lr: float | None, slip: Slip | None = None) -> dict[str, float]:
    """Row ``index`` as the engine computes it from the row's inputs (and, with a slip, as the slip makes it)."""
    row = table.rows[index]
    network = backpropagated_network(
        {w: row[w] for w in WEIGHT_NAMES}, {i: row[i] for i in ("i1", "i2")}, {t: row[t] for t in ("t1", "t2")}
    )
    expected = sheet_row(index, network)
    if slip is not None and slip.gradients:
        expected.update(closed_form_gradients(expected, **slip.gradients))
    if lr is not None and index > 0:
        previous = table.rows[index - 1]
        previous_gradients = (
            _expected_row(table, index - 1, None) if any("dE_d" + w not in previous for w in WEIGHT_NAMES) else previous
        )
        update = slip.update if slip is not None and slip.update else lambda w, lr, g: w - lr * g
        for w in WEIGHT_NAMES:
            expected[w] = update(previous[w], lr, previous_gradients["dE_d" + w])
    return expected


def _close(yours: float, engine: float, rtol: float, atol: float) -> bool:
    return math.isclose(yours, engine, rel_tol=rtol, abs_tol=atol)


def _diagnosis(
    table: Table, index: int, lr: float | None, expected: dict[str, float], wrong: list[str], rtol: float, atol: float
) -> str | None:
    """The first slip whose recomputation reproduces every checked cell of the wrong row."""
    row = table.rows[index]
    for slip in SLIPS:
        if slip.update is not None and (lr is None or index == 0):
            continue
        slipped = _expected_row(table, index, lr, slip)
        changed = [c for c in row if c != "epoch" and not _close(slipped[c], expected[c], rtol, atol)]
        if changed and all(_close(row[c], slipped[c], rtol, atol) for c in row if c != "epoch"):
            names = [table.headers[c] for c in changed]
            columns = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            return "your " + slip.what.format(columns=columns)
    return None


def _inferred_learning_rate(table: Table) -> tuple[float | None, str]:
    """η from the first update: (w before − w after) / ∂E/∂w, for the weight with the largest gradient."""
    if len(table.rows) < 2:
        return None, ""
    first, second = table.rows[0], table.rows[1]
    gradients = first if all("dE_d" + w in first for w in WEIGHT_NAMES) else _expected_row(table, 0, None)
    w = max(WEIGHT_NAMES, key=lambda w: abs(gradients["dE_d" + w]))
    if gradients["dE_d" + w] == 0:
        return None, ""
    lr = abs(float(f"{(first[w] - second[w]) / gradients['dE_d' + w]:.10g}"))
    return lr, f"the first update of {table.headers[w]} (inferred: no labelled η cell)"
