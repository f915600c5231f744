"""Binary metrics, treatment versus control: differences, ratios and exact tests.

Every number comes from statsmodels or scipy; this module chooses, labels and checks:

- difference in proportions with a Newcombe (hybrid score) or Wald interval —
  `statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb" | "wald")`;
- two-proportion z-test, pooled SE `statsmodels.stats.proportion.proportions_ztest` or
  unpooled SE `statsmodels.stats.proportion.test_proportions_2indep(method="wald")`;
- risk ratio `confint_proportions_2indep(compare="ratio", method="log")` and odds ratio
  `confint_proportions_2indep(compare="odds-ratio", method="logit")`;
- Fisher's exact test `scipy.stats.fisher_exact`, with the conditional maximum-likelihood odds
  ratio and exact interval `scipy.stats.contingency.odds_ratio(kind="conditional")` (as R's
  `fisher.test` reports);
- Pearson's chi-squared `scipy.stats.chi2_contingency(correction=...)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

import numpy as np
from scipy import stats

from tracker.stats.health import (
    CALCULATION_ERRORS,
    calculation_failed,
    check_summary,
    finding,
    library_warnings,
    minimum_sample,
)
from tracker.stats.intervals import (
    interval_alpha,
    one_sided,
    scipy_alternative,
    statsmodels_alternative,
)
from tracker.stats.lift import relative_lift
from tracker.stats.results import (
    Alternative,
    EffectResult,
    HealthFinding,
    Mode,
    Scale,
    describe_options,
    failed_effect,
)
from tracker.stats.sequential import SequentialOptions, sequential_interval
from tracker.stats.summaries import ProportionSummary

BinaryEffect = Literal["difference", "risk_ratio", "odds_ratio"]
BinaryTest = Literal["z_test", "fisher_exact", "chi_squared"]
DifferenceInterval = Literal["newcombe", "wald"]


FISHER_MARGIN_LIMIT = 1_000
"""Above this smallest margin the exact methods are needlessly slow (their cost grows with the
margin: about a second at 5,000) and agree with the asymptotic ones."""


@dataclass(frozen=True)
class ProportionOptions:
    """How to compare two proportions; the defaults suit a pre-registered A/B test.

    `effect` picks what is estimated (and its interval), `test` picks the p-value; all three
    effects share the null hypothesis "the proportions are equal". `pooled` chooses the
    z-test's standard error under that null (pooled, the textbook test and R's `prop.test`
    without correction) or unpooled (Wald). `sequential` asks for an always-valid interval
    and p-value (difference with the z-test only).
    """

    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    effect: BinaryEffect = "difference"
    test: BinaryTest = "z_test"
    pooled: bool = True
    interval: DifferenceInterval = "newcombe"
    continuity_correction: bool = False
    minimum_sample: float = 0
    sequential: SequentialOptions | None = None


def compare_proportions(
    control: ProportionSummary,
    treatment: ProportionSummary,
    options: ProportionOptions | None = None,
) -> EffectResult:
    """Compare a binary metric between two arms (treatment − control, or treatment / control).

    Interval: `confint_proportions_2indep(method="newcomb" | "wald" | "log" | "logit")`, or
    `scipy.stats.contingency.odds_ratio(kind="conditional")` for Fisher's odds ratio.
    p-value: `proportions_ztest` (pooled), `test_proportions_2indep(method="wald")`
    (unpooled), `scipy.stats.fisher_exact` or `scipy.stats.chi2_contingency(correction=...)`.
    Relative lift: `tracker.stats.lift.relative_lift` (delta method).
    """
    options = options or ProportionOptions()
    described = describe_options(options)
    exact_unneeded = options.test == "fisher_exact" and _smallest_margin(control, treatment) > (
        FISHER_MARGIN_LIMIT
    )
    if exact_unneeded:
        options = replace(options, test="z_test")
    method = f"{options.effect}:{options.test}"
    n = (float(control.n), float(treatment.n))
    scale: Scale = "difference" if options.effect == "difference" else "ratio"
    fail = partial(
        failed_effect,
        method,
        described,
        n,
        alpha=options.alpha,
        alternative=options.alternative,
        scale=scale,
    )
    health = list(check_summary(control, "control") + check_summary(treatment, "treatment"))
    if any(item.severity == "error" for item in health):
        return fail(tuple(health))
    health += minimum_sample(n, options.minimum_sample)
    health += _no_variation(control, treatment)
    if exact_unneeded:
        health.append(
            finding(
                "exact_test_unneeded",
                "info",
                "Fisher's exact test is for small counts; every margin of this table has more "
                f"than {FISHER_MARGIN_LIMIT:,} participants, so the z-test, which agrees with it "
                "at this size and is far quicker, was used instead.",
            )
        )
    if _ratio_undefined(control, treatment, options):
        health.append(
            finding(
                "zero_cell",
                "error",
                "An arm has no participants with the outcome (or no participants without it), "
                "so a ratio cannot be estimated; compare the difference in proportions, or use "
                "Fisher's exact test for the odds ratio.",
            )
        )
        return fail(tuple(health))
    mode: Mode = "fixed_horizon"
    try:
        with library_warnings(health):
            estimate, se, low, high = _effect(control, treatment, options)
            statistic, df, p_value = _test(control, treatment, options, health)
            if options.sequential is not None:
                if options.effect == "difference" and options.test == "z_test" and se > 0:
                    low, high, p_value = sequential_interval(
                        estimate, se, sum(n), options.sequential, options.alpha, options.alternative
                    )
                    mode = "sequential"
                else:
                    health.append(_no_sequential())
            lift = relative_lift(
                treatment.rate,
                _rate_se(treatment),
                control.rate,
                _rate_se(control),
                options.alpha,
                options.alternative,
                options.sequential if mode == "sequential" else None,
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
        scale=scale,
        alpha=options.alpha,
        alternative=options.alternative,
        mode=mode,
        statistic=statistic,
        df=df,
        arm_values=(control.rate, treatment.rate),
        relative_lift=lift,
    )


def _rate_se(summary: ProportionSummary) -> float:
    rate = summary.rate
    return math.sqrt(rate * (1 - rate) / summary.n)


def _no_variation(control: ProportionSummary, treatment: ProportionSummary) -> list[HealthFinding]:
    events = control.successes + treatment.successes
    if 0 < events < control.n + treatment.n:
        return []
    return [
        finding(
            "zero_variance",
            "warning",
            "Either no participant in any arm had the outcome or every participant did, so "
            "the arms cannot differ on it; the test has nothing to detect.",
        )
    ]


def _smallest_margin(control: ProportionSummary, treatment: ProportionSummary) -> float:
    events = control.successes + treatment.successes
    margins = (events, control.n + treatment.n - events, control.n, treatment.n)
    return min(float(margin) for margin in margins)


def _ratio_undefined(
    control: ProportionSummary, treatment: ProportionSummary, options: ProportionOptions
) -> bool:
    cells = _table(control, treatment)
    if options.effect == "risk_ratio":
        return bool(cells[:, 0].min() == 0)
    if options.effect == "odds_ratio" and options.test != "fisher_exact":
        return bool(cells.min() == 0)
    return False


def _no_sequential() -> HealthFinding:
    return finding(
        "sequential_unavailable",
        "warning",
        "Always-valid (sequential) intervals are available for the difference in proportions "
        "with the z-test only; this result is a fixed-horizon one, valid for a single look.",
    )


def _effect(
    control: ProportionSummary, treatment: ProportionSummary, options: ProportionOptions
) -> tuple[float, float, float, float]:
    """(estimate, se, ci_low, ci_high); se is on the log scale for ratios."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    xt, nt, xc, nc = treatment.successes, treatment.n, control.successes, control.n
    alpha = interval_alpha(options.alpha, options.alternative)
    if options.effect == "difference":
        estimate = treatment.rate - control.rate
        se = math.hypot(_rate_se(treatment), _rate_se(control))
        method = "newcomb" if options.interval == "newcombe" else "wald"
        low, high = confint_proportions_2indep(
            xt, nt, xc, nc, method=method, compare="diff", alpha=alpha
        )
    elif options.effect == "risk_ratio":
        estimate = treatment.rate / control.rate if control.rate else math.inf
        se = math.sqrt(1 / xt - 1 / nt + 1 / xc - 1 / nc) if xt and xc else math.inf
        low, high = confint_proportions_2indep(
            xt, nt, xc, nc, method="log", compare="ratio", alpha=alpha
        )
    elif options.test == "fisher_exact":
        from scipy.stats.contingency import odds_ratio

        table = _table(control, treatment).astype(int)
        conditional = odds_ratio(table, kind="conditional")
        estimate = float(conditional.statistic)
        interval = conditional.confidence_interval(
            confidence_level=1 - options.alpha, alternative=scipy_alternative(options.alternative)
        )
        cells = table.ravel()
        se = math.sqrt(float(np.sum(1.0 / cells))) if np.all(cells > 0) else math.inf
        return estimate, se, float(interval.low), float(interval.high)
    else:
        cells = _table(control, treatment).ravel()
        estimate = (
            float(cells[0] * cells[3] / (cells[1] * cells[2])) if cells[1] * cells[2] else math.inf
        )
        se = math.sqrt(float(np.sum(1.0 / cells))) if np.all(cells > 0) else math.inf
        low, high = confint_proportions_2indep(
            xt, nt, xc, nc, method="logit", compare="odds-ratio", alpha=alpha
        )
    low, high = one_sided(float(low), float(high), options.alternative)
    return float(estimate), float(se), low, high


