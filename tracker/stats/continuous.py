"""Continuous metrics, treatment versus control: Welch (or pooled) t from summaries, and rank
tests on unit-level values.

- Welch t-test / Student's pooled t-test from n, mean, sd:
  `scipy.stats.ttest_ind_from_stats(equal_var=False | True)` gives t and p; the interval is
  the difference ± t(df)·SE with the Welch–Satterthwaite df (Welch 1947, Biometrika 34;
  scipy's summary-statistics routine does not return df or an interval, so the formula is in
  `welch_satterthwaite_df`).
- Mann–Whitney U `scipy.stats.mannwhitneyu` and Brunner–Munzel `scipy.stats.brunnermunzel`
  on unit-level values; both estimate P(T > C) + ½·P(T = C), with the Brunner–Munzel
  interval from `statsmodels.stats.nonparametric.rank_compare_2indep`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from tracker.stats.health import (
    CALCULATION_ERRORS,
    calculation_failed,
    check_summary,
    finding,
    library_warnings,
    minimum_sample,
    non_finite_values,
    zero_variance,
)
from tracker.stats.intervals import interval_alpha, one_sided, scipy_alternative, t_interval
from tracker.stats.lift import relative_lift
from tracker.stats.results import (
    Alternative,
    EffectResult,
    HealthFinding,
    Mode,
    describe_options,
    failed_effect,
)
from tracker.stats.sequential import SequentialOptions, sequential_interval
from tracker.stats.summaries import MeanSummary

RankMethod = Literal["brunner_munzel", "mann_whitney"]


@dataclass(frozen=True)
class MeanOptions:
    """How to compare two means. `equal_var=True` is Student's pooled t (only when the plan says
    so — Welch's test is the safer default when arms differ in size or spread)."""

    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    equal_var: bool = False
    minimum_sample: float = 0
    sequential: SequentialOptions | None = None


@dataclass(frozen=True)
class RankOptions:
    """How to compare two distributions without assuming normality."""

    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    method: RankMethod = "brunner_munzel"
    minimum_sample: float = 0


def welch_satterthwaite_df(control: MeanSummary, treatment: MeanSummary) -> float:
    """Welch–Satterthwaite degrees of freedom (v_t/n_t + v_c/n_c)² / Σ (v/n)² / (n − 1)."""
    a = treatment.variance / treatment.n
    b = control.variance / control.n
    return (a + b) ** 2 / (a * a / (treatment.n - 1) + b * b / (control.n - 1))


def compare_means(
    control: MeanSummary, treatment: MeanSummary, options: MeanOptions | None = None
) -> EffectResult:
    """Difference in means, treatment − control, by Welch's (default) or Student's t-test.

    t and p: `scipy.stats.ttest_ind_from_stats(equal_var=...)`; interval: difference ±
    `scipy.stats.t.isf(α/2, df)`·SE with `welch_satterthwaite_df` (or n_c + n_t − 2 pooled).
    """
    options = options or MeanOptions()
    method = "student_t" if options.equal_var else "welch_t"
    described = describe_options(options)
    n = (float(control.n), float(treatment.n))
    fail = partial(
        failed_effect, method, described, n, alpha=options.alpha, alternative=options.alternative
    )
    health = list(check_summary(control, "control") + check_summary(treatment, "treatment"))
    if not any(item.severity == "error" for item in health):
        health += zero_variance((control, treatment))
    if any(item.severity == "error" for item in health):
        return fail(tuple(health))
    health += minimum_sample(n, options.minimum_sample)
    estimate = treatment.mean - control.mean
    mode: Mode = "fixed_horizon"
    try:
        with library_warnings(health):
            se, df = _se_and_df(control, treatment, options.equal_var)
            result = stats.ttest_ind_from_stats(
                treatment.mean,
                treatment.sd,
                treatment.n,
                control.mean,
                control.sd,
                control.n,
                equal_var=options.equal_var,
                alternative=scipy_alternative(options.alternative),
            )
            low, high = t_interval(estimate, se, df, options.alpha, options.alternative)
            p_value = float(result.pvalue)
            if options.sequential is not None:
                low, high, p_value = sequential_interval(
                    estimate, se, sum(n), options.sequential, options.alpha, options.alternative
                )
                mode = "sequential"
            lift = relative_lift(
                treatment.mean,
                treatment.standard_error,
                control.mean,
                control.standard_error,
                options.alpha,
                options.alternative,
                options.sequential,
                sum(n),
            )
    except CALCULATION_ERRORS as error:
        health.append(calculation_failed(error))
        return fail(tuple(health))
    return EffectResult(
        method=method,
        options=described,
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        n=n,
        health=tuple(health),
        alpha=options.alpha,
        alternative=options.alternative,
        mode=mode,
        statistic=float(result.statistic),
        df=df,
        arm_values=(control.mean, treatment.mean),
        relative_lift=lift,
    )


