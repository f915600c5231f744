"""Across iterations — did v2 beat v1 — on the same arm, or on the effect.

- same arm, iteration k versus k − 1: the arm-versus-control methods with the earlier
  iteration as the baseline (`compare_arm_across_iterations`);
- the effect in k versus the effect in k − 1: difference of independent estimates
  (`tracker.stats.lift.difference_of_independent_estimates`), on the log scale for ratios.

Omnibus tests over all iterations are in `tracker.stats.omnibus`; trends over iteration order
in `tracker.stats.trend`.
"""

from __future__ import annotations

import math

from tracker.stats.binary import ProportionOptions, compare_proportions
from tracker.stats.continuous import MeanOptions, compare_means
from tracker.stats.counts import RateOptions, compare_rates
from tracker.stats.health import finding
from tracker.stats.lift import difference_of_independent_estimates
from tracker.stats.results import Alternative, EffectResult, HealthFinding, failed_effect
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary, Summary


def compare_arm_across_iterations(
    earlier: Summary,
    later: Summary,
    options: ProportionOptions | MeanOptions | RateOptions | None = None,
) -> EffectResult:
    """The same arm in iteration k (later) against k − 1 (earlier), later − earlier."""
    if isinstance(earlier, ProportionSummary) and isinstance(later, ProportionSummary):
        binary = options if isinstance(options, ProportionOptions) else None
        return compare_proportions(earlier, later, binary)
    if isinstance(earlier, MeanSummary) and isinstance(later, MeanSummary):
        means = options if isinstance(options, MeanOptions) else None
        return compare_means(earlier, later, means)
    if isinstance(earlier, CountSummary) and isinstance(later, CountSummary):
        rates = options if isinstance(options, RateOptions) else None
        return compare_rates(earlier, later, rates)
    raise TypeError("both iterations must summarise the same kind of metric")


def difference_of_effects(
    later: EffectResult,
    earlier: EffectResult,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
) -> EffectResult:
    """Did the effect change between iterations? later effect − earlier effect.

    The iterations are independent samples, so SE = √(se_k² + se_{k−1}²). Ratios are compared
    on the log scale and reported as a ratio of ratios (`scale="ratio"`).
    """
    method = "difference_of_independent_estimates"
    options = {"alpha": alpha, "alternative": alternative, "earlier": earlier.method}
    n = (sum(earlier.n), sum(later.n))
    problems = _unusable_effects(later, earlier)
    if problems:
        return failed_effect(
            method, options, n, problems, alpha=alpha, alternative=alternative, scale=later.scale
        )
    ratio = later.scale == "ratio"
    a = math.log(later.estimate) if ratio else later.estimate
    b = math.log(earlier.estimate) if ratio else earlier.estimate
    estimate, se, low, high, p_value, z = difference_of_independent_estimates(
        a, later.se, b, earlier.se, alpha, alternative
    )
    if ratio:
        estimate, low, high = math.exp(estimate), math.exp(low), math.exp(high)
    return EffectResult(
        method=method,
        options=options,
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        n=n,
        scale=later.scale,
        alpha=alpha,
        alternative=alternative,
        statistic=z,
        arm_values=(earlier.estimate, later.estimate),
    )


def _unusable_effects(*effects: EffectResult) -> tuple[HealthFinding, ...]:
    if len({effect.scale for effect in effects}) > 1:
        return (
            finding(
                "incomparable_effects",
                "error",
                "The two effects are on different scales (for example a difference and a "
                "ratio), so they cannot be compared.",
            ),
        )
    usable = all(effect.ok and effect.se > 0 and math.isfinite(effect.se) for effect in effects)
    positive = effects[0].scale != "ratio" or all(effect.estimate > 0 for effect in effects)
    if usable and positive:
        return ()
    return (
        finding(
            "effect_unavailable",
            "error",
            "One of the iterations has no usable effect estimate, so the change between "
            "iterations cannot be estimated; see that iteration's own health checks.",
        ),
    )
