"""Unit-level CSVs read column-wise by pandas and numpy, for files with nothing to report.

A million-row upload read cell by cell through the csv module and summed in Fractions takes
minutes; read by pandas' C parser and summed in integers it takes about as long as
`pandas.read_csv`. This fast path only ever answers for a file it can prove clean: every row as
wide as the header, every arm one of the iteration's, every outcome cell a plain decimal (or 0/1
for a binary metric). For anything else it returns None, and `datasets` reads the file row by
row to name each problem by row and column, exactly as before.

Exactness is kept: a plain decimal with d places is an integer m over 10^d, recovered exactly
from its float while |m| < 2^51; Σm and Σm² are summed exactly, so the mean and sd are the same
rationals `MeanSummary.from_exact` rounds once, and come out bit for bit the same.
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tracker.models import ColumnMapping
from tracker.models.enums import MetricKind

PLAIN_CHARACTERS = np.array([0, *map(ord, "0123456789.+-")], dtype=np.uint32)
"""A plain decimal's characters (0 pads numpy's fixed-width strings); no exponent, NaN or Inf."""
EXACT_FROM_FLOAT = 2.0**51
"""Below this, round(float(text) · 10^d) is the decimal's exact integer m (error < ½)."""

Texts = npt.NDArray[np.str_]


def clean_row_count(content: bytes, width: int) -> int | None:
    """The number of non-blank data lines when each has `width` cells, else None.

    Counted on the bytes (commas per line), so only for files without quotes: a quoted comma or
    newline needs the csv module's reading.
    """
    if b'"' in content:
        return None
    data = np.frombuffer(content, dtype=np.uint8)
    newlines = np.flatnonzero(data == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    ends = np.append(newlines, data.size)
    carriage = (ends > starts) & (data[np.maximum(ends - 1, 0)] == ord("\r"))
    lengths = ends - starts - carriage
    commas = np.flatnonzero(data == ord(","))
    cells = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    rows = lengths[1:] > 0
    if not np.all(cells[1:][rows] == width):
        return None
    return int(np.count_nonzero(rows))


def outcome_texts(
    content: bytes, header: list[str], mapping: ColumnMapping, arm_names: list[str]
) -> dict[str, dict[str, Texts]] | None:
    """{metric key: {arm: stripped non-empty cells}} of a clean file, or None (read row by row)."""
    rows = clean_row_count(content, len(header))
    if rows is None:
        return None
    columns = [mapping.arm, *mapping.outcomes.values()]
    try:
        frame = pd.read_csv(
            io.BytesIO(content),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            header=0,
            names=header,
            usecols=list(dict.fromkeys(columns)),
        )
    except (ValueError, UnicodeDecodeError):  # pandas' ParserError is a ValueError
        return None
    if len(frame) != rows:
        return None
    arms = _stripped(frame[mapping.arm])
    if not np.isin(arms, arm_names).all():
        return None
    texts: dict[str, dict[str, Texts]] = {}
    for key, column in mapping.outcomes.items():
        cells = _stripped(frame[column])
        filled = cells != ""
        texts[key] = {arm: cells[filled & (arms == arm)] for arm in arm_names}
    return texts


def _stripped(column: pd.Series[str]) -> Texts:
    return np.strings.strip(column.to_numpy(dtype=np.str_))


def summary_fields(kind: MetricKind, texts: Texts) -> dict[str, Any] | None:
    """The stored result's fields for one arm's cells, or None when a cell needs a closer look."""
    if kind is MetricKind.BINARY:
        ones = np.count_nonzero(texts == "1")
        if ones + np.count_nonzero(texts == "0") != texts.size:
            return None
        return {"n": int(texts.size), "successes": int(ones)}
    sums = _exact_sums(texts)
    if sums is None:
        return None
    n, total, squares = sums
    if kind is MetricKind.COUNT:
        if not _all_non_negative(texts):
            return None
        return {"n": n, "total": float(total), "exposure": float(n)}
    return {"n": n, **_mean_and_sd(n, total, squares)}


def _all_non_negative(texts: Texts) -> bool:
    return not bool(np.strings.startswith(texts, "-").any())


def _exact_sums(texts: Texts) -> tuple[int, Fraction, Fraction] | None:
    """n, Σx and Σx² exactly, for plain decimals that fit the float recovery; else None."""
    if texts.size == 0:
        return 0, Fraction(0), Fraction(0)
    if not np.isin(texts.view(np.uint32), PLAIN_CHARACTERS).all():
        return None
    try:  # with only those characters, float() accepts exactly the plain decimals
        floats = texts.astype(np.float64)
    except ValueError:
        return None
    points = np.strings.find(texts, ".")
    places = int(np.max(np.where(points >= 0, np.strings.str_len(texts) - points - 1, 0)))
    if places > 22:  # 10^d is exact in a float up to d = 22
        return None
    scaled = floats * 10.0**places
    if not np.all(np.abs(scaled) < EXACT_FROM_FLOAT):
        return None
    integers = np.rint(scaled).astype(np.int64)
    scale = 10**places
    total = sum(integers.tolist())
    squares = int(np.sum(integers.astype(object) ** 2))
    return int(texts.size), Fraction(total, scale), Fraction(squares, scale * scale)


def _mean_and_sd(n: int, total: Fraction, squares: Fraction) -> dict[str, float]:
    """As `MeanSummary.from_exact`: mean and sd from exact sums, each rounded once."""
    if n == 0:
        return {"mean": math.nan, "sd": math.nan}
    mean = total / n
    if n < 2:
        return {"mean": float(mean), "sd": math.nan}
    return {"mean": float(mean), "sd": math.sqrt(float((squares - total * mean) / (n - 1)))}
