"""Always-valid confidence sequences (Waudby-Smith et al. 2021, as in GrowthBook's gbstats)."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from tracker.stats.continuous import MeanOptions, compare_means
from tracker.stats.lift import relative_lift
from tracker.stats.sequential import (
    SequentialOptions,
    always_valid_p_value,
    confidence_sequence_halfwidth,
    sequential_interval,
    sequential_rho,
)
from tracker.stats.summaries import MeanSummary


def test_relative_lift_sequence_matches_gbstats() -> None:
    # growthbook/growthbook packages/stats/tests/frequentist/test_tests.py,
    # TestSequentialTTest.test_sequential_test_runs: SampleMeanStatistic(sum=1396.87,
    # sum_squares=52377.9767, n=3000) vs (2422.7, 134698.29, 3461), tuning parameter 1000:
    # expected 0.50336, ci (-0.55844, 1.56516), uplift stddev 0.33341 (five decimals).
    control = MeanSummary.from_sums(3000, 1396.87, 52377.9767)
    treatment = MeanSummary.from_sums(3461, 2422.7, 134698.29)
    lift = relative_lift(
        treatment.mean,
        treatment.standard_error,
        control.mean,
        control.standard_error,
        sequential=SequentialOptions(planned_sample_size=1000),
        n=6461,
    )
    assert lift.estimate == pytest.approx(0.50336, abs=5e-6)
    assert lift.se == pytest.approx(0.33341, abs=5e-6)
    assert lift.ci_low == pytest.approx(-0.55844, abs=5e-6)
    assert lift.ci_high == pytest.approx(1.56516, abs=5e-6)


def test_rho_is_tuned_to_the_planned_sample_size() -> None:
    # Waudby-Smith et al. (2021), eq. 161: rho² = (−2 ln α + ln(−2 ln α + 1)) / N.
    alpha, planned = 0.05, 5000
    rho = sequential_rho(alpha, planned)
    assert rho**2 * planned == pytest.approx(
        -2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))
    )

    # The sequence is tightest near the planned size: the width ratio to se·√n is smallest there.
    def width(n: float) -> float:
        return confidence_sequence_halfwidth(1 / math.sqrt(n), n, rho, alpha) * math.sqrt(n)

    assert width(planned) < width(planned / 4) and width(planned) < width(planned * 4)


def test_interval_and_p_value_agree_and_are_wider_than_fixed() -> None:
    se, n, options = 0.1, 800, SequentialOptions(planned_sample_size=1000)
    rho = sequential_rho(0.05, 1000)
    half = confidence_sequence_halfwidth(se, n, rho, 0.05)
    assert half > stats.norm.isf(0.025) * se
    # Duality: the sequence excludes 0 exactly when the always-valid p-value is below alpha.
    for estimate in (half * 0.999, half * 1.001):
        low, _, p_value = sequential_interval(estimate, se, n, options, 0.05, "two_sided")
        assert (low > 0) == (p_value < 0.05)
        assert p_value >= 2 * stats.norm.sf(estimate / se)
    assert always_valid_p_value(0.0, se, n, rho) == 1.0
    assert always_valid_p_value(1e3, se, n, rho) == pytest.approx(0.0, abs=1e-300)


def test_one_sided_sequences_open_one_bound() -> None:
    options = SequentialOptions(planned_sample_size=1000)
    low, high, p_greater = sequential_interval(0.5, 0.1, 800, options, 0.05, "greater")
    assert high == math.inf and low < 0.5
    assert sequential_interval(-0.5, 0.1, 800, options, 0.05, "greater")[2] == 1.0
    low, high, p_less = sequential_interval(-0.5, 0.1, 800, options, 0.05, "less")
    assert low == -math.inf and p_less == p_greater


def test_results_say_which_mode_was_used() -> None:
    control, treatment = MeanSummary(400, 10.0, 3.0), MeanSummary(400, 10.6, 3.0)
    fixed = compare_means(control, treatment)
    sequential = compare_means(
        control, treatment, MeanOptions(sequential=SequentialOptions(planned_sample_size=2000))
    )
    assert (fixed.mode, sequential.mode) == ("fixed_horizon", "sequential")
    assert sequential.ci_high - sequential.ci_low > fixed.ci_high - fixed.ci_low
    assert sequential.estimate == fixed.estimate and sequential.se == fixed.se
    assert sequential.relative_lift is not None and fixed.relative_lift is not None
    assert sequential.relative_lift.ci_low < fixed.relative_lift.ci_low
