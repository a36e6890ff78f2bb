"""The course's backpropagation exercise: the network, learners' sheets, the workbook, the loss curves.

Data flows one way through the modules:

* ``network``   the 2-2-2 sigmoid network, training and the learning-rate sweep (pure Python);
* ``files``     a learner's file on disk (CSV / .xlsx / .xlsm / .ods), as grids of cells, one a worksheet;
* ``read``      those grids, into tables;
* ``check``     each table recomputed row by row, the first wrong row, the slip that explains it;
* ``csvfile``, ``workbook``, ``plots``  writing: CSV, the live workbook, loss curves;
* ``limits``    what a run may ask for (the workbook's epochs, the CSV's disk, the sweep's points), before any work;
* ``graph``     the network for the layers below: its picture and caption, its compiled replay checked;
* ``cells``     spreadsheet cell addresses (A1, AA33), for the reader and the writer.

The command line (:mod:`micrograd_lite.cli`) only parses and prints: the course's policy is here.

Everything is imported as ``from micrograd_lite import course``:

>>> from micrograd_lite import course
>>> round(course.train(0.5, 1)[0]["E_total"], 10)
0.0141813779
"""

from .check import DEFAULT_ATOL, DEFAULT_RTOL, SLIPS, Finding, Report, check_file, check_table
from .csvfile import csv_lines, write_csv
from .graph import ReplayCheck, course_caption, render_course_network, replay_check
from .limits import SWEEP_MAX_POINTS, WORKBOOK_MAX_EPOCHS, check_sheet_size, check_sweep_size
from .network import (
    COLUMNS,
    DEFAULT_LR,
    FORWARD_FORMULAS,
    FORWARD_NAMES,
    GRADIENT_FORMULAS,
    GRADIENT_NAMES,
    INPUTS,
    LEARNING_RATES,
    TARGETS,
    WEIGHT_NAMES,
    WEIGHTS,
    FormulaGap,
    backpropagated_network,
    build_network,
    closed_form_gradients,
    iter_rows,
    largest_formula_disagreement,
    sheet_row,
    sweep,
    track_formula_gap,
    train,
)
from .plots import plot_loss_curves
from .read import Table, column_for, read_tables
from .workbook import workbook_bytes, write_workbook

__all__ = [
    "COLUMNS",
    "DEFAULT_LR",
    "SWEEP_MAX_POINTS",
    "WORKBOOK_MAX_EPOCHS",
    "ReplayCheck",
    "check_sheet_size",
    "check_sweep_size",
    "course_caption",
    "render_course_network",
    "replay_check",
    "track_formula_gap",
    "FORWARD_FORMULAS",
    "FORWARD_NAMES",
    "GRADIENT_FORMULAS",
    "GRADIENT_NAMES",
    "INPUTS",
    "LEARNING_RATES",
    "TARGETS",
    "WEIGHT_NAMES",
    "WEIGHTS",
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "SLIPS",
    "Finding",
    "FormulaGap",
    "Report",
    "Table",
    "backpropagated_network",
    "build_network",
    "check_file",
    "check_table",
    "closed_form_gradients",
    "column_for",
    "csv_lines",
    "iter_rows",
    "largest_formula_disagreement",
    "plot_loss_curves",
    "read_tables",
    "sheet_row",
    "sweep",
    "train",
    "workbook_bytes",
    "write_csv",
    "write_workbook",
]
