"""Health checks: data problems explained in plain English, returned, never raised.

Each finding has a stable `code` for programs, a `severity` and a sentence a non-statistician
can act on. The arm-versus-control functions run these summary checks themselves; the
experiment-level checks (sample-ratio mismatch, baseline balance) are in
`tracker.stats.balance`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from tracker.stats.results import HealthFinding, Severity
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary, Summary


def finding(
    code: str, severity: Severity, message: str, **details: float | int | str
) -> HealthFinding:
    """Build a finding; keyword arguments become its details."""
    return HealthFinding(code=code, severity=severity, message=message, details=details)


def _finite(*values: float | None) -> bool:
    return all(value is None or math.isfinite(value) for value in values)


MAX_EXACT_COUNT = 2.0**53
"""Counts above this cannot be stored exactly as floats; no real arm is that large."""


def _whole(value: float) -> bool:
    return math.isfinite(value) and float(value).is_integer() and abs(value) <= MAX_EXACT_COUNT


def check_summary(summary: Summary, arm: str) -> tuple[HealthFinding, ...]:
    """Problems with one arm's summary that make it unusable or suspicious."""
    if isinstance(summary, ProportionSummary):
        return _check_proportion(summary, arm)
    if isinstance(summary, MeanSummary):
        return _check_mean(summary, arm)
    return _check_count(summary, arm)


def _basic(n: float, arm: str, *values: float | None) -> tuple[HealthFinding, ...]:
    if not _finite(n, *values):
        return (
            finding(
                "non_finite",
                "error",
                f"The {arm} arm contains a missing or infinite number, so it cannot be analysed.",
                arm=arm,
            ),
        )
    if n <= 0:
        return (
            finding(
                "empty_arm",
                "error",
                f"The {arm} arm has no participants, so there is nothing to compare.",
                arm=arm,
            ),
        )
    if not _whole(n):
        return (
            finding(
                "impossible_value",
                "error",
                f"The {arm} arm's number of participants ({n:g}) is not a plausible whole number.",
                arm=arm,
            ),
        )
    return ()


def _check_proportion(summary: ProportionSummary, arm: str) -> tuple[HealthFinding, ...]:
    basic = _basic(summary.n, arm, summary.successes)
    if basic:
        return basic
    if summary.successes < 0 or summary.successes > summary.n or not _whole(summary.successes):
        return (
            finding(
                "impossible_value",
                "error",
                f"The {arm} arm reports {summary.successes:g} successes out of {summary.n:g}; "
                "successes must be a whole number between zero and the number of participants.",
                arm=arm,
            ),
        )
    return ()


def _check_mean(summary: MeanSummary, arm: str) -> tuple[HealthFinding, ...]:
    if summary.n == 0:
        return _basic(summary.n, arm)
    basic = _basic(summary.n, arm, summary.mean, summary.sd)
    if basic and summary.n == 1 and _finite(summary.mean):
        return (
            finding(
                "too_few_for_spread",
                "error",
                f"The {arm} arm has a single participant, so its spread cannot be estimated.",
                arm=arm,
            ),
        )
    if basic:
        return basic
    if summary.sd < 0:
        return (
            finding(
                "impossible_value",
                "error",
                f"The {arm} arm's standard deviation is negative, which is impossible.",
                arm=arm,
            ),
        )
    return ()


def _check_count(summary: CountSummary, arm: str) -> tuple[HealthFinding, ...]:
    basic = _basic(summary.n, arm, summary.total, summary.exposure)
    if basic:
        return basic
    if summary.total < 0 or not _whole(summary.total):
        return (
            finding(
                "impossible_value",
                "error",
                f"The {arm} arm reports {summary.total:g} events; a count of events must be a "
                "whole number, zero or more.",
                arm=arm,
            ),
        )
    if summary.time_at_risk <= 0:
        return (
            finding(
                "impossible_value",
                "error",
                f"The {arm} arm's exposure (time or opportunities at risk) must be positive.",
                arm=arm,
            ),
        )
    return ()


