"""A pilot's headline result in words, for readers who will not read a results table.

Senior officials read "between 1.2 and 3.4 percentage points more with the new letter than with
the old one", not "0.023 (0.012, 0.034), p = 0.0004". The headline is taken from the latest
stored analysis run (never computed on the fly, so it is always a number someone can reproduce
with `tracker analyse`): the latest iteration with an arm-versus-control result on the
pilot's primary metric (the locked plan's, else the first metric with results), and of its arms
the one whose estimate is best in the metric's direction — said as "the best of N arms", since
picking the best of several flatters it. An interval that includes "no effect" says so plainly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from tracker.models import AnalysisRun, Metric
from tracker.models.enums import Direction, MetricKind


@dataclass(frozen=True)
class MetricFacts:
    """What the words need to know about a metric."""

    key: str
    name: str
    kind: str
    unit: str = ""
    direction: str = Direction.INCREASE


@dataclass(frozen=True)
class Headline:
    """One arm against control on one metric, in words, with where the numbers came from."""

    metric: str
    iteration: int
    arm: str
    baseline: str
    words: str
    clear: bool  # the interval excludes "no effect"
    run_id: int | None
    confirmatory: bool


def latest_runs(session: Session, pilot_ids: Iterable[int]) -> dict[int, AnalysisRun]:
    """The newest stored run of each pilot, in two queries whatever the number of pilots."""
    ids = list(pilot_ids)
    if not ids:
        return {}
    newest = (
        select(func.max(AnalysisRun.id))
        .where(col(AnalysisRun.pilot_id).in_(ids))
        .group_by(col(AnalysisRun.pilot_id))
    )
    runs = session.exec(select(AnalysisRun).where(col(AnalysisRun.id).in_(newest))).all()
    return {run.pilot_id: run for run in runs}


def _finite(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _usable(row: Mapping[str, Any]) -> bool:
    return all(_finite(row, key) is not None for key in ("estimate", "ci_low", "ci_high"))


def choose_row(rows: Sequence[Mapping[str, Any]], metric: MetricFacts) -> Mapping[str, Any] | None:
    """The arm-versus-control row the headline reports, or None when there is none."""
    candidates = [
        row
        for row in rows
        if row.get("comparison") == "arm_vs_control"
        and row.get("metric") == metric.key
        and row.get("iteration") is not None
        and _usable(row)
    ]
    if not candidates:
        return None
    latest = max(int(row["iteration"]) for row in candidates)
    in_latest = [row for row in candidates if int(row["iteration"]) == latest]
    sign = -1.0 if metric.direction == Direction.DECREASE else 1.0
    return max(in_latest, key=lambda row: sign * float(row["estimate"]))


def _number(value: float, row: Mapping[str, Any], metric: MetricFacts) -> str:
    """A size of effect (positive) as a number in the metric's own scale."""
    if _in_points(row, metric):
        return f"{100 * value:,.1f}"
    if metric.unit.strip() in CURRENCIES:
        return f"{value:,.2f}"
    places = 3 - math.floor(math.log10(value)) if value > 0 else 0
    return f"{value:,.{max(0, places)}f}"


def _in_points(row: Mapping[str, Any], metric: MetricFacts) -> bool:
    return metric.kind == MetricKind.BINARY and row.get("scale") == "difference"


def _between(low: float, high: float, row: Mapping[str, Any], metric: MetricFacts) -> str:
    """ "between 1.2 and 3.4 percentage points", "between £5.20 and £9.00", … (low < high)."""
    first, second = _number(low, row, metric), _number(high, row, metric)
    unit = "percentage points" if _in_points(row, metric) else metric.unit.strip()
    if unit in CURRENCIES:
        return f"between {unit}{first} and {unit}{second}"
    return f"between {first} and {second} {unit}".rstrip()


CURRENCIES = {"£", "$", "€"}
RATIO_OF = {"odds_ratio": "the odds", "risk_ratio": "the proportion"}


def interval_words(row: Mapping[str, Any], metric: MetricFacts) -> tuple[str, bool]:
    """The effect of the row's arm as a sentence about its interval, and whether the interval
    excludes no effect."""
    low, high = float(row["ci_low"]), float(row["ci_high"])
    arm, baseline = row["arm"], row["baseline"]
    if row.get("scale") == "ratio":
        what = RATIO_OF.get(str(row.get("method", "")).partition(":")[0], "the rate")
        return (
            f"between {low:,.2f} and {high:,.2f} times {what} with {arm} as with {baseline}",
            not (low <= 1.0 <= high),
        )
    if low > 0:
        return f"{_between(low, high, row, metric)} more with {arm} than with {baseline}", True
    if high < 0:
        return f"{_between(-high, -low, row, metric)} less with {arm} than with {baseline}", True
    unit = "percentage points" if _in_points(row, metric) else metric.unit.strip()
    return (
        f"no clear difference between {arm} and {baseline}: anywhere from "
        f"{_number(-low, row, metric)} less to {_number(high, row, metric)} more {unit}".rstrip(),
        False,
    )


def headline(
    rows: Sequence[Mapping[str, Any]], metric: MetricFacts, *, run_id: int | None = None
) -> Headline | None:
    """The headline of a run's rows on one metric, or None when it has no usable result."""
    row = choose_row(rows, metric)
    if row is None:
        return None
    phrase, clear = interval_words(row, metric)
    level = round(100 * (1 - float(row.get("alpha") or 0.05)))
    arms = sum(
        1
        for other in rows
        if other.get("comparison") == "arm_vs_control"
        and other.get("metric") == metric.key
        and other.get("iteration") == row["iteration"]
    )
    best = f", the best of {arms} arms" if arms > 1 else ""
    return Headline(
        metric=metric.key,
        iteration=int(row["iteration"]),
        arm=str(row["arm"]),
        baseline=str(row["baseline"]),
        words=f"{metric.name}: {phrase} (v{row['iteration']}{best}, {level}% confidence interval)",
        clear=clear,
        run_id=run_id,
        confirmatory=not row.get("exploratory", True),
    )


def primary_metric_key(rows: Sequence[Mapping[str, Any]], metric_keys: Sequence[str]) -> str | None:
    """The plan's primary metric as the run recorded it, else the first metric with a result."""
    primary = [row["metric"] for row in rows if row.get("role") == "primary"]
    if primary:
        return str(primary[0])
    reported = {row.get("metric") for row in rows if row.get("comparison") == "arm_vs_control"}
    return next((key for key in metric_keys if key in reported), None)


def facts_of(metric: Metric) -> MetricFacts:
    """The words' view of a stored metric."""
    return MetricFacts(metric.key, metric.name, metric.kind, metric.unit, metric.direction)


def primary_headline(
    rows: Sequence[Mapping[str, Any]], metrics: Sequence[Metric], *, run_id: int | None
) -> Headline | None:
    """The headline on the primary metric (see `primary_metric_key`), or None without one."""
    key = primary_metric_key(rows, [metric.key for metric in metrics])
    metric = next((metric for metric in metrics if metric.key == key), None)
    return headline(rows, facts_of(metric), run_id=run_id) if metric else None
