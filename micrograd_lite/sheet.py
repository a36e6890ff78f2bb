"""The course's backpropagation spreadsheet, computed by the engine.

A 2-2-2 sigmoid network with no biases, named as in the sheet::

    h1 = w1·i1 + w2·i2        a_h1 = σ(h1)        o1 = w5·a_h1 + w6·a_h2      a_o1 = σ(o1)
    h2 = w3·i1 + w4·i2        a_h2 = σ(h2)        o2 = w7·a_h1 + w8·a_h2      a_o2 = σ(o2)
    E1 = ½·(t1 − a_o1)²       E2 = ½·(t2 − a_o2)²  E_total = E1 + E2

trained by plain gradient descent, ``w ← w − lr·∂E_total/∂w``.

>>> rows = train(lr=0.5, epochs=2)
>>> round(rows[0]["E_total"], 10)
0.0141813779
>>> rows[1]["w1"] == rows[0]["w1"] - 0.5 * rows[0]["dE_dw1"]
True
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .engine import Value

INPUTS = {"i1": 0.05, "i2": 0.1}
TARGETS = {"t1": 0.5, "t2": 0.5}
WEIGHTS = {"w1": 0.15, "w2": 0.2, "w3": 0.25, "w4": 0.3, "w5": 0.4, "w6": 0.45, "w7": 0.5, "w8": 0.55}
WEIGHT_NAMES = tuple(WEIGHTS)
FORWARD_NAMES = ("h1", "a_h1", "h2", "a_h2", "o1", "a_o1", "o2", "a_o2", "E1", "E2", "E_total")
GRADIENT_NAMES = tuple(f"dE_d{w}" for w in WEIGHT_NAMES)
COLUMNS = ("epoch", *TARGETS, *INPUTS, *WEIGHT_NAMES, *FORWARD_NAMES, *GRADIENT_NAMES)
LEARNING_RATES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0, 1000.0)

# The seeds' hand-derived gradients, as text (the workbook states them too).
GRADIENT_FORMULAS = {
    "dE_dw1": "((a_o1 - t1)*a_o1*(1 - a_o1)*w5 + (a_o2 - t2)*a_o2*(1 - a_o2)*w7) * a_h1*(1 - a_h1) * i1",
    "dE_dw2": "((a_o1 - t1)*a_o1*(1 - a_o1)*w5 + (a_o2 - t2)*a_o2*(1 - a_o2)*w7) * a_h1*(1 - a_h1) * i2",
    "dE_dw3": "((a_o1 - t1)*a_o1*(1 - a_o1)*w6 + (a_o2 - t2)*a_o2*(1 - a_o2)*w8) * a_h2*(1 - a_h2) * i1",
    "dE_dw4": "((a_o1 - t1)*a_o1*(1 - a_o1)*w6 + (a_o2 - t2)*a_o2*(1 - a_o2)*w8) * a_h2*(1 - a_h2) * i2",
    "dE_dw5": "(a_o1 - t1) * a_o1*(1 - a_o1) * a_h1",
    "dE_dw6": "(a_o1 - t1) * a_o1*(1 - a_o1) * a_h2",
    "dE_dw7": "(a_o2 - t2) * a_o2*(1 - a_o2) * a_h1",
    "dE_dw8": "(a_o2 - t2) * a_o2*(1 - a_o2) * a_h2",
}


def build_network(
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> dict[str, Value]:
    """The forward pass as a graph of Values, every sheet quantity labelled by its name."""
    v = {name: Value(x, label=name) for name, x in {**inputs, **targets, **weights}.items()}

    def name(label: str, value: Value) -> Value:
        value.label = label
        v[label] = value
        return value

    i1, i2, t1, t2 = v["i1"], v["i2"], v["t1"], v["t2"]
    w1, w2, w3, w4, w5, w6, w7, w8 = (v[w] for w in WEIGHT_NAMES)
    a_h1 = name("a_h1", name("h1", w1 * i1 + w2 * i2).sigmoid())
    a_h2 = name("a_h2", name("h2", w3 * i1 + w4 * i2).sigmoid())
    a_o1 = name("a_o1", name("o1", w5 * a_h1 + w6 * a_h2).sigmoid())
    a_o2 = name("a_o2", name("o2", w7 * a_h1 + w8 * a_h2).sigmoid())
    E1 = name("E1", 0.5 * (t1 - a_o1) ** 2)
    E2 = name("E2", 0.5 * (t2 - a_o2) ** 2)
    name("E_total", E1 + E2)
    return v


def backpropagated_network(
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> dict[str, Value]:
    """The network after one forward and one backward pass: every grad is ∂E_total/∂node."""
    network = build_network(weights, inputs, targets)
    network["E_total"].backward()
    return network


def sheet_row(epoch: int, network: dict[str, Value]) -> dict[str, float]:
    """One row of the sheet from a network whose E_total has been backpropagated."""
    row: dict[str, float] = {"epoch": epoch}
    for column in COLUMNS[1:]:
        if column.startswith("dE_d"):
            row[column] = network[column[4:]].grad
        else:
            row[column] = network[column].data
    return row


def train(
    lr: float,
    epochs: int,
    weights: Mapping[str, float] = WEIGHTS,
    inputs: Mapping[str, float] = INPUTS,
    targets: Mapping[str, float] = TARGETS,
) -> list[dict[str, float]]:
    """``epochs`` rows of the sheet: weights before the update, forward values, gradients."""
    _check_lr_epochs(lr, epochs)
    weights = dict(weights)
    rows = []
    for epoch in range(epochs):
        network = backpropagated_network(weights, inputs, targets)
        rows.append(sheet_row(epoch, network))
        for w in WEIGHT_NAMES:
            weights[w] -= lr * network[w].grad
    return rows


def sweep(lrs: Sequence[float] = LEARNING_RATES, epochs: int = 100, **network) -> dict[float, list[float]]:
    """E_total per epoch for every learning rate."""
    return {lr: [row["E_total"] for row in train(lr, epochs, **network)] for lr in lrs}


def _check_lr_epochs(lr: float, epochs: int) -> None:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number, got {lr!r}")
    if not (isinstance(epochs, int) and epochs >= 1):
        raise ValueError(f"epochs must be a positive whole number, got {epochs!r}")


# ----------------------------------------------------------------------
# The hand derivation, evaluated: how a learner checks a sheet.
# ----------------------------------------------------------------------


def closed_form_gradients(row: Mapping[str, float]) -> dict[str, float]:
    """The seeds' formulas for ∂E_total/∂w1..w8, from one row's forward values."""
    t1, t2, i1, i2 = row["t1"], row["t2"], row["i1"], row["i2"]
    a_h1, a_h2, a_o1, a_o2 = row["a_h1"], row["a_h2"], row["a_o1"], row["a_o2"]
    w5, w6, w7, w8 = row["w5"], row["w6"], row["w7"], row["w8"]
    delta_o1 = (a_o1 - t1) * a_o1 * (1 - a_o1)  # ∂E_total/∂o1
    delta_o2 = (a_o2 - t2) * a_o2 * (1 - a_o2)  # ∂E_total/∂o2
    dE_da_h1 = delta_o1 * w5 + delta_o2 * w7
    dE_da_h2 = delta_o1 * w6 + delta_o2 * w8
    return {
        "dE_dw1": dE_da_h1 * a_h1 * (1 - a_h1) * i1,
        "dE_dw2": dE_da_h1 * a_h1 * (1 - a_h1) * i2,
        "dE_dw3": dE_da_h2 * a_h2 * (1 - a_h2) * i1,
        "dE_dw4": dE_da_h2 * a_h2 * (1 - a_h2) * i2,
        "dE_dw5": delta_o1 * a_h1,
        "dE_dw6": delta_o1 * a_h2,
        "dE_dw7": delta_o2 * a_h1,
        "dE_dw8": delta_o2 * a_h2,
    }


@dataclass(frozen=True)
class Disagreement:
    """A cell of a sheet that differs from what the engine computes."""

    row: int  # 0-based index of the data row
    epoch: float
    column: str
    found: float
    expected: float

    @property
    def error(self) -> float:
        return abs(self.found - self.expected)

    def __str__(self) -> str:
        return (
            f"epoch {self.epoch:g}, column {self.column}: the sheet has {self.found!r}, "
            f"the engine computes {self.expected!r} (off by {self.error:.3g})"
        )


def largest_formula_disagreement(rows: Sequence[Mapping[str, float]]) -> Disagreement:
    """Where the closed-form formulas and ``backward()`` differ most over all rows."""
    worst = None
    for index, row in enumerate(rows):
        for column, expected in closed_form_gradients(row).items():
            d = Disagreement(index, row["epoch"], column, row[column], expected)
            if worst is None or d.error > worst.error:
                worst = d
    return worst


def check_sheet(
    rows: Sequence[Mapping[str, float]], lr: float | None = None, rtol: float = 1e-9, atol: float = 1e-12
) -> Disagreement | None:
    """The first cell of a learner's sheet that disagrees with the engine, or None.

    Each row is recomputed from that row's own weights, inputs and targets,
    so one wrong cell is reported where it is, not where it spreads to.
    With ``lr``, each row's weights are also checked against the previous
    row's update ``w − lr·∂E/∂w``.
    """
    for index, row in enumerate(rows):
        network = backpropagated_network(
            {w: row[w] for w in WEIGHT_NAMES},
            {i: row[i] for i in INPUTS},
            {t: row[t] for t in TARGETS},
        )
        expected = sheet_row(row["epoch"], network)
        if lr is not None and index > 0:
            previous = rows[index - 1]
            for w in WEIGHT_NAMES:
                expected[w] = previous[w] - lr * previous["dE_d" + w]
        for column in COLUMNS[1:]:
            if column in row and not math.isclose(row[column], expected[column], rel_tol=rtol, abs_tol=atol):
                return Disagreement(index, row["epoch"], column, row[column], expected[column])
    return None


# ----------------------------------------------------------------------
# Files: CSV in full precision, and reading a learner's CSV or workbook.
# ----------------------------------------------------------------------


def rows_to_csv(rows: Sequence[Mapping[str, float]]) -> str:
    """CSV text; ``repr`` of a float reads back as the same float."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([int(row["epoch"])] + [repr(float(row[c])) for c in COLUMNS[1:]])
    return out.getvalue()


