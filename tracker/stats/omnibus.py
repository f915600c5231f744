"""Omnibus tests: are all iterations (or groups) equal?

- means from summaries: `statsmodels.stats.oneway.anova_generic` (use_var="equal": one-way
  ANOVA; "unequal": Welch's ANOVA);
- means from unit-level values: the exact between/within decomposition in rational arithmetic
  (equal variances; reproduces the NIST StRD certified ANOVA values), or
  `statsmodels.stats.oneway.anova_oneway(use_var="unequal")` on values shifted by an exact
  constant (Welch);
- proportions: `statsmodels.stats.proportion.proportions_chisquare` (R's k-sample
  `prop.test`, no continuity correction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

import numpy as np
from scipy import stats

from tracker.stats.health import (
    CALCULATION_ERRORS,
    calculation_failed,
    check_summary,
    finding,
    library_warnings,
)
from tracker.stats.results import HealthFinding, OmnibusResult, failed_omnibus
from tracker.stats.summaries import ExactNumber, MeanSummary, ProportionSummary, to_fraction


def omnibus_means(
    summaries: Sequence[MeanSummary], use_var: Literal["equal", "unequal"] = "equal"
) -> OmnibusResult:
    """Are all iterations' means equal? One-way ANOVA ("equal") or Welch's ANOVA ("unequal").

    `statsmodels.stats.oneway.anova_generic(means, variances, nobs, use_var=...)`. The sums of
    squares in `details` use exactly rounded sums (`math.fsum`) about the grand mean; for
    certified precision from raw values use `oneway_anova_from_values`.
    """
    from statsmodels.stats.oneway import anova_generic

    method = "one_way_anova" if use_var == "equal" else "welch_anova"
    options = {"use_var": use_var}
    n = tuple(float(summary.n) for summary in summaries)
    health = _check_groups(summaries)
    if health:
        return failed_omnibus(method, options, n, health)
    means = np.array([summary.mean for summary in summaries])
    variances = np.array([summary.variance for summary in summaries])
    nobs = np.array(n)
    found: list[HealthFinding] = []
    try:
        with library_warnings(found):
            result = anova_generic(means, variances, nobs, use_var=use_var)
            total = math.fsum(n)
            grand = math.fsum(s.n * s.mean for s in summaries) / total
            ss_between = math.fsum(s.n * (s.mean - grand) ** 2 for s in summaries)
            ss_within = math.fsum((s.n - 1) * s.variance for s in summaries)
            details = _anova_details(ss_between, ss_within, len(summaries), total)
    except CALCULATION_ERRORS as error:
        return failed_omnibus(method, options, n, (calculation_failed(error),))
    return OmnibusResult(
        method=method,
        options=options,
        statistic=float(result.statistic),
        df=(float(result.df_num), float(result.df_denom)),
        p_value=float(result.pvalue),
        n=n,
        health=tuple(found),
        details=details,
    )


def _check_groups(summaries: Sequence[MeanSummary]) -> tuple[HealthFinding, ...]:
    if len(summaries) < 2:
        return (
            finding(
                "too_few_groups",
                "error",
                "At least two iterations are needed to test whether they differ.",
            ),
        )
    found: list[HealthFinding] = []
    for index, summary in enumerate(summaries, start=1):
        found += check_summary(summary, f"iteration {index}")
    return tuple(item for item in found if item.severity == "error")


def _anova_details(
    ss_between: float, ss_within: float, groups: int, total: float
) -> dict[str, float]:
    df_between, df_within = groups - 1, total - groups
    ms_within = ss_within / df_within if df_within > 0 else math.nan
    ss_total = ss_between + ss_within
    return {
        "ss_between": ss_between,
        "ss_within": ss_within,
        "ms_between": ss_between / df_between,
        "ms_within": ms_within,
        "r_squared": ss_between / ss_total if ss_total else math.nan,
        "residual_sd": math.sqrt(ms_within),
    }


def oneway_anova_from_values(
    groups: Sequence[Sequence[ExactNumber]], use_var: Literal["equal", "unequal"] = "equal"
) -> OmnibusResult:
    """One-way ANOVA from unit-level values, to certified precision.

    "equal": exact between/within decomposition in rational arithmetic — per group n, Σx and
    Σx² are exact Fractions (decimal strings convert exactly), so SS_within = Σ(Σx² − (Σx)²/n)
    and SS_between = Σ(Σx)²/n − (ΣΣx)²/N carry no rounding at all, and F is rounded once.
    The p-value is `scipy.stats.f.sf`. "unequal": Welch's ANOVA by
    `statsmodels.stats.oneway.anova_oneway(use_var="unequal")` on values minus an exact
    common shift (so 13 shared leading digits do not swamp the spread).
    """
    method = "one_way_anova_exact" if use_var == "equal" else "welch_anova"
    options = {"use_var": use_var}
    exact = [[to_fraction(value) for value in group] for group in groups]
    n = tuple(float(len(group)) for group in exact)
    if len(exact) < 2 or any(len(group) < 2 for group in exact):
        problem = finding(
            "too_few_groups",
            "error",
            "At least two iterations with at least two values each are needed.",
        )
        return failed_omnibus(method, options, n, (problem,))
    if use_var != "equal":
        return _welch_from_values(exact, n)
    sums = [sum(group, Fraction(0)) for group in exact]
    squares = [sum((x * x for x in group), Fraction(0)) for group in exact]
    total_n = sum(len(group) for group in exact)
    ss_within = sum(
        (q - s * s / len(group) for q, s, group in zip(squares, sums, exact, strict=True)),
        Fraction(0),
    )
    grand = sum(sums, Fraction(0))
    ss_between = (
        sum((s * s / len(group) for s, group in zip(sums, exact, strict=True)), Fraction(0))
        - grand * grand / total_n
    )
    df_between, df_within = len(exact) - 1, total_n - len(exact)
    if ss_within == 0:
        problem = finding(
            "zero_variance",
            "error",
            "Every value within each iteration is identical, so the F statistic is undefined.",
        )
        return failed_omnibus(method, options, n, (problem,))
    f_exact = (ss_between / df_between) / (ss_within / df_within)
    details = _anova_details(float(ss_between), float(ss_within), len(exact), float(total_n))
    details["ms_between"] = float(ss_between / df_between)
    details["ms_within"] = float(ss_within / df_within)
    details["residual_sd"] = math.sqrt(float(ss_within / df_within))
    details["r_squared"] = float(ss_between / (ss_between + ss_within))
    return OmnibusResult(
        method=method,
        options=options,
        statistic=float(f_exact),
        df=(float(df_between), float(df_within)),
        p_value=float(stats.f.sf(float(f_exact), df_between, df_within)),
        n=n,
        details=details,
    )


def _welch_from_values(exact: list[list[Fraction]], n: tuple[float, ...]) -> OmnibusResult:
    from statsmodels.stats.oneway import anova_oneway

    shift = exact[0][0]
    data = [np.array([float(x - shift) for x in group]) for group in exact]
    found: list[HealthFinding] = []
    try:
        with library_warnings(found):
            result = anova_oneway(data, use_var="unequal")
    except CALCULATION_ERRORS as error:
        return failed_omnibus(
            "welch_anova", {"use_var": "unequal"}, n, (calculation_failed(error),)
        )
    return OmnibusResult(
        method="welch_anova",
        options={"use_var": "unequal"},
        statistic=float(result.statistic),
        df=(float(result.df_num), float(result.df_denom)),
        p_value=float(result.pvalue),
        n=n,
        health=tuple(found),
    )


def omnibus_proportions(summaries: Sequence[ProportionSummary]) -> OmnibusResult:
    """Are all iterations' proportions equal? Pearson chi-squared on the k × 2 table.

    `statsmodels.stats.proportion.proportions_chisquare(count, nobs)` — R's
    `prop.test(x, n)` for k > 2 groups (which applies no continuity correction).
    """
    from statsmodels.stats.proportion import proportions_chisquare

    method = "k_sample_chi_squared"
    n = tuple(float(summary.n) for summary in summaries)
    health = check_proportion_groups(summaries)
    if health:
        return failed_omnibus(method, {}, n, health)
    found: list[HealthFinding] = []
    try:
        with library_warnings(found):
            statistic, p_value, _ = proportions_chisquare(
                np.array([s.successes for s in summaries]), np.array(n)
            )
    except CALCULATION_ERRORS as error:
        return failed_omnibus(method, {}, n, (calculation_failed(error),))
    return OmnibusResult(
        method=method,
        options={},
        statistic=float(statistic),
        df=(float(len(summaries) - 1),),
        p_value=float(p_value),
        n=n,
        health=tuple(found),
    )


def check_proportion_groups(summaries: Sequence[ProportionSummary]) -> tuple[HealthFinding, ...]:
    if len(summaries) < 2:
        return (
            finding("too_few_groups", "error", "At least two iterations are needed to compare."),
        )
    found: list[HealthFinding] = []
    for index, summary in enumerate(summaries, start=1):
        found += check_summary(summary, f"iteration {index}")
    errors = tuple(item for item in found if item.severity == "error")
    if errors:
        return errors
    events = sum(s.successes for s in summaries)
    if events in (0, sum(s.n for s in summaries)):
        return (
            finding(
                "zero_variance",
                "error",
                "No participant had the outcome in any iteration (or every participant did), "
                "so the iterations cannot differ on it.",
            ),
        )
    return ()
