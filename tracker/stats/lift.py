"""Derived effects no library provides: relative lift and the difference of two estimates.

Both are one formula each, kept here in named functions with their references.
"""

from __future__ import annotations

import math

from tracker.stats.intervals import z_interval, z_p_value
from tracker.stats.results import Alternative, RelativeLift
from tracker.stats.sequential import SequentialOptions, sequential_interval


def relative_lift(
    treatment_value: float,
    treatment_se: float,
    control_value: float,
    control_se: float,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
    sequential: SequentialOptions | None = None,
    n: float = math.nan,
) -> RelativeLift:
    """Relative lift L = t / c − 1 with a delta-method interval.

    Var(t / c) ≈ se_t² / c² + t²·se_c² / c⁴ for independent arms (first-order Taylor
    expansion; e.g. Casella & Berger, Statistical Inference, §5.5.4; the same expression
    gbstats uses for relative effects). The interval is normal (or an always-valid sequence
    after `n` units when `sequential` is given). NaN when the control value is zero.
    """
    if control_value == 0 or not math.isfinite(control_value):
        nan = math.nan
        return RelativeLift(nan, nan, nan, nan)
    ratio = treatment_value / control_value
    estimate = ratio - 1.0
    # Written as products of ratios (and hypot) so tiny or huge means cannot overflow.
    se = math.hypot(treatment_se / control_value, ratio * (control_se / control_value))
    if sequential is not None and se > 0:
        low, high, _ = sequential_interval(estimate, se, n, sequential, alpha, alternative)
    else:
        low, high = z_interval(estimate, se, alpha, alternative)
    return RelativeLift(estimate=estimate, se=se, ci_low=low, ci_high=high)


def difference_of_independent_estimates(
    later: float,
    later_se: float,
    earlier: float,
    earlier_se: float,
    alpha: float = 0.05,
    alternative: Alternative = "two_sided",
) -> tuple[float, float, float, float, float, float]:
    """(difference, se, ci_low, ci_high, p_value, z) for later − earlier.

    For independent estimates, Var(a − b) = Var(a) + Var(b), so SE = √(se₁² + se₂²) and
    z = (a − b) / SE (Altman & Bland 2003, "Interaction revisited: the difference between two
    estimates", BMJ 326:219). Used to ask whether an effect changed between iterations.
    """
    difference = later - earlier
    se = math.hypot(later_se, earlier_se)
    if not se > 0:
        nan = math.nan
        return difference, se, nan, nan, nan, nan
    z = difference / se
    low, high = z_interval(difference, se, alpha, alternative)
    return difference, se, low, high, z_p_value(z, alternative), z
