"""CSV downloads: text a spreadsheet would run as a formula is neutralised; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from tracker.io.csv_export import csv_text, neutralise


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Neighbors", "Neighbors"),
        ("a=b", "a=b"),
        ("", ""),
        (-0.25, "-0.25"),
        (-3, "-3"),
        (1794.25, "1794.25"),
        (float("nan"), ""),
        (None, ""),
    ],
)
def test_text_is_neutralised_and_numbers_are_kept(cell: str | float | None, written: str) -> None:
    assert neutralise(cell) == written


def test_a_document_reads_back_with_negative_numbers_as_numbers() -> None:
    text = csv_text(["arm", "estimate"], [["=cmd|' /C calc'!A0", -0.0123], ['Control, "old"', 2]])
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["arm", "estimate"],
        ["'=cmd|' /C calc'!A0", "-0.0123"],
        ['Control, "old"', "2"],
    ]
    assert float(rows[1][1]) == -0.0123
