"""CSV text for download, safe to open in a spreadsheet.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return could be read as a
formula by a spreadsheet (CSV injection, OWASP). Such TEXT cells get a leading single quote.
Numbers are written as numbers, so a negative estimate stays a number a spreadsheet can use:
only `str` cells are neutralised, never `int` or `float` ones.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def neutralise(cell: Cell) -> str:
    """One cell as CSV text: numbers as numbers (none or non-finite as empty), risky text quoted."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return repr(cell) if math.isfinite(cell) else ""
    return neutralise_text(cell)


def neutralise_text(text: str) -> str:
    """Text a spreadsheet will not run: a leading single quote before a formula-like start.

    Shared by the CSV and XLSX exports, so both neutralise exactly the same cells.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A CSV document (RFC 4180, CRLF line ends) of a header and rows, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
