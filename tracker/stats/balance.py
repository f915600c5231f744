"""Experiment-level health: were the arms allocated as planned, and alike before the change?

- sample-ratio mismatch: chi-squared goodness of fit of the arm sizes to the planned shares,
  `scipy.stats.chisquare`, flagged at p < 0.001;
- baseline balance: standardised mean difference of a pre-period metric (Austin 2009,
  "Balance diagnostics…", Statistics in Medicine 28:3083), flagged at |SMD| > 0.1.

Both are called by the service that knows the planned allocation and the pre-period metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tracker.stats.health import finding
from tracker.stats.results import HealthFinding, OmnibusResult, failed_omnibus
from tracker.stats.summaries import MeanSummary

SRM_THRESHOLD = 0.001
"""Flag a sample-ratio mismatch when the goodness-of-fit p-value is below this."""

BALANCE_THRESHOLD = 0.1
"""Flag baseline imbalance when |standardised mean difference| exceeds this (Austin 2009)."""


def sample_ratio_test(observed: Sequence[float], planned_shares: Sequence[float]) -> OmnibusResult:
    """Chi-squared goodness of fit of arm sizes to the planned allocation.

    `scipy.stats.chisquare(f_obs, f_exp)` with f_exp = share × total (shares are normalised).
    """
    from scipy import stats

    method = "chi_squared_goodness_of_fit"
    options: dict[str, tuple[float, ...]] = {"planned_shares": tuple(map(float, planned_shares))}
    observed_array = np.asarray(observed, dtype=float)
    shares = np.asarray(planned_shares, dtype=float)
    n = tuple(float(value) for value in observed_array)
    if (
        observed_array.shape != shares.shape
        or observed_array.size < 2
        or not np.all(np.isfinite(observed_array))
        or not np.all(np.isfinite(shares))
        or np.any(shares <= 0)
        or np.any(observed_array < 0)
        or observed_array.sum() <= 0
    ):
        problem = finding(
            "srm_not_checked",
            "warning",
            "The arm sizes could not be checked against the planned allocation: each arm "
            "needs a count and a positive planned share.",
        )
        return failed_omnibus(method, options, n, (problem,))
    expected = shares / shares.sum() * observed_array.sum()
    result = stats.chisquare(observed_array, expected)
    return OmnibusResult(
        method=method,
        options=options,
        statistic=float(result.statistic),
        df=(float(observed_array.size - 1),),
        p_value=float(result.pvalue),
        n=n,
    )


def sample_ratio_mismatch(
    observed: Sequence[float],
    planned_shares: Sequence[float],
    threshold: float = SRM_THRESHOLD,
) -> tuple[HealthFinding, ...]:
    """Flag when arm sizes are too far from the plan to be chance (p < 0.001 by default).

    A mismatch usually means units were lost or assigned unevenly, which can bias every
    comparison in the iteration.
    """
    test = sample_ratio_test(observed, planned_shares)
    if not test.ok:
        return test.health
    if test.p_value >= threshold:
        return ()
    return (
        finding(
            "sample_ratio_mismatch",
            "error",
            "The arms are not the sizes the plan intended, by more than chance would explain "
            f"(p = {test.p_value:.2g}). Some participants may have been lost or assigned "
            "unevenly, so every comparison here could be biased; investigate before using it.",
            p_value=test.p_value,
            statistic=test.statistic,
            threshold=threshold,
        ),
    )


def standardised_mean_difference(control: MeanSummary, treatment: MeanSummary) -> float:
    """(mean_t − mean_c) / √((sd_t² + sd_c²) / 2), Austin (2009), Statistics in Medicine 28.

    NaN when both standard deviations are zero or a summary is unusable.
    """
    pooled = math.sqrt((treatment.variance + control.variance) / 2)
    if not pooled or not math.isfinite(pooled):
        return math.nan
    return (treatment.mean - control.mean) / pooled


def baseline_balance(
    control: MeanSummary,
    treatment: MeanSummary,
    metric: str = "the baseline measure",
    threshold: float = BALANCE_THRESHOLD,
) -> tuple[HealthFinding, ...]:
    """Flag arms that already differed before the intervention (|SMD| > 0.1 by default)."""
    smd = standardised_mean_difference(control, treatment)
    if not math.isfinite(smd):
        return (
            finding(
                "balance_not_checked",
                "info",
                f"Balance on {metric} could not be checked (no spread or missing values).",
            ),
        )
    if abs(smd) <= threshold:
        return ()
    return (
        finding(
            "baseline_imbalance",
            "warning",
            f"The arms already differed on {metric} before the change (standardised "
            f"difference {smd:+.2f}, above {threshold:g}); an adjusted analysis that accounts "
            "for it is more trustworthy.",
            smd=smd,
            threshold=threshold,
        ),
    )
