"""Trend over iteration order: is the metric (or the effect) moving steadily?

- proportions: the Cochran–Armitage test as R's `prop.trend.test` computes it — weighted
  least squares of p_i on scores with weights n_i / (p̄(1 − p̄)); the chi-squared statistic
  (1 df) is the regression sum of squares;
- any per-iteration estimates (means, effects): inverse-variance weighted regression on
  iteration order with known variances (fixed-effect meta-regression).

Both are `statsmodels.regression.linear_model.WLS(...).fit(cov_type="fixed scale")`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tracker.stats.health import CALCULATION_ERRORS, calculation_failed, finding, library_warnings
from tracker.stats.intervals import z_interval, z_p_value
from tracker.stats.omnibus import check_proportion_groups
from tracker.stats.results import (
    Alternative,
    EffectResult,
    HealthFinding,
    OptionValue,
    failed_effect,
)
from tracker.stats.summaries import ProportionSummary


def trend_in_proportions(
    summaries: Sequence[ProportionSummary],
    scores: Sequence[float] | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
) -> EffectResult:
    """Cochran–Armitage test for a trend in proportions over iteration order.

    As R's `prop.trend.test(x, n, score)`: weighted least squares of p_i on score_i with
    weights n_i / (p̄(1 − p̄)); the chi-squared statistic (1 df) is the regression sum of
    squares, and the estimate is the change in proportion per unit of score.
    """
    n = tuple(float(s.n) for s in summaries)
    health = check_proportion_groups(summaries)
    if health:
        return failed_effect("cochran_armitage_trend", {}, n, health, scale="slope")
    rates = np.array([s.rate for s in summaries])
    pooled = sum(s.successes for s in summaries) / sum(n)
    weights = np.array(n) / (pooled * (1 - pooled))
    return _weighted_trend("cochran_armitage_trend", rates, weights, scores, n, alpha, alternative)


def trend_over_iterations(
    estimates: Sequence[float],
    standard_errors: Sequence[float],
    scores: Sequence[float] | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    n: Sequence[float] = (),
) -> EffectResult:
    """Trend in any per-iteration estimates (means, effects): inverse-variance weighted
    regression on iteration order with known variances (fixed-effect meta-regression;
    Borenstein et al. 2009, Introduction to Meta-Analysis, ch. 20). The estimate is the change
    per iteration; z-test on the slope."""
    se = np.asarray(standard_errors, dtype=float)
    sizes = tuple(float(value) for value in n) or tuple(math.nan for _ in se)
    if len(se) < 3 or not np.all(np.isfinite(se)) or np.any(se <= 0):
        problem = finding(
            "too_few_groups",
            "error",
            "A trend needs at least three iterations, each with a usable estimate and "
            "standard error.",
        )
        return failed_effect("weighted_trend", {}, sizes, (problem,), scale="slope")
    values = np.asarray(estimates, dtype=float)
    return _weighted_trend("weighted_trend", values, 1 / se**2, scores, sizes, alpha, alternative)


def trend_in_effects(
    effects: Sequence[EffectResult],
    scores: Sequence[float] | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
) -> EffectResult:
    """Trend in the arm-versus-control effect across iterations (log scale for ratios)."""
    ratio = bool(effects) and effects[0].scale == "ratio"
    estimates = [
        math.log(e.estimate) if ratio and e.estimate > 0 else (math.nan if ratio else e.estimate)
        for e in effects
    ]
    standard_errors = [
        e.se if math.isfinite(est) else math.nan for e, est in zip(effects, estimates, strict=True)
    ]
    return trend_over_iterations(
        estimates, standard_errors, scores, alpha, alternative, [sum(e.n) for e in effects]
    )


def _weighted_trend(
    method: str,
    values: np.ndarray,
    weights: np.ndarray,
    scores: Sequence[float] | None,
    n: tuple[float, ...],
    alpha: float,
    alternative: Alternative,
) -> EffectResult:
    import statsmodels.api as sm

    x = np.arange(1.0, len(values) + 1) if scores is None else np.asarray(scores, dtype=float)
    options: dict[str, OptionValue] = {
        "scores": tuple(float(v) for v in x),
        "alpha": alpha,
        "alternative": alternative,
    }
    found: list[HealthFinding] = []
    if x.shape != values.shape or np.ptp(x) == 0 or not np.all(np.isfinite(x)):
        problem = finding(
            "impossible_value",
            "error",
            "Each iteration needs its own finite score, and the scores must not all be equal.",
        )
        return failed_effect(method, options, n, (problem,), scale="slope")
    try:
        with library_warnings(found):
            fit = sm.WLS(values, sm.add_constant(x - x.mean()), weights=weights).fit(
                cov_type="fixed scale", cov_kwds={"scale": 1.0}
            )
            slope, se = float(fit.params[1]), float(fit.bse[1])
            z = slope / se
            low, high = z_interval(slope, se, alpha, alternative)
    except CALCULATION_ERRORS as error:
        return failed_effect(method, options, n, (calculation_failed(error),), scale="slope")
    return EffectResult(
        method=method,
        options=options,
        estimate=slope,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=z_p_value(z, alternative),
        n=n,
        health=tuple(found),
        scale="slope",
        alpha=alpha,
        alternative=alternative,
        statistic=z * z,
        df=1.0,
        arm_values=tuple(float(v) for v in values),
    )
