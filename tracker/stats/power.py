"""Planning for proportions: power, sample size and minimum detectable effect, two arms.

(Means are planned in `tracker.stats.power_means`, which shares the helpers here.)

Matches R's `power.prop.test` and `power.t.test` (with their default `strict = FALSE`, where
the two-sided power counts rejections in the direction of the effect only):

- proportions: the normal approximation with the pooled variance under the null and the
  unpooled variance under the alternative, as R's source — not Cohen's h —
  `statsmodels.stats.proportion.power_proportions_2indep` and
  `samplesize_proportions_2indep_onetail`;
- means: the noncentral t, `statsmodels.stats.power.TTestIndPower` (`power`, `solve_power`).

A two-sided test at level α is evaluated as a one-sided test at α / 2 (R's strict = FALSE);
`strict=True` adds the opposite tail. Unequal allocation is `allocation_ratio` =
n_treatment / n_control. Cluster designs multiply the individually randomised sample size by
the design effect 1 + (m − 1)·ICC (`design_effect`).
"""

from __future__ import annotations

import math

from scipy import optimize

from tracker.stats.health import finding
from tracker.stats.results import Alternative, HealthFinding, OptionValue, PowerResult


def design_effect(cluster_size: float, icc: float) -> float:
    """Variance inflation of cluster randomisation, 1 + (m − 1)·ICC.

    Kish (1965), Survey Sampling; Donner & Klar (2000), Design and Analysis of Cluster
    Randomization Trials, §5.2 (equal cluster sizes m, intracluster correlation ICC).
    """
    return 1.0 + (cluster_size - 1.0) * icc


def check_design(cluster_size: float, icc: float) -> tuple[float, tuple[HealthFinding, ...]]:
    """(design effect, findings): cluster size ≥ 1 and ICC in [0, 1], or an error finding."""
    if cluster_size < 1 or not 0 <= icc <= 1:
        problem = finding(
            "impossible_value",
            "error",
            "Cluster size must be at least 1 and the intracluster correlation between 0 and 1.",
        )
        return math.nan, (problem,)
    return design_effect(cluster_size, icc), ()


def one_tail(alpha: float, alternative: Alternative) -> tuple[float, str]:
    """(alpha for a one-tailed calculation, statsmodels alternative) — R's strict = FALSE."""
    return (alpha / 2, "larger") if alternative == "two_sided" else (alpha, "larger")


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


def plan_options(**values: float | str | bool) -> dict[str, OptionValue]:
    """The inputs a planning result records, as a plain dict."""
    return dict(values)


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
    """Power to detect p_control → p_treatment with n_control (and ratio × n) participants."""
    effect_de, health = check_design(cluster_size, icc)
    options = plan_options(
        p_control=p_control,
        p_treatment=p_treatment,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
        strict=strict,
    )
    n_treatment = n_control * allocation_ratio
    if health:
        return PowerResult(
            "power_two_proportions",
            options,
            n_control,
            n_treatment,
            math.nan,
            p_treatment - p_control,
            alpha,
            alternative,
            effect_de,
            health,
        )
    power = _proportion_power(
        p_control, p_treatment, n_control / effect_de, allocation_ratio, alpha, alternative, strict
    )
    return PowerResult(
        "power_two_proportions",
        options,
        n_control,
        n_treatment,
        power,
        p_treatment - p_control,
        alpha,
        alternative,
        effect_de,
    )


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

    effect_de, health = check_design(cluster_size, icc)
    options = plan_options(
        p_control=p_control,
        p_treatment=p_treatment,
        allocation_ratio=allocation_ratio,
        cluster_size=cluster_size,
        icc=icc,
    )
    diff = p_treatment - p_control
    if not health and (diff == 0 or not (0 < p_control < 1 and 0 < p_treatment < 1)):
        health = (_no_effect(),)
    if health:
        return PowerResult(
            "sample_size_two_proportions",
            options,
            math.nan,
            math.nan,
            power,
            diff,
            alpha,
            alternative,
            effect_de,
            health,
        )
    one_alpha, _ = one_tail(alpha, alternative)
    base = p_control if diff > 0 else 1 - p_control  # a fall in p is a rise in 1 − p
    n_treatment = samplesize_proportions_2indep_onetail(
        abs(diff),
        base,
        power,
        ratio=1 / allocation_ratio,
        alpha=one_alpha,
        alternative="larger",
    )
    n_treatment = float(n_treatment) * effect_de
    return PowerResult(
        "sample_size_two_proportions",
        options,
        n_treatment / allocation_ratio,
        n_treatment,
        power,
        diff,
        alpha,
        alternative,
        effect_de,
    )


def _no_effect() -> HealthFinding:
    return finding(
        "impossible_value",
        "error",
        "The planned effect must be non-zero and the proportions strictly between 0 and 1.",
    )


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
    with `uniroot`. `effect` is the difference p_treatment − p_control."""
    effect_de, health = check_design(cluster_size, icc)
    options = plan_options(
        p_control=p_control, allocation_ratio=allocation_ratio, cluster_size=cluster_size, icc=icc
    )
    n_treatment = n_control * allocation_ratio
    if health:
        return PowerResult(
            "mde_two_proportions",
            options,
            n_control,
            n_treatment,
            power,
            math.nan,
            alpha,
            alternative,
            effect_de,
            health,
        )
    direction = -1.0 if alternative == "less" else 1.0
    bound = 1e-10 if direction < 0 else 1 - 1e-10
    target = n_control / effect_de

    def gap(p_treatment: float) -> float:
        return (
            _proportion_power(
                p_control, p_treatment, target, allocation_ratio, alpha, alternative, False
            )
            - power
        )

    if gap(bound) < 0:
        problem = finding(
            "underpowered", "error", "No effect this large is detectable with so few participants."
        )
        return PowerResult(
            "mde_two_proportions",
            options,
            n_control,
            n_treatment,
            power,
            math.nan,
            alpha,
            alternative,
            effect_de,
            (problem,),
        )
    start = p_control + direction * 1e-9
    p_treatment = float(optimize.brentq(gap, start, bound, xtol=1e-12))
    options["p_treatment"] = p_treatment
    return PowerResult(
        "mde_two_proportions",
        options,
        n_control,
        n_treatment,
        power,
        p_treatment - p_control,
        alpha,
        alternative,
        effect_de,
    )
