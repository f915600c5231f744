"""Planning for proportions: power, sample size and minimum detectable effect, two arms.

Matches R's `power.prop.test`, including its default `strict = FALSE`, where a two-sided test
at level α is evaluated as a one-sided test at α / 2 (`strict=True` adds the opposite tail).
The calculation is the normal approximation with the pooled variance under the null and the
unpooled variance under the alternative, as in R's source — not Cohen's h:
`statsmodels.stats.proportion.power_proportions_2indep` and
`samplesize_proportions_2indep_onetail`. Unequal allocation is `allocation_ratio` =
n_treatment / n_control. Cluster designs multiply the individually randomised sample size by
the design effect 1 + (m − 1)·ICC (`design_effect`). Means are planned in
`tracker.stats.power_means`, which shares the helpers here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from scipy import optimize

from tracker.stats.health import CALCULATION_ERRORS, calculation_failed, finding, library_warnings
from tracker.stats.results import Alternative, HealthFinding, OptionValue, PowerResult


def design_effect(cluster_size: float, icc: float) -> float:
    """Variance inflation of cluster randomisation, 1 + (m − 1)·ICC.

    Kish (1965), Survey Sampling; Donner & Klar (2000), Design and Analysis of Cluster
    Randomization Trials, §5.2 (equal cluster sizes m, intracluster correlation ICC).
    """
    return 1.0 + (cluster_size - 1.0) * icc


def check_plan(
    *,
    alpha: float,
    allocation_ratio: float,
    cluster_size: float,
    icc: float,
    power: float | None = None,
    n: float | None = None,
    proportions: tuple[float, ...] = (),
    sd: float | None = None,
) -> tuple[float, tuple[HealthFinding, ...]]:
    """(design effect, findings): every planning input in range, or an explained error."""
    problems = [
        (0 < alpha < 1, "The significance level must be between 0 and 1."),
        (power is None or 0 < power < 1, "The target power must be between 0 and 1."),
        (allocation_ratio > 0, "The allocation ratio must be positive."),
        (n is None or n > 1, "Each arm needs more than one participant."),
        (all(0 < p < 1 for p in proportions), "Proportions must lie strictly between 0 and 1."),
        (sd is None or 0 < sd < math.inf, "The standard deviation must be positive."),
        (cluster_size >= 1, "Cluster size must be at least 1."),
        (0 <= icc <= 1, "The intracluster correlation must be between 0 and 1."),
    ]
    found = tuple(finding("impossible_value", "error", text) for ok, text in problems if not ok)
    return (math.nan, found) if found else (design_effect(cluster_size, icc), ())


def one_tail(alpha: float, alternative: Alternative) -> tuple[float, str]:
    """(alpha for a one-tailed calculation, statsmodels alternative) — R's strict = FALSE."""
    return (alpha / 2, "larger") if alternative == "two_sided" else (alpha, "larger")


def plan_options(**values: float | str | bool) -> dict[str, OptionValue]:
    """The inputs a planning result records, as a plain dict."""
    return dict(values)


def solve_safely(
    build: Callable[..., PowerResult], compute: Callable[[], PowerResult]
) -> PowerResult:
    """Run a planning calculation, turning library warnings and refusals into findings."""
    found: list[HealthFinding] = []
    try:
        with library_warnings(found):
            result = compute()
    except CALCULATION_ERRORS as error:
        return build(math.nan, math.nan, math.nan, math.nan, health=(calculation_failed(error),))
    return result if not found else build(*_numbers(result), health=(*result.health, *found))


def _numbers(result: PowerResult) -> tuple[float, float, float, float]:
    return result.n_control, result.n_treatment, result.power, result.effect


def _proportion_power(
    p_control: float,
    p_treatment: float,
    n_control: float,
    ratio: float,
    alpha: float,
    alternative: Alternative,
    strict: bool,
) -> float:
    from statsmodels.stats.proportion import power_proportions_2indep

    if alternative == "less" or (alternative == "two_sided" and p_treatment < p_control):
        # Mirror to the complementary outcome: a fall in p is a rise in 1 − p, and p(1 − p)
        # (hence every variance in the formula) is unchanged.
        p_control, p_treatment = 1 - p_control, 1 - p_treatment
    if alternative == "two_sided" and strict:
        one_alpha, sm_alternative = alpha, "two-sided"
    else:
        one_alpha, sm_alternative = one_tail(alpha, alternative)
    # statsmodels' arm 1 is the treatment, prop2 the control, and ratio = n2 / n1.
    power = power_proportions_2indep(
        p_treatment - p_control,
        p_control,
        n_control * ratio,
        ratio=1 / ratio,
        alpha=one_alpha,
        alternative=sm_alternative,
        return_results=False,
    )
    return float(power)


