"""The sheet as an Excel workbook laid out like the course's (needs openpyxl).

Top: a block with the inputs, targets, initial weights and learning rate.
Below: the formula of every gradient column, then one row per epoch, and a
line chart of E_total against epoch. Every number is a full double.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .sheet import COLUMNS, GRADIENT_FORMULAS, INPUTS, TARGETS, WEIGHT_NAMES
from .util import optional_import, write_atomically


def _openpyxl():
    return optional_import("openpyxl", "spreadsheets", "writing workbooks")


def workbook_bytes(rows: Sequence[Mapping[str, float]], lr: float) -> bytes:
    """An .xlsx file, in memory, of the sheet ``rows`` trained at learning rate ``lr``."""
    openpyxl = _openpyxl()
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "backprop"

    ws.append(["micrograd_lite: the 2-2-2 sigmoid network, forward and backward, one row per epoch"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    first = rows[0]
    block = [("learning rate", lr)]
    block += [(name, first[name]) for name in (*INPUTS, *TARGETS)]
    block += [(f"initial {w}", first[w]) for w in WEIGHT_NAMES]
    for name, value in block:
        ws.append([name, value])
        ws.cell(ws.max_row, 1).font = bold
    ws.append([])
    ws.append(["Gradient formulas (the chain rule, as derived in the course)"])
    ws.cell(ws.max_row, 1).font = bold
    for column, formula in GRADIENT_FORMULAS.items():
        ws.append([column, f"∂E_total/∂{column[4:]} = {formula}"])
    ws.append([])

    ws.append(list(COLUMNS))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font, cell.fill = bold, header_fill
    for row in rows:
        ws.append([int(row["epoch"])] + [float(row[c]) for c in COLUMNS[1:]])
    last_row = ws.max_row
    ws.freeze_panes = ws.cell(header_row + 1, 2)
    ws.column_dimensions["A"].width = 16

    chart = LineChart()
    chart.title = f"E_total against epoch (lr = {lr:g})"
    chart.x_axis.title = "epoch"
    chart.y_axis.title = "E_total"
    e_total = COLUMNS.index("E_total") + 1
    chart.add_data(Reference(ws, min_col=e_total, min_row=header_row, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "D3")

    out = io.BytesIO()
    with _full_precision_floats():
        wb.save(out)
    return out.getvalue()


@contextmanager
def _full_precision_floats():
    """Make openpyxl write every float as ``repr`` (17 significant digits when needed).

    openpyxl formats numbers with ``"%.16g"``, which does not read back as the
    same double for every value (0.027500000000000004 becomes 0.0275). The
    sheet promises exact round-trips, so while saving we swap in a formatter
    that uses ``repr`` for floats and openpyxl's own for everything else.
    """
    from openpyxl.cell import _writer

    original = _writer.safe_string

    def exact(value):
        if type(value) is float and math.isfinite(value):
            return repr(value)
        return original(value)

    _writer.safe_string = exact
    try:
        yield
    finally:
        _writer.safe_string = original


def write_workbook(path: str | os.PathLike, rows: Sequence[Mapping[str, float]], lr: float) -> Path:
    """Write the workbook to ``path``, whole or not at all."""
    write_atomically(path, workbook_bytes(rows, lr))
    return Path(path)


def read_workbook_rows(path: str | os.PathLike) -> list[list]:
    """Every row of the first worksheet, as lists of cell values."""
    openpyxl = _openpyxl()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()
