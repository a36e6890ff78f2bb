"""The live workbook: the course's layout, every computed cell a formula (needs XlsxWriter).

Top: the inputs block (``learning_rate``, ``i_1``, ``i_2``, ``t_1``, ``t_2`` are
defined names: ``i1`` would be the cell in column I, row 1; the starting
weights below them); then the derivation as
text; then the chart of E_total; then the table, one row per epoch. Every
computed cell is an Excel formula over the cells of its row and the row
before (``w ← w − learning_rate·∂E/∂w``), so changing the learning rate in
Excel or LibreOffice recalculates the table and the chart. Each formula also
stores the engine's value, so a viewer that does not recalculate still shows
the numbers.

>>> from micrograd_lite.course.network import train
>>> formula_for("a_o1", 61)
'=1/(1 + EXP(-R61))'
>>> formula_for("w3", 62)
'=H61 - learning_rate*AA61'
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

from ..util import optional_import, write_atomically
from .cells import cell_name
from .network import COLUMNS, FORWARD_FORMULAS, GRADIENT_FORMULAS, INPUTS, TARGETS, WEIGHT_NAMES

WORKSHEET = "backprop"
MAX_ROWS = 1_048_576 - 100  # Excel's row limit, less the rows above the table
INPUT_ROW = 4  # 1-based row of learning_rate; i1, i2, t1, t2 and the starting weights follow
INPUT_NAMES = ("learning_rate", *INPUTS, *TARGETS)  # the inputs block, top down
# Their defined names. i1, i2, t1, t2 are cell addresses in Excel (column I, row 1 …), so cannot be names.
DEFINED_NAMES = {"learning_rate": "learning_rate", "i1": "i_1", "i2": "i_2", "t1": "t_1", "t2": "t_2"}
TEXT_ROW = INPUT_ROW + len(INPUT_NAMES) + len(WEIGHT_NAMES) + 1
CHART_ROW = TEXT_ROW + 2 + len(FORWARD_FORMULAS) + len(GRADIENT_FORMULAS)
CHART_ROWS = 20  # rows kept free for the chart (20 px each): nothing overlaps it
HEADER_ROW = CHART_ROW + CHART_ROWS + 1
_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _column(name: str) -> str:
    """The letters of a sheet column: 'epoch' -> 'A', 'dE_dw3' -> 'AA'."""
    return cell_name(1, COLUMNS.index(name))[:-1]


def _start_cell(w: str) -> str:
    """The absolute cell of a starting weight in the inputs block."""
    return f"$B${INPUT_ROW + len(INPUT_NAMES) + WEIGHT_NAMES.index(w)}"


def formula_for(column: str, row: int) -> str:
    """The Excel formula of ``column`` in spreadsheet row ``row`` (the first table row is ``HEADER_ROW + 1``)."""
    first = row == HEADER_ROW + 1
    if column == "epoch":
        return "=0" if first else f"=A{row - 1}+1"
    if column in INPUT_NAMES:
        return f"={DEFINED_NAMES[column]}"
    if column in WEIGHT_NAMES:
        return (
            f"={_start_cell(column)}"
            if first
            else f"={_column(column)}{row - 1} - learning_rate*{_column('dE_d' + column)}{row - 1}"
        )
    text = FORWARD_FORMULAS.get(column) or GRADIENT_FORMULAS[column]
    return "=" + _NAME.sub(lambda m: f"{_column(m.group())}{row}" if m.group() in COLUMNS else m.group(), text)


def require_xlsxwriter() -> ModuleType:
    """XlsxWriter, or :class:`~micrograd_lite.errors.MissingExtra` naming the extra (call it before long work)."""
    return optional_import("xlsxwriter", "spreadsheets", "writing workbooks")


def workbook_bytes(rows: Sequence[Mapping[str, float]], lr: float) -> bytes:
    """An .xlsx file, in memory, of the sheet ``rows`` trained at learning rate ``lr``."""
    if len(rows) > MAX_ROWS:
        raise ValueError(f"a workbook holds at most {MAX_ROWS} epochs (Excel's row limit), not {len(rows)}")
    xlsxwriter = require_xlsxwriter()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "align": "right", "bottom": 1})
    given = book.add_format({"bg_color": "#FFF2CC"})  # the cells a learner may change
    sheet = book.add_worksheet(WORKSHEET)
    sheet.write(
        "A1",
        "micrograd_lite: the 2-2-2 sigmoid network, forward and backward, one row per epoch",
        book.add_format({"bold": True, "font_size": 13}),
    )
    sheet.write(f"A{INPUT_ROW - 1}", "Inputs (change them: the table and the chart recalculate)", bold)
    first = rows[0]
    inputs = [(DEFINED_NAMES[name], lr if name == "learning_rate" else first[name]) for name in INPUT_NAMES]
    inputs += [(f"{w} at epoch 0", first[w]) for w in WEIGHT_NAMES]
    for offset, (label, value) in enumerate(inputs):
        sheet.write(INPUT_ROW - 1 + offset, 0, label, bold)
        sheet.write_number(INPUT_ROW - 1 + offset, 1, value, given)
    for offset, name in enumerate(INPUT_NAMES):
        book.define_name(DEFINED_NAMES[name], f"={WORKSHEET}!$B${INPUT_ROW + offset}")

    sheet.write(
        f"A{TEXT_ROW}", "The forward pass, and the gradients by the chain rule (as derived in the course)", bold
    )
    derivation = [f"{name} = {text}" for name, text in FORWARD_FORMULAS.items()]
    derivation += [f"∂E_total/∂{name[4:]} = {text}" for name, text in GRADIENT_FORMULAS.items()]
    derivation += ["next row's weights: w = w − learning_rate · ∂E_total/∂w"]
    for offset, line in enumerate(derivation):
        sheet.write_string(TEXT_ROW + offset, 0, line)

    sheet.write_row(HEADER_ROW - 1, 0, COLUMNS, header)
    for index, row in enumerate(rows):
        r = HEADER_ROW + 1 + index
        for c, column in enumerate(COLUMNS):
            sheet.write_formula(r - 1, c, formula_for(column, r), None, float(row[column]))
    last = HEADER_ROW + len(rows)
    sheet.freeze_panes(HEADER_ROW, 1)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, len(COLUMNS) - 1, 21)

    chart = book.add_chart({"type": "line"})
    e_total = COLUMNS.index("E_total")
    chart.add_series(
        {
            "name": "E_total",
            "categories": [WORKSHEET, HEADER_ROW, 0, last - 1, 0],
            "values": [WORKSHEET, HEADER_ROW, e_total, last - 1, e_total],
            "line": {"width": 2},
        }
    )
    chart.set_title({"name": "E_total against epoch"})
    chart.set_x_axis({"name": "epoch", "interval_unit": max(1, len(rows) // 10)})
    chart.set_y_axis({"name": "E_total"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 900, "height": CHART_ROWS * 20 - 10})
    sheet.insert_chart(CHART_ROW - 1, 0, chart, {"object_position": 3})  # fixed size, does not move with cells

    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    sheet.repeat_rows(HEADER_ROW - 1)
    book.close()
    return out.getvalue()


def write_workbook(path: str | os.PathLike[str], rows: Sequence[Mapping[str, float]], lr: float) -> Path:
    """Write the workbook to ``path``, whole or not at all."""
    write_atomically(path, workbook_bytes(rows, lr))
    return Path(path)
