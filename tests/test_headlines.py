"""Headline results in words, from stored comparison rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tests import factories
from tracker.models.enums import Direction, MetricKind
from tracker.services.analysis import run_analysis
from tracker.services.headlines import (
    MetricFacts,
    headline,
    latest_runs,
    primary_metric_key,
)

PAID = MetricFacts("paid", "Paid on time", MetricKind.BINARY)


def row(arm: str, estimate: float, low: float, high: float, **extra: Any) -> dict[str, Any]:
    return {
        "comparison": "arm_vs_control",
        "metric": "paid",
        "iteration": 2,
        "arm": arm,
        "baseline": "Letter",
        "method": "difference:z_test",
        "scale": "difference",
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "alpha": 0.05,
        "exploratory": False,
        **extra,
    }


def test_a_clear_difference_in_proportions_reads_in_percentage_points() -> None:
    said = headline([row("Text", 0.023, 0.012, 0.034)], PAID, run_id=7)
    assert said is not None and said.clear and said.run_id == 7 and said.confirmatory
    assert said.words == (
        "Paid on time: between 1.2 and 3.4 percentage points more with Text than with Letter "
        "(v2, 95% confidence interval)"
    )


def test_the_best_arm_of_the_latest_iteration_is_named_as_such() -> None:
    rows = [
        row("Old", 0.09, 0.05, 0.13, iteration=1),
        row("Text", 0.01, -0.01, 0.03),
        row("Call", 0.02, -0.005, 0.045),
    ]
    said = headline(rows, PAID)
    assert said is not None and said.arm == "Call" and said.iteration == 2 and not said.clear
    assert said.words.startswith(
        "Paid on time: no clear difference between Call and Letter: anywhere from 0.5 less to "
        "4.5 more percentage points (v2, the best of 2 arms"
    )


def test_a_decrease_wanted_picks_the_lowest_and_ratios_and_money_read_naturally() -> None:
    calls = MetricFacts("paid", "Calls", MetricKind.COUNT, direction=Direction.DECREASE)
    ratios = [
        row("A", 0.86, 0.76, 0.97, scale="ratio", method="poisson_rate_ratio:score"),
        row("B", 0.71, 0.62, 0.80, scale="ratio", method="poisson_rate_ratio:score"),
    ]
    said = headline(ratios, calls)
    assert said is not None and said.arm == "B"
    assert said.words.startswith("Calls: between 0.62 and 0.80 times the rate with B as with")
    money = MetricFacts("paid", "Paid", MetricKind.CONTINUOUS, unit="£")
    said = headline([row("A", -12.0, -20.5, -3.25)], money)
    assert said is not None and said.words.startswith(
        "Paid: between £3.25 and £20.50 less with A than with Letter"
    )


def test_nothing_usable_gives_no_headline() -> None:
    assert headline([row("A", 0.1, None, None)], PAID) is None  # type: ignore[arg-type]
    assert headline([], PAID) is None


def test_primary_metric_is_the_plans_else_the_first_reported() -> None:
    rows = [row("A", 1, 0, 2, metric="b"), row("A", 1, 0, 2, metric="a", role="primary")]
    assert primary_metric_key(rows, ["b", "a"]) == "a"
    assert primary_metric_key([row("A", 1, 0, 2, metric="b")], ["a", "b"]) == "b"


def test_latest_runs_gives_each_pilots_newest(session: Session) -> None:
    factories.make_trial(session)
    factories.record_results(
        session,
        {
            "control": {"metric": "take-up", "n": 100, "successes": 30},
            "new letter": {"metric": "take-up", "n": 100, "successes": 45},
        },
    )
    first = run_analysis(session=session, actor=factories.ANALYST, pilot_slug="letter-trial")
    second = run_analysis(session=session, actor=factories.ANALYST, pilot_slug="letter-trial")
    runs = latest_runs(session, [first.pilot_id, 999])
    assert list(runs) == [first.pilot_id] and runs[first.pilot_id].id == second.id
    assert latest_runs(session, []) == {}
