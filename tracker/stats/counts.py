"""Count metrics, treatment versus control: the Poisson rate ratio.

- score test and interval (default): `statsmodels.stats.rates.test_poisson_2indep(method="score")`
  and `confint_poisson_2indep(method="score")`;
- Wald on the log scale: `method="wald-log"` in both;
- exact conditional test, as R's `poisson.test` for two samples:
  `test_poisson_2indep(method="exact-cond")`, with the exact interval obtained, as R does, from
  the Clopper–Pearson interval for the treatment's share of all events
  (`statsmodels.stats.proportion.proportion_confint(method="beta")`) mapped to the rate-ratio
  scale: RR = π / (1 − π) · E_c / E_t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

from tracker.stats.health import (
    CALCULATION_ERRORS,
    calculation_failed,
    check_summary,
    finding,
    library_warnings,
    minimum_sample,
)
from tracker.stats.intervals import interval_alpha, one_sided, statsmodels_alternative
from tracker.stats.lift import relative_lift
from tracker.stats.results import Alternative, EffectResult, Mode, describe_options, failed_effect
from tracker.stats.sequential import SequentialOptions, sequential_interval
from tracker.stats.summaries import CountSummary

RateMethod = Literal["score", "wald_log", "exact_conditional"]

_STATSMODELS_METHODS = {"score": "score", "wald_log": "wald-log", "exact_conditional": "exact-cond"}


@dataclass(frozen=True)
class RateOptions:
    """How to compare two event rates. `sequential` applies to the log rate ratio."""

    alpha: float = 0.05
    alternative: Alternative = "two_sided"
    method: RateMethod = "score"
    minimum_sample: float = 0
    sequential: SequentialOptions | None = None


def compare_rates(
    control: CountSummary, treatment: CountSummary, options: RateOptions | None = None
) -> EffectResult:
    """Rate ratio, treatment / control, with its interval and p-value (`se` is of log RR).

    `statsmodels.stats.rates.test_poisson_2indep(compare="ratio")` for p and
    `confint_poisson_2indep(compare="ratio")` for the interval (exact conditional: see the
    module docstring).
    """
    options = options or RateOptions()
    method = f"poisson_rate_ratio:{options.method}"
    described = describe_options(options)
    n = (float(control.n), float(treatment.n))
    fail = partial(
        failed_effect,
        method,
        described,
        n,
        alpha=options.alpha,
        alternative=options.alternative,
        scale="ratio",
    )
    health = list(check_summary(control, "control") + check_summary(treatment, "treatment"))
    if not health and (control.total == 0 or treatment.total == 0):
        health.append(
            finding(
                "zero_events",
                "error",
                "An arm recorded no events, so the ratio of rates cannot be estimated; collect "
                "more data or compare the difference in rates instead.",
            )
        )
    if any(item.severity == "error" for item in health):
        return fail(tuple(health))
    health += minimum_sample(n, options.minimum_sample)
    mode: Mode = "fixed_horizon"
    try:
        with library_warnings(health):
            estimate = treatment.rate / control.rate
            se = math.sqrt(1 / treatment.total + 1 / control.total)
            statistic, p_value, low, high = _rate_ratio(control, treatment, options)
            if options.sequential is not None:
                log_low, log_high, p_value = sequential_interval(
                    math.log(estimate),
                    se,
                    sum(n),
                    options.sequential,
                    options.alpha,
                    options.alternative,
                )
                low, high = math.exp(log_low), math.exp(log_high)
                mode = "sequential"
            lift = relative_lift(
                treatment.rate,
                math.sqrt(treatment.total) / treatment.time_at_risk,
                control.rate,
                math.sqrt(control.total) / control.time_at_risk,
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
        scale="ratio",
        alpha=options.alpha,
        alternative=options.alternative,
        mode=mode,
        statistic=statistic,
        arm_values=(control.rate, treatment.rate),
        relative_lift=lift,
    )


def _rate_ratio(
    control: CountSummary, treatment: CountSummary, options: RateOptions
) -> tuple[float, float, float, float]:
    """(statistic, p_value, ci_low, ci_high) from statsmodels."""
    from statsmodels.stats.proportion import proportion_confint
    from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

    # Whole-number counts (checked by the health checks) as ints: scipy's exact binomial
    # test, under the exact conditional method, accepts nothing else.
    counts = (
        int(treatment.total),
        treatment.time_at_risk,
        int(control.total),
        control.time_at_risk,
    )
    test = test_poisson_2indep(
        *counts,
        method=_STATSMODELS_METHODS[options.method],
        compare="ratio",
        alternative=statsmodels_alternative(options.alternative),
    )
    alpha = interval_alpha(options.alpha, options.alternative)
    if options.method == "exact_conditional":
        events = treatment.total + control.total
        share_low, share_high = proportion_confint(
            int(treatment.total), int(events), alpha=alpha, method="beta"
        )
        scale = control.time_at_risk / treatment.time_at_risk
        low = share_low / (1 - share_low) * scale
        high = share_high / (1 - share_high) * scale if share_high < 1 else math.inf
    else:
        low, high = confint_poisson_2indep(
            *counts, method=_STATSMODELS_METHODS[options.method], compare="ratio", alpha=alpha
        )
    low, high = one_sided(float(low), float(high), options.alternative)
    return float(test.statistic), float(test.pvalue), low, high