def power_two_proportions(
    p_control: float,
    p_treatment: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    strict: bool = False,
) -> PowerResult:
    """Power to detect p_control → p_treatment with n_control (and ratio × n) participants
    (R's `power.prop.test(n, p1, p2)` when the allocation is equal)."""
    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        n=n_control,
        proportions=(p_control, p_treatment),
    )
    options = plan_options(
        p_control=p_control,
        p_treatment=p_treatment,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        strict=strict,
    )
    build = partial(
        PowerResult,
        "power_two_proportions",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    n_treatment, effect = n_control * allocation_ratio, p_treatment - p_control
    if health:
        return build(n_control, n_treatment, math.nan, effect, health=health)

    def compute() -> PowerResult:
        power = _proportion_power(
            p_control, p_treatment, n_control / de, allocation_ratio, alpha, alternative, strict
        )
        return build(n_control, n_treatment, power, effect)

    return solve_safely(build, compute)


def sample_size_two_proportions(
    p_control: float,
    p_treatment: float,
    power: float = 0.8,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> PowerResult:
    """Participants per arm to reach `power` (R's `power.prop.test(p1, p2, power)` when the
    allocation is equal), inflated by the design effect for cluster designs."""
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        power=power,
        proportions=(p_control, p_treatment),
    )
    diff = p_treatment - p_control
    if not health and diff == 0:
        health = (finding("impossible_value", "error", "The planned effect must not be zero."),)
    options = plan_options(
        p_control=p_control,
        p_treatment=p_treatment,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
    )
    build = partial(
        PowerResult,
        "sample_size_two_proportions",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    if health:
        return build(math.nan, math.nan, power, diff, health=health)

    def compute() -> PowerResult:
        base = p_control if diff > 0 else 1 - p_control  # a fall in p is a rise in 1 − p
        n_treatment = samplesize_proportions_2indep_onetail(
            abs(diff),
            base,
            power,
            ratio=1 / allocation_ratio,
            alpha=one_tail(alpha, alternative)[0],
            alternative="larger",
        )
        n_treatment = float(n_treatment) * de
        return build(n_treatment / allocation_ratio, n_treatment, power, diff)

    return solve_safely(build, compute)


def mde_two_proportions(
    p_control: float,
    n_control: float,
    power: float = 0.8,
    *,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    allocation_ratio: float = 1.0,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> PowerResult:
    """Smallest treatment proportion detectable with `power` (an increase unless alternative is
    "less"), solved with `scipy.optimize.brentq` as R solves `power.prop.test(n, p1, power)`
    with `uniroot`. `effect` is the difference p_treatment − p_control; the proportion itself
    is in `options["p_treatment"]`."""
    de, health = check_plan(
        alpha=alpha,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        power=power,
        n=n_control,
        proportions=(p_control,),
    )
    options = plan_options(
        p_control=p_control, allocation_ratio=allocation_ratio, cluster_size=cluster_size, icc=icc
    )
    build = partial(
        PowerResult,
        "mde_two_proportions",
        options,
        alpha=alpha,
        alternative=alternative,
        design_effect=de,
    )
    n_treatment = n_control * allocation_ratio
    if health:
        return build(n_control, n_treatment, power, math.nan, health=health)
    direction = -1.0 if alternative == "less" else 1.0
    bound = 1e-10 if direction < 0 else 1 - 1e-10

    def gap(p_treatment: float) -> float:
        achieved = _proportion_power(
            p_control, p_treatment, n_control / de, allocation_ratio, alpha, alternative, False
        )
        return achieved - power

    def compute() -> PowerResult:
        if gap(bound) < 0:
            problem = finding(
                "underpowered",
                "error",
                "No change in the proportion is detectable with so few participants.",
            )
            return build(n_control, n_treatment, power, math.nan, health=(problem,))
        p_treatment = float(optimize.brentq(gap, p_control + direction * 1e-9, bound, xtol=1e-12))
        options["p_treatment"] = p_treatment
        return build(n_control, n_treatment, power, p_treatment - p_control)

    return solve_safely(build, compute)
