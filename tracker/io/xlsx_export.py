"""XLSX bytes for download, as safe to open as the CSV export.

openpyxl reads any string starting with "=" as a formula, so text is neutralised exactly as
the CSV export does it (a leading single quote) and each text cell is then typed as a string
explicitly, so nothing a user typed can become a formula whatever openpyxl guesses. Numbers
and dates stay numbers and dates, so a spreadsheet can sort and sum them. Characters that XML
cannot hold (control characters other than tab, line feed and carriage return) are dropped
first: openpyxl refuses them, and a dropped one must not hide a formula-like start.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import date

from tracker.io.csv_export import neutralise_text

XlsxCell = str | int | float | date | None
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60


def _value(cell: XlsxCell) -> XlsxCell:
    """What the workbook stores: finite numbers, dates, and neutralised text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, str):
        return neutralise_text(ILLEGAL_CHARACTERS_RE.sub("", cell))
    return cell


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[XlsxCell]], *, sheet_title: str
) -> bytes:
    """A one-sheet workbook: a bold, frozen header row, then the rows, text never a formula."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]  # Excel's limit on sheet names
    widths = [len(name) for name in header]
    for row_number, values in enumerate([header, *rows], start=1):
        for column_number, raw in enumerate(values, start=1):
            value = _value(raw)
            cell = sheet.cell(row=row_number, column=column_number, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                widths[column_number - 1] = max(widths[column_number - 1], len(value))
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            if row_number == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column_number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = min(width + 2, MAX_WIDTH)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
