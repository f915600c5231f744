"""Always-valid confidence sequences, so a dashboard can be read every week.

Implements the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard, Ramdas et
al. (2021), "Time-uniform central limit theory and asymptotic confidence sequences",
arXiv:2103.06476 — the normal-mixture boundary as GrowthBook's gbstats uses it (read, not
copied). No library provides it, so the two formulas live here, one small function each.

For an estimate with standard error `se` after `n` units (both arms together), let
s² = n·se² (the per-unit variance). The boundary half-width is

    s · √( 2(nρ² + 1) / (n²ρ²) · ln(√(nρ² + 1) / α) )

and the always-valid p-value is 1 / e-value with
e = exp(ρ²·n·(θ̂ − θ₀)² / (2 s² (nρ² + 1))) / √(nρ² + 1)  (their eq. 155).

ρ is tuned so the sequence is tightest at the planned sample size N (their eq. 161):
ρ² = (−2 ln α + ln(−2 ln α + 1)) / N.

One-sided sequences use the same two-sided boundary at level α: valid, slightly conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracker.stats.results import Alternative


@dataclass(frozen=True)
class SequentialOptions:
    """Ask for an always-valid interval tuned to be tightest at `planned_sample_size`.

    `planned_sample_size` counts units in both compared arms together.
    """

    planned_sample_size: float


def sequential_rho(alpha: float, planned_sample_size: float) -> float:
    """Mixing parameter ρ that makes the sequence tightest at N (Waudby-Smith et al. eq. 161)."""
    minus_two_log_alpha = -2.0 * math.log(alpha)
    return math.sqrt(
        (minus_two_log_alpha + math.log(minus_two_log_alpha + 1.0)) / planned_sample_size
    )


def confidence_sequence_halfwidth(se: float, n: float, rho: float, alpha: float) -> float:
    """Half-width of the asymptotic confidence sequence after `n` units (see module docstring)."""
    n_rho2 = n * rho * rho
    return se * math.sqrt(2.0 * (n_rho2 + 1.0) / n_rho2 * math.log(math.sqrt(n_rho2 + 1.0) / alpha))


def always_valid_p_value(
    estimate: float, se: float, n: float, rho: float, null_value: float = 0.0
) -> float:
    """Two-sided always-valid p-value, min(1, 1/e), from the mixture e-value (eq. 155).

    Computed in log space so overwhelming evidence gives a tiny p rather than an overflow.
    """
    z2 = ((estimate - null_value) / se) ** 2
    n_rho2 = n * rho * rho
    log_e = n_rho2 * z2 / (2.0 * (n_rho2 + 1.0)) - 0.5 * math.log(n_rho2 + 1.0)
    return 1.0 if log_e <= 0 else math.exp(-log_e)


def sequential_interval(
    estimate: float,
    se: float,
    n: float,
    options: SequentialOptions,
    alpha: float,
    alternative: Alternative,
) -> tuple[float, float, float]:
    """(ci_low, ci_high, p_value) of the always-valid sequence for a normal-approximate estimate."""
    rho = sequential_rho(alpha, options.planned_sample_size)
    half = confidence_sequence_halfwidth(se, n, rho, alpha)
    p_value = always_valid_p_value(estimate, se, n, rho)
    if alternative == "greater":
        return estimate - half, math.inf, p_value if estimate > 0 else 1.0
    if alternative == "less":
        return -math.inf, estimate + half, p_value if estimate < 0 else 1.0
    return estimate - half, estimate + half, p_value