def _table(control: ProportionSummary, treatment: ProportionSummary) -> np.ndarray:
    """2×2 table: rows treatment, control; columns success, failure."""
    return np.array(
        [
            [treatment.successes, treatment.n - treatment.successes],
            [control.successes, control.n - control.successes],
        ],
        dtype=float,
    )


def _test(
    control: ProportionSummary,
    treatment: ProportionSummary,
    options: ProportionOptions,
    health: list[HealthFinding],
) -> tuple[float, float, float]:
    """(statistic, df, p_value) of the chosen test of equal proportions."""
    from statsmodels.stats.proportion import proportions_ztest, test_proportions_2indep

    if options.test == "fisher_exact":
        table = _table(control, treatment).astype(int)
        result = stats.fisher_exact(table, alternative=scipy_alternative(options.alternative))
        return math.nan, math.nan, float(result.pvalue)
    if options.test == "chi_squared":
        if options.alternative != "two_sided":
            health.append(
                finding(
                    "two_sided_only",
                    "info",
                    "The chi-squared test only answers the two-sided question, so its p-value "
                    "is two-sided.",
                )
            )
        if _table(control, treatment).sum(axis=0).min() == 0:
            return math.nan, 1.0, 1.0
        chi2 = stats.chi2_contingency(
            _table(control, treatment), correction=options.continuity_correction
        )
        return float(chi2.statistic), float(chi2.dof), float(chi2.pvalue)
    alternative = statsmodels_alternative(options.alternative)
    if options.pooled:
        events = control.successes + treatment.successes
        if events in (0, control.n + treatment.n):
            return math.nan, math.nan, 1.0
        z, p_value = proportions_ztest(
            [treatment.successes, control.successes],
            [treatment.n, control.n],
            alternative=alternative,
        )
        return float(z), math.nan, float(p_value)
    if _rate_se(treatment) == 0 and _rate_se(control) == 0:
        health.append(
            finding(
                "zero_variance",
                "warning",
                "Within each arm every participant has the same outcome, so the unpooled "
                "z-test has no standard error; use the pooled test or Fisher's exact test.",
            )
        )
        return math.nan, math.nan, math.nan
    result = test_proportions_2indep(
        treatment.successes,
        treatment.n,
        control.successes,
        control.n,
        method="wald",
        compare="diff",
        alternative=alternative,
    )
    return float(result.statistic), math.nan, float(result.pvalue)
