"""Planning for means: power, sample size and minimum detectable difference, two arms.

The noncentral t of R's `power.t.test` — `statsmodels.stats.power.TTestIndPower` (`power`,
`solve_power`). As in R's default (strict = FALSE), a two-sided test at level α is evaluated
as a one-sided test at α / 2; `strict=True` adds the opposite tail. Cluster designs divide the
information by the design effect 1 + (m − 1)·ICC (`tracker.stats.power.design_effect`).
"""

from __future__ import annotations

import math
from functools import partial

from tracker.stats.health import finding
from tracker.stats.power import check_plan, one_tail, plan_options, solve_safely
from tracker.stats.results import Alternative, PowerResult


def _t_power(
    effect_size: float,
    n_control: float,
    ratio: float,
    alpha: float,
    alternative: Alternative,
    strict: bool,
) -> float:
    from statsmodels.stats.power import TTestIndPower

    if alternative == "two_sided" and strict:
        power = TTestIndPower().power(
            abs(effect_size), n_control, alpha, ratio, alternative="two-sided"
        )
        return float(power)
    one_alpha, sm_alternative = one_tail(alpha, alternative)
    signed = -effect_size if alternative == "less" else effect_size
    if alternative == "two_sided":
        signed = abs(effect_size)
    return float(
        TTestIndPower().power(signed, n_control, one_alpha, ratio, alternative=sm_alternative)
    )


def power_two_means(
    difference: float,
    sd: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    strict: bool = False,
) -> PowerResult:
    """Power of the two-sample t-test for a true difference (R's `power.t.test(n, delta, sd)`),
    `TTestIndPower().power(effect_size=difference / sd, ...)`."""
    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        n=n_control,
        sd=sd,
    )
    options = plan_options(
        sd=sd,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        strict=strict,
    )
    build = partial(
        PowerResult,
        "power_two_means",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    n_treatment = n_control * allocation_ratio
    if health:
        return build(n_control, n_treatment, math.nan, difference, health=health)

    def compute() -> PowerResult:
        power = _t_power(
            difference / sd, n_control / de, allocation_ratio, alpha, alternative, strict
        )
        return build(n_control, n_treatment, power, difference)

    return solve_safely(build, compute)


def sample_size_two_means(
    difference: float,
    sd: float,
    power: float = 0.8,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> PowerResult:
    """Participants per arm for the t-test (R's `power.t.test(delta, sd, power)`), via
    `TTestIndPower().solve_power(nobs1=None)`, then inflated by the design effect."""
    from statsmodels.stats.power import TTestIndPower

    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        power=power,
        sd=sd,
    )
    if not health and not (difference != 0 and math.isfinite(difference)):
        health = (finding("impossible_value", "error", "The planned difference must not be zero."),)
    options = plan_options(
        sd=sd, allocation_ratio=allocation_ratio, cluster_size=cluster_size, icc=icc
    )
    build = partial(
        PowerResult,
        "sample_size_two_means",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    if health:
        return build(math.nan, math.nan, power, difference, health=health)

    def compute() -> PowerResult:
        one_alpha, sm_alternative = one_tail(alpha, alternative)
        n_control = TTestIndPower().solve_power(
            abs(difference) / sd,
            nobs1=None,
            alpha=one_alpha,
            power=power,
            ratio=allocation_ratio,
            alternative=sm_alternative,
        )
        n_control = float(n_control) * de
        return build(n_control, n_control * allocation_ratio, power, difference)

    return solve_safely(build, compute)


def mde_two_means(
    sd: float,
    n_control: float,
    power: float = 0.8,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> PowerResult:
    """Smallest difference in means detectable with `power`, via
    `TTestIndPower().solve_power(effect_size=None)` × sd (negative when alternative is
    "less")."""
    from statsmodels.stats.power import TTestIndPower

    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        power=power,
        n=n_control,
        sd=sd,
    )
    options = plan_options(
        sd=sd, allocation_ratio=allocation_ratio, cluster_size=cluster_size, icc=icc
    )
    build = partial(
        PowerResult,
        "mde_two_means",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    n_treatment = n_control * allocation_ratio
    if health:
        return build(n_control, n_treatment, power, math.nan, health=health)

    def compute() -> PowerResult:
        one_alpha, sm_alternative = one_tail(alpha, alternative)
        effect_size = TTestIndPower().solve_power(
            None,
            nobs1=n_control / de,
            alpha=one_alpha,
            power=power,
            ratio=allocation_ratio,
            alternative=sm_alternative,
        )
        sign = -1.0 if alternative == "less" else 1.0
        return build(n_control, n_treatment, power, sign * float(effect_size) * sd)

    return solve_safely(build, compute)