def _se_and_df(
    control: MeanSummary, treatment: MeanSummary, equal_var: bool
) -> tuple[float, float]:
    if equal_var:
        df = control.n + treatment.n - 2
        pooled = ((control.n - 1) * control.variance + (treatment.n - 1) * treatment.variance) / df
        return math.sqrt(pooled * (1 / control.n + 1 / treatment.n)), df
    se = math.hypot(control.standard_error, treatment.standard_error)
    return se, welch_satterthwaite_df(control, treatment)


def compare_distributions(
    control: npt.ArrayLike, treatment: npt.ArrayLike, options: RankOptions | None = None
) -> EffectResult:
    """Rank comparison of unit-level values: estimate P(T > C) + ½·P(T = C) (0.5 = no shift).

    `scipy.stats.mannwhitneyu` or `scipy.stats.brunnermunzel` for p; estimate and interval
    from `statsmodels.stats.nonparametric.rank_compare_2indep(treatment, control)`.

    The p-value comes from the chosen test; the interval is always the Brunner–Munzel one
    (`rank_compare_2indep`), which does not assume equal spreads. `statistic` is U for
    Mann–Whitney and, for Brunner–Munzel, statsmodels' statistic (positive when the treatment
    tends higher; scipy reports the same value with the opposite sign).
    """
    from statsmodels.stats.nonparametric import rank_compare_2indep

    options = options or RankOptions()
    method = options.method
    described = describe_options(options)
    x_control = np.asarray(control, dtype=float).ravel()
    x_treatment = np.asarray(treatment, dtype=float).ravel()
    n = (float(x_control.size), float(x_treatment.size))
    fail = partial(
        failed_effect,
        method,
        described,
        n,
        alpha=options.alpha,
        alternative=options.alternative,
        scale="probability",
    )
    health = _check_values(x_control, x_treatment)
    if any(item.severity == "error" for item in health):
        return fail(tuple(health))
    health += minimum_sample(n, options.minimum_sample)
    alternative = scipy_alternative(options.alternative)
    try:
        with library_warnings(health):
            ranks = rank_compare_2indep(x_treatment, x_control)
            low, high = ranks.conf_int(alpha=interval_alpha(options.alpha, options.alternative))
            if options.method == "mann_whitney":
                test = stats.mannwhitneyu(x_treatment, x_control, alternative=alternative)
            else:
                test = stats.brunnermunzel(x_treatment, x_control, alternative=alternative)
    except CALCULATION_ERRORS as error:
        health.append(calculation_failed(error))
        return fail(tuple(health))
    low, high = one_sided(float(low), float(high), options.alternative)
    if not math.isfinite(float(test.pvalue)):
        health.append(
            finding(
                "test_undefined",
                "warning",
                "Neither arm varies within itself, so this rank test has no p-value; the "
                "estimate still says how often the treatment arm scores higher.",
            )
        )
    return EffectResult(
        method=method,
        options=described,
        estimate=float(ranks.prob1),
        se=float(np.sqrt(ranks.var_prob)),
        ci_low=low,
        ci_high=high,
        p_value=float(test.pvalue),
        n=n,
        health=tuple(health),
        scale="probability",
        alpha=options.alpha,
        alternative=options.alternative,
        statistic=float(test.statistic if options.method == "mann_whitney" else ranks.statistic),
        df=float(ranks.df) if options.method == "brunner_munzel" else math.nan,
        arm_values=(float(np.median(x_control)), float(np.median(x_treatment))),
    )


def _check_values(control: np.ndarray, treatment: np.ndarray) -> list[HealthFinding]:
    health: list[HealthFinding] = []
    for arm, values in (("control", control), ("treatment", treatment)):
        if values.size == 0:
            health.append(
                finding(
                    "empty_arm",
                    "error",
                    f"The {arm} arm has no participants, so there is nothing to compare.",
                    arm=arm,
                )
            )
        else:
            health += non_finite_values(values, f"the {arm} arm")
    if health:
        return health
    if np.ptp(np.concatenate([control, treatment])) == 0:
        health.append(
            finding(
                "zero_variance",
                "error",
                "Every participant in every arm has the same value, so there is no variation "
                "to compare.",
            )
        )
    return health
