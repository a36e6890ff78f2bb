"""Checking a learner's table row by row, and naming the slip that explains a wrong row.

Each row is recomputed by the engine from that row's own inputs, targets and
weights, so a wrong cell is reported where it is, not where it spreads to;
each row's weights are checked against the previous row's update
``w − η·∂E/∂w`` (with the learner's own gradients), relative to the update's
size, not the weight's. When a row is wrong, the
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
from collections import defaultdict
from collections.abc import Callable, Mapping
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
MAX_RTOL = 1e-2
MAX_RTOL_WHY = "1% already lets the course's slips through; rounded cells are allowed for on their own"
MAX_ATOL = 1e-6
MAX_ATOL_WHY = "the course's gradients fall below 1e-5; rounded cells are allowed for on their own"
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
SLIPS = (  # recomputed in this order; the first that reproduces every cell of the wrong row is named
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
    Slip("{columns} use w6 and w7 swapped", {"weights_back_to": {"h1": ("w5", "w6"), "h2": ("w7", "w8")}}),
    Slip(
        "{columns} use the other hidden neuron's weights", {"weights_back_to": {"h1": ("w6", "w8"), "h2": ("w5", "w7")}}
    ),
    Slip("{columns} use a_h2 where a_h1 belongs and a_h1 where a_h2 belongs", {"output_activation_of": SWAPPED}),
    Slip("{columns} miss the output neuron's σ' factor a_o·(1−a_o)", {"output_sigma_prime": False}),
    Slip("{columns} miss the hidden neuron's σ' factor a_h·(1−a_h)", {"hidden_sigma_prime": False}),
    Slip(
        "{columns} miss the brackets around the sum: δo1·w + δo2·w·a_h·(1−a_h)·i for (δo1·w + δo2·w)·a_h·(1−a_h)·i",
        {"bracketed_sum": False},
    ),
    Slip("{columns} use a_o·t where a_o − t belongs", {"output_error": lambda a_o, t: a_o * t}),
    Slip("{columns} add η·∂E/∂w where the update subtracts it (w − η·∂E/∂w)", update=lambda w, lr, g: w + lr * g),
    Slip("{columns} apply η twice (w − η·η·∂E/∂w)", update=lambda w, lr, g: w - lr * lr * g),
    Slip("{columns} never change: the update w − η·∂E/∂w is missing", update=lambda w, lr, g: w),
)
MAX_LATER_ROWS = 10  # later wrong rows listed after the first, when the first row's slip does not explain them


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
    """What checking one table found (or why a worksheet's table could not be read: ``problem``)."""

    source: str
    rows_checked: int
    lr: float | None
    lr_source: str
    row_number: int | None = None  # the first wrong row's spreadsheet row, None when all agree
    step: int | None = None
    findings: list[Finding] = field(default_factory=list)
    diagnosis: str | None = None
    unchecked: tuple[str, ...] = ()  # our names of the columns the learner's table does not have
    notes: list[str] = field(default_factory=list)  # what was assumed, rounded or left out
    cells_compared: int = 0
    later_rows: list[str] = field(default_factory=list)  # "row 50: E1, E2", wrong for another reason
    verdict: str | None = None  # a finding about the whole table ("your weights do not change …")
    problem: str | None = None  # one line: why the worksheet's table could not be read

    @property
    def agrees(self) -> bool:
        return self.status == 0

    @property
    def status(self) -> int:
        """0 all agree, 1 a disagreement, 2 unreadable or nothing compared (like diff's exit status)."""
        if self.problem is not None or (self.cells_compared == 0 and self.verdict is None):
            return 2
        return 1 if self.findings or self.verdict else 0

    def __str__(self) -> str:
        if self.problem is not None:
            return self.problem
        if self.status == 2:
            return f"{self.source}: nothing compared: {_missing(self)}"
        if self.lr is None:
            rate = "η unknown: updates not checked"
        else:
            rate = f"η = {self.lr:g} from {self.lr_source}"
        if self.status == 0:
            lines = [f"{self.source}: all {self.rows_checked} rows agree with the engine ({rate})"]
        else:
            lines = [f"{self.source}: disagrees with the engine ({rate})"]
        if self.verdict:
            lines.append(f"  {self.verdict}")
        if self.findings:
            lines.append(f"  first wrong row: row {self.row_number} (step {self.step})")
            lines += [f"    {finding}" for finding in self.findings]
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        if self.later_rows:
            lines.append(f"  later rows wrong for another reason: {'; '.join(self.later_rows)}")
        lines += [f"  note: {note}" for note in self.notes]
        if self.unchecked:
            lines.append(f"  not checked (no such column): {', '.join(self.unchecked)}")
        return "\n".join(lines)


def _missing(report: Report) -> str:
    columns = "no column computed from the inputs (h1 … E_total, ∂E/∂w1 … ∂E/∂w8)"
    if report.rows_checked == 1:
        return f"{columns}, and one row only, so no update to check either"
    return f"{columns}, and η unknown, so no update to check either"


def check_file(
    path: str | os.PathLike[str],
    lr: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    progress: Progress = no_progress,
) -> list[Report]:
    """A report for every table in a learner's file (see :func:`check_table`); ``progress`` wraps the rows.

    A worksheet whose table cannot be read gets a report of its own (``problem``): the others are still checked.
    """
    problems: list[str] = []
    reports = []
    for table in read_tables(path, progress, problems):
        try:
            reports.append(check_table(table, lr, rtol, atol, progress))
        except UnreadableSheet as problem:  # a row that cannot be recomputed: that table only
            problems.append(str(problem))
    return reports + [Report(problem.split(": ", 1)[0], 0, None, "", problem=problem) for problem in problems]


def check_table(
    table: Table,
    lr: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    progress: Progress = no_progress,
) -> Report:
    """Recompute every row; report the first wrong row, all its wrong cells and a slip that explains them.

    ``lr`` overrides the table's own η (its labelled cell or worksheet name); without either, η is
    inferred from the first two rows' weights. Each row's weights are checked by their update
    (w_next − w against −η·∂E/∂w, relative to the update's size, so a small η hides no wrong gradient).
    Columns rounded to a few decimals are compared within half a unit of their last place, plus what
    the rounded weights carry into each cell. After the first wrong row, later rows that its slip does
    not explain are listed (at most :data:`MAX_LATER_ROWS`).
    """
    rounding = _rounding(table)
    lr, lr_source, verdict = _learning_rate(table, lr, rounding)
    unchecked = tuple(c for c in COLUMNS[1:] if c not in table.headers)
    report = Report(table.source, 0, lr, lr_source, unchecked=unchecked, notes=[*table.notes], verdict=verdict)
    if rounding.decimals:
        places = sorted(set(rounding.decimals.values()))
        report.notes.append(
            f"{len(rounding.decimals)} columns are rounded to {' or '.join(map(str, places))} decimals: compared"
            " within half a unit of their last place, plus what the rounded weights carry into each cell"
        )
    slip: Slip | None = None
    first: set[str] = set()
    carried: Mapping[str, float] = {}
    for index, row in progress(enumerate(table.rows), len(table.rows), f"rows checked of {table.source}"):
        report.rows_checked = index + 1
        try:
            expected = _expected_row(table, index, lr)
            previous_carried, carried = carried, _carried(table, index, rounding)
        except ArithmeticError as error:  # numbers too large for the network (a target of 1e300)
            where = f"{table.source}: row {table.row_numbers[index]}"
            raise UnreadableSheet(f"{where} cannot be recomputed: {error}") from None
        allowance = _allowance(table, index, lr, rounding, carried, previous_carried)
        compared = _compared(table, index, lr)
        report.cells_compared += len(compared)
        wrong = [c for c in compared if not _agrees(table, index, c, expected[c], allowance[c], rtol, atol)]
        if wrong and report.row_number is None:
            report.row_number, report.step = table.row_numbers[index], index
            report.findings = [Finding(table.headers[c], table.cell(index, c), c, row[c], expected[c]) for c in wrong]
            report.diagnosis, slip = _diagnosis(table, index, lr, expected, allowance, rtol, atol)
            first = set(wrong)
        elif wrong and len(report.later_rows) < MAX_LATER_ROWS:
            slipped = _expected_row(table, index, lr, slip) if slip else {}
            own = [
                c
                for c in wrong
                if c not in first or slip and not _agrees(table, index, c, slipped[c], allowance[c], rtol, atol)
            ]
            if own:  # what the first row's slip does not explain
                report.later_rows.append(f"row {table.row_numbers[index]}: {', '.join(table.headers[c] for c in own)}")
    return report


def _learning_rate(table: Table, lr: float | None, rounding: _Rounding) -> tuple[float | None, str, str | None]:
    """η and where it comes from: ``--lr``, the table's own, or inferred; and a finding when there is none."""
    lr, source = (lr, "--lr") if lr is not None else (table.lr, table.lr_source)
    if lr is None:
        return _inferred_learning_rate(table, rounding)
    if not (math.isfinite(lr) and lr > 0):  # a stated η of 0 would pass weights that never change
        return None, "", f"η = {lr:g} from {source} is not a learning rate: gradient descent needs η > 0"
    return lr, source, None


def _compared(table: Table, index: int, lr: float | None) -> list[str]:
    """The columns of row ``index`` that say something: computed cells, and weights that were updated."""
    given = ("t1", "t2", "i1", "i2") + (WEIGHT_NAMES if lr is None or index == 0 else ())
    return [c for c in table.rows[index] if c != "epoch" and c not in given]


def _agrees(table: Table, index: int, column: str, engine: float, allowance: float, rtol: float, atol: float) -> bool:
    """Whether the learner's cell agrees; a weight (after step 0) by its update, relative to the update's size."""
    yours = table.rows[index][column]
    if column in WEIGHT_NAMES:
        before = table.rows[index - 1][column]
        yours, engine = yours - before, engine - before
    return math.isclose(yours, engine, rel_tol=rtol, abs_tol=atol + allowance)


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
        previous_gradients = previous if _has_gradients(table) else _expected_row(table, index - 1, None, slip)
        update = slip.update if slip is not None and slip.update else lambda w, lr, g: w - lr * g
        for w in WEIGHT_NAMES:
            expected[w] = update(previous[w], lr, previous_gradients["dE_d" + w])
    return expected


def _has_gradients(table: Table) -> bool:
    return all("dE_d" + w in table.headers for w in WEIGHT_NAMES)


def _diagnosis(
    table: Table,
    index: int,
    lr: float | None,
    expected: dict[str, float],
    allowance: Mapping[str, float],
    rtol: float,
    atol: float,
) -> tuple[str | None, Slip | None]:
    """The first slip whose recomputation reproduces every checked cell of the wrong row, named, and the slip."""
    compared = _compared(table, index, lr)
    for slip in SLIPS:
        if slip.update is not None and (lr is None or index == 0):
            continue
        slipped = _expected_row(table, index, lr, slip)
        changed = [c for c in compared if not math.isclose(slipped[c], expected[c], rel_tol=1e-12)]
        if changed and _reproduces(table, index, lr, slip, compared, allowance, rtol, atol, slipped):
            names = [table.headers[c] for c in changed]
            columns = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            if slip.gradients and all(c in WEIGHT_NAMES for c in changed):
                columns += " updates"  # no gradient columns: the slip shows in the weights it moves
            return "your " + slip.what.format(columns=columns), slip
    return None, None


def _reproduces(
    table: Table,
    index: int,
    lr: float | None,
    slip: Slip,
    compared: list[str],
    allowance: Mapping[str, float],
    rtol: float,
    atol: float,
    slipped: dict[str, float] | None = None,
) -> bool:
    """Whether recomputing row ``index`` with ``slip`` gives the learner's every compared cell."""
    slipped = slipped or _expected_row(table, index, lr, slip)
    return all(_agrees(table, index, c, slipped[c], allowance[c], rtol, atol) for c in compared)


@dataclass
class _Rounding:
    """How a table's columns are rounded: to a number of decimals, or to fewer significant digits than a float's."""

    decimals: dict[str, int]
    digits: dict[str, int]

    def half_unit(self, column: str, value: float) -> float:
        """Half a unit of the last place ``value`` was rounded to in ``column`` (0 when not rounded)."""
        units = [10.0 ** -self.decimals[column]] if column in self.decimals else []
        if column in self.digits and value:
            units.append(10.0 ** (math.floor(math.log10(abs(value))) - self.digits[column] + 1))
        return max(units, default=0.0) / 2


def _rounding(table: Table) -> _Rounding:
    """The columns rounded to 4-9 decimals (most of their values use every place) or stored with 7-12
    significant digits; a column needs two different values to tell (weights: after step 0)."""
    decimals, digits = {}, {}
    for column in table.headers:
        if column in ("epoch", "t1", "t2", "i1", "i2"):
            continue
        values = [row[column] for row in (table.rows[1:] if column in WEIGHT_NAMES else table.rows)]
        if len(set(values)) < 2:
            continue
        places, most = [], 0
        for value in values:
            places.append(_decimals(value))
            most = max(most, _significant_digits(value))
            if places[-1] > 9 and most > 12:
                break  # a float's full digits: not rounded (most tables, told at their second value)
        else:
            if 4 <= max(places) <= 9 and 2 * places.count(max(places)) >= len(places):
                decimals[column] = max(places)
            if 7 <= most <= 12:
                digits[column] = most
    return _Rounding(decimals, digits)


def _decimals(value: float) -> int:
    """The decimals of a number's shortest form: 0.000352 -> 6, 1.5e-07 -> 8, 12.0 -> 0."""
    mantissa, _, exponent = repr(value).partition("e")
    return max(0, len(mantissa.partition(".")[2].rstrip("0")) - int(exponent or 0))


def _significant_digits(value: float) -> int:
    """The significant digits of a number's shortest form: 0.000352 -> 3, 0.1234567 -> 7."""
    mantissa = repr(abs(value)).partition("e")[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


def _carried(table: Table, index: int, rounding: _Rounding) -> dict[str, float]:
    """How far the engine's value of each cell may move when the row's weights are off by their rounding
    (first order: each weight moved by half a unit of its last place, one at a time)."""
    row = table.rows[index]
    rounded = [w for w in WEIGHT_NAMES if index > 0 and rounding.half_unit(w, row[w])]
    carried = dict.fromkeys(COLUMNS[1:], 0.0)
    if not rounded:
        return carried
    inputs, targets = {i: row[i] for i in ("i1", "i2")}, {t: row[t] for t in ("t1", "t2")}
    weights = {w: row[w] for w in WEIGHT_NAMES}
    exact = sheet_row(index, backpropagated_network(weights, inputs, targets))
    for w in rounded:
        moved = sheet_row(
            index, backpropagated_network({**weights, w: weights[w] + rounding.half_unit(w, row[w])}, inputs, targets)
        )
        for column in carried:
            carried[column] += abs(moved[column] - exact[column])
    return carried


_NO_ALLOWANCE: Mapping[str, float] = defaultdict(float)  # a table whose cells are not rounded


def _allowance(
    table: Table,
    index: int,
    lr: float | None,
    rounding: _Rounding,
    carried: Mapping[str, float],
    previous_carried: Mapping[str, float],
) -> Mapping[str, float]:
    """The absolute difference each cell of row ``index`` may show from rounding alone."""
    if not (rounding.decimals or rounding.digits):
        return _NO_ALLOWANCE
    row = table.rows[index]
    allowance = {c: rounding.half_unit(c, v) + carried.get(c, 0.0) for c, v in row.items()}
    if lr is not None and index > 0:
        previous = table.rows[index - 1]
        for w in WEIGHT_NAMES:
            g = "dE_d" + w
            gradient = rounding.half_unit(g, previous[g]) if g in previous else previous_carried.get(g, 0.0)
            allowance[w] = rounding.half_unit(w, row[w]) + rounding.half_unit(w, previous[w]) + abs(lr) * gradient
    return allowance


def _inferred_learning_rate(table: Table, rounding: _Rounding) -> tuple[float | None, str, str | None]:
    """η from the first update: (w before − w after) / ∂E/∂w, for the weight with the largest gradient;
    given with as few digits as the rounding of the cells allows. When that weight does not move, there is
    no η but a finding (the third item)."""
    if len(table.rows) < 2:
        return None, "", None
    first, second = table.rows[0], table.rows[1]
    gradients = first if _has_gradients(table) else _expected_row(table, 0, None)
    w = max(WEIGHT_NAMES, key=lambda w: abs(gradients["dE_d" + w]))
    g = gradients["dE_d" + w]
    if g == 0:
        return None, "", None
    lr = (first[w] - second[w]) / g
    if lr == 0 or not math.isfinite(lr):
        rows = f"row {table.row_numbers[0]} to row {table.row_numbers[1]}"
        return (
            None,
            "",
            f"your weights do not change from {rows} ({table.headers[w]} stays {second[w]!r}): "
            "no learning rate can be inferred; is the update w − η·∂E/∂w missing?",
        )
    uncertainty = abs(lr) * 1e-10 + (rounding.half_unit(w, first[w]) + rounding.half_unit(w, second[w])) / abs(g)
    lr = next(x for digits in range(1, 11) if abs((x := float(f"{lr:.{digits}g}")) - lr) <= uncertainty or digits == 10)
    source = f"the first update of {table.headers[w]} (inferred: no labelled η cell)"
    if lr < 0:
        source += f"; that update moves {table.headers[w]} up its gradient"
    return abs(lr), source, None