def read_sheet(path: str | os.PathLike) -> list[dict[str, float]]:
    """Rows of a sheet from a CSV or an .xlsx file with the sheet's column names.

    In a workbook the header row is found by its ``epoch`` cell, so a block of
    inputs above the table (as in the course workbook) is fine.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from .workbook import read_workbook_rows

        table = read_workbook_rows(path)
    else:
        with open(path, newline="") as f:
            table = [r for r in csv.reader(f) if r]
    return _rows_from_table(table, path)


def _rows_from_table(table: list[list], path: Path) -> list[dict[str, float]]:
    cells_as_names = [[str(h).strip() if h is not None else "" for h in row] for row in table]
    start = next((i for i, names in enumerate(cells_as_names) if "epoch" in names), None)
    if start is None:
        raise ValueError(f"{path}: no header row with an 'epoch' column")
    names = cells_as_names[start]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}")
    rows = []
    for line_number, cells in enumerate(table[start + 1 :], start=start + 2):
        if not cells or all(c in (None, "") for c in cells):
            continue
        row = {}
        for name, cell in zip(names, cells):
            if name in COLUMNS:
                try:
                    row[name] = float(cell)
                except (TypeError, ValueError):
                    raise ValueError(f"{path}: row {line_number}, column {name}: not a number: {cell!r}") from None
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: the sheet has no data rows")
    return rows
