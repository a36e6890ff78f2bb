"""Spreadsheet cell addresses, shared by the reader and the workbook writer.

>>> cell_name(33, 26)
'AA33'
"""

from __future__ import annotations


def cell_name(row_number: int, column_index: int) -> str:
    """Spreadsheet cell name from a 1-based row number and a 0-based column index: (33, 26) -> 'AA33'."""
    letters, n = "", column_index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row_number}"
