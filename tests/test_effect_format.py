"""Numbers as the results and learning pages write them."""

from __future__ import annotations

import math

import pytest

from tracker.models.enums import MetricKind
from tracker.web.effect_format import effect_unit, format_effect, format_lift, format_p

BINARY, CONTINUOUS = MetricKind.BINARY, MetricKind.CONTINUOUS


@pytest.mark.parametrize(
    ("value", "scale", "kind", "text"),
    [
        (0.081, "difference", BINARY, "8.1"),  # a difference in proportions, in points
        (-0.00006447, "difference", BINARY, "0.0"),  # never "-0.0"
        (1.9342, "ratio", BINARY, "1.93"),  # ratios at a trial table's 2 places
        (1794.34, "difference", CONTINUOUS, "1,794"),  # 4 significant figures
        (0.0123456, "difference", CONTINUOUS, "0.01235"),
        (123456.7, "difference", CONTINUOUS, "123,457"),  # whole digits are never dropped
        (0.0, "difference", CONTINUOUS, "0"),
        (None, "difference", CONTINUOUS, "–"),
        (math.inf, "ratio", BINARY, "–"),
    ],
)
def test_format_effect(value: float | None, scale: str, kind: str, text: str) -> None:
    assert format_effect(value, scale, kind) == text


def test_p_values_and_lifts() -> None:
    assert [format_p(p) for p in (0.0004, 0.0051, 0.0178, 0.14, 0.386, None)] == [
        "<\u00a00.001",
        "0.0051",
        "0.018",
        "0.14",
        "0.386",
        "–",
    ]
    assert format_lift(0.2691) == "26.9%" and format_lift(None) == "–"


def test_units_name_the_kind_of_number() -> None:
    assert effect_unit("difference", "difference:z_test", BINARY) == (
        "Difference (percentage points)"
    )
    assert effect_unit("difference", "ancova:HC1", BINARY) == "Difference (percentage points)"
    assert effect_unit("difference", "welch_t", CONTINUOUS) == "Difference"
    assert effect_unit("ratio", "odds_ratio:z_test", BINARY) == "Odds ratio"
    assert effect_unit("ratio", "poisson_rate_ratio:score", MetricKind.COUNT) == "Rate ratio"