def minimum_sample(
    n_by_arm: Sequence[float], minimum: float, arms: Sequence[str] = ("control", "treatment")
) -> tuple[HealthFinding, ...]:
    """Warn for each arm smaller than the minimum the analysis plan asks for."""
    return tuple(
        finding(
            "minimum_sample",
            "warning",
            f"The {arm} arm has {n:g} participants, fewer than the {minimum:g} the plan asks "
            "for; treat the result as provisional.",
            arm=arm,
            n=float(n),
            minimum=float(minimum),
        )
        for arm, n in zip(arms, n_by_arm, strict=False)
        if math.isfinite(n) and 0 < n < minimum
    )


def zero_variance(
    summaries: Sequence[Summary], arms: Sequence[str] = ("control", "treatment")
) -> tuple[HealthFinding, ...]:
    """Explain arms whose outcome never varies (every value the same)."""
    flat = [arm for arm, summary in zip(arms, summaries, strict=False) if _has_no_spread(summary)]
    if not flat:
        return ()
    if len(flat) == len(summaries):
        return (
            finding(
                "zero_variance",
                "error",
                "Every participant in every arm has the same outcome, so there is no variation "
                "to test; the usual standard error is zero.",
            ),
        )
    return tuple(
        finding(
            "zero_variance",
            "warning",
            f"Every participant in the {arm} arm has the same outcome; intervals that rely on "
            "within-arm spread may be too narrow.",
            arm=arm,
        )
        for arm in flat
    )


def _has_no_spread(summary: Summary) -> bool:
    if isinstance(summary, MeanSummary):
        return summary.sd == 0
    if isinstance(summary, ProportionSummary):
        return summary.n > 0 and summary.successes in (0, summary.n)
    return False


def non_finite_values(values: npt.ArrayLike, label: str) -> tuple[HealthFinding, ...]:
    """Report missing or infinite unit-level values in a column."""
    array = np.asarray(values, dtype=float)
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if not bad:
        return ()
    return (
        finding(
            "non_finite",
            "error",
            f"{bad} value(s) in {label} are missing or infinite; remove or correct them first.",
            count=bad,
            column=label,
        ),
    )


def sums_precision_findings(
    n: float, total: float, sum_of_squares: float
) -> tuple[HealthFinding, ...]:
    """Warn when n, Σx, Σx² cannot carry the spread: most digits cancel in Σx² − (Σx)²/n."""
    if n < 2 or not _finite(total, sum_of_squares) or sum_of_squares <= 0:
        return ()
    centred = sum_of_squares - total * (total / n)
    if centred > sum_of_squares * 1e-8:
        return ()
    return (
        finding(
            "precision_loss",
            "warning",
            "The totals supplied are so large compared with the spread of the values that the "
            "standard deviation may be inaccurate; upload the unit-level data instead.",
        ),
    )


CALCULATION_ERRORS = (
    ValueError,
    ZeroDivisionError,
    OverflowError,
    FloatingPointError,
    np.linalg.LinAlgError,
)
"""Exceptions a library raises on degenerate data; the engine reports them as findings."""


def calculation_failed(error: Exception) -> HealthFinding:
    """Explain a library refusing the data (the exception text goes into the details)."""
    return finding(
        "calculation_failed",
        "error",
        "The statistics library could not compute this result from the data given; check the "
        "arms have enough participants and some variation.",
        reason=str(error),
    )


@contextmanager
def library_warnings(found: list[HealthFinding]) -> Iterator[None]:
    """Turn warnings raised inside scipy/statsmodels into findings instead of noise.

    Not thread-safe before Python 3.14 (warnings filters are process-global).
    """
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        yield
    for warning in caught:
        found.append(
            finding(
                "calculation_warning",
                "warning",
                f"The calculation reported a numerical problem ({warning.message}); read the "
                "result with care.",
            )
        )
