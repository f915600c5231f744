"""Column-wise reading of unit-level CSVs: exact, and silent when a file needs a closer look."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.models import ColumnMapping
from tracker.models.enums import MetricKind
from tracker.services import unit_table
from tracker.stats import MeanSummary

MAPPING = ColumnMapping(arm="arm", outcomes={"took-up": "took_up", "days": "days"})
HEADER = ["arm", "took_up", "days"]
ARMS = ["control", "letter"]


def texts(*values: str) -> np.ndarray:
    return np.array(values, dtype=np.str_)


@given(
    st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False),
        min_size=1,
        max_size=30,
    )
)
def test_mean_and_sd_are_from_exact_to_the_bit(values: list[Decimal]) -> None:
    cells = [str(value) for value in values]
    fields = unit_table.summary_fields(MetricKind.CONTINUOUS, texts(*cells))
    exact = MeanSummary.from_exact(cells)
    assert fields is not None
    assert (fields["n"], fields["mean"]) == (exact.n, exact.mean)
    assert fields["sd"] == exact.sd or (np.isnan(fields["sd"]) and np.isnan(exact.sd))


def test_values_sharing_thirteen_leading_digits_keep_their_spread() -> None:
    cells = ["1000000000000.4", "1000000000000.3", "1000000000000.5"]
    fields = unit_table.summary_fields(MetricKind.CONTINUOUS, texts(*cells))
    assert fields == {"n": 3, "mean": 1000000000000.4, "sd": pytest.approx(0.1, rel=1e-12)}


@pytest.mark.parametrize(
    ("kind", "cells"),
    [
        (MetricKind.BINARY, ("0", "1", "2")),
        (MetricKind.CONTINUOUS, ("1.5", "1e3")),
        (MetricKind.CONTINUOUS, ("1.5", "NaN")),
        (MetricKind.CONTINUOUS, ("1.5", "1.2.3")),
        (MetricKind.COUNT, ("3", "-1")),
    ],
)
def test_cells_it_cannot_vouch_for_go_to_the_row_by_row_reading(
    kind: MetricKind, cells: tuple[str, ...]
) -> None:
    assert unit_table.summary_fields(kind, texts(*cells)) is None


def test_a_clean_file_gives_each_arms_stripped_cells() -> None:
    content = b"arm,took_up,days\ncontrol,1, 2.5\n letter ,0,\r\n\nletter,1,4\n"
    by_key = unit_table.outcome_texts(content, HEADER, MAPPING, ARMS)
    assert by_key is not None
    assert {
        key: {arm: cells.tolist() for arm, cells in arms.items()} for key, arms in by_key.items()
    } == {
        "took-up": {"control": ["1"], "letter": ["0", "1"]},
        "days": {"control": ["2.5"], "letter": ["4"]},
    }


@pytest.mark.parametrize(
    "content",
    [
        b'arm,took_up,days\n"control",1,2\n',  # quotes: the csv module reads them
        b"arm,took_up,days\ncontrol,1\n",  # a short row
        b"arm,took_up,days\ncontrol,1,2,3\n",  # a long row
        b"arm,took_up,days\ncontrol,1,2\n   \n",  # a row of spaces
        b"arm,took_up,days\nplacebo,1,2\n",  # an arm the iteration does not have
    ],
)
def test_a_file_with_anything_to_report_is_left_to_the_row_by_row_reading(content: bytes) -> None:
    assert unit_table.outcome_texts(content, HEADER, MAPPING, ARMS) is None


def test_rows_are_counted_as_the_csv_module_counts_them() -> None:
    content = b"a,b\r\n1,2\r\n\r\n3,4\n\n5,6"
    assert unit_table.clean_row_count(content, 2) == 3
    assert unit_table.clean_row_count(b'a,b\n"1,5",2\n', 2) is None
