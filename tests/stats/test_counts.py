"""Count metrics: the Poisson rate ratio against R's poisson.test."""

from __future__ import annotations

import math

import pytest

from tracker.stats.counts import RateMethod, RateOptions, compare_rates
from tracker.stats.sequential import SequentialOptions
from tracker.stats.summaries import CountSummary

# R's ?poisson.test example (eba1977: Fredericia versus the other three cities, ages 55-59):
# poisson.test(c(11, 6 + 8 + 7), c(800, 1083 + 1050 + 878)) — p-value = 0.07967,
# 95 percent CI 0.8584264 4.2772659, rate ratio 1.971488
# (R's tests/Examples/stats-Ex.Rout.save).
FREDERICIA = CountSummary(n=800, total=11, exposure=800)
OTHER_CITIES = CountSummary(n=3011, total=21, exposure=1083 + 1050 + 878)


def test_exact_conditional_test_matches_r_poisson_test() -> None:
    result = compare_rates(OTHER_CITIES, FREDERICIA, RateOptions(method="exact_conditional"))
    assert result.estimate == pytest.approx(1.971488, abs=5e-7)
    assert result.p_value == pytest.approx(0.07967, abs=5e-6)
    assert result.ci_low == pytest.approx(0.8584264, abs=5e-8)
    assert result.ci_high == pytest.approx(4.2772659, abs=5e-8)
    assert result.scale == "ratio"
    assert result.se == pytest.approx(math.sqrt(1 / 11 + 1 / 21))


@pytest.mark.parametrize("method", ["score", "wald_log"])
def test_asymptotic_methods_bracket_the_estimate(method: RateMethod) -> None:
    result = compare_rates(OTHER_CITIES, FREDERICIA, RateOptions(method=method))
    assert result.ci_low < result.estimate < result.ci_high
    assert 0.04 < result.p_value < 0.1
    assert result.arm_values == (pytest.approx(21 / 3011), pytest.approx(11 / 800))


def test_wald_log_interval_is_exp_of_log_ratio_plus_minus_z_se() -> None:
    result = compare_rates(OTHER_CITIES, FREDERICIA, RateOptions(method="wald_log"))
    z = 1.959963984540054
    assert result.ci_low == pytest.approx(result.estimate * math.exp(-z * result.se))
    assert result.ci_high == pytest.approx(result.estimate * math.exp(z * result.se))


def test_sequential_rate_ratio_is_wider() -> None:
    fixed = compare_rates(OTHER_CITIES, FREDERICIA, RateOptions(method="wald_log"))
    sequential = compare_rates(
        OTHER_CITIES, FREDERICIA, RateOptions(sequential=SequentialOptions(4000))
    )
    assert sequential.mode == "sequential"
    assert sequential.ci_low < fixed.ci_low and sequential.ci_high > fixed.ci_high


@pytest.mark.parametrize(
    ("control", "code"),
    [
        (CountSummary(100, 0), "zero_events"),
        (CountSummary(100, -2), "impossible_value"),
        (CountSummary(100, 5, exposure=0.0), "impossible_value"),
        (CountSummary(0, 0), "empty_arm"),
        (CountSummary(100, math.nan), "non_finite"),
    ],
)
def test_bad_counts_are_explained(control: CountSummary, code: str) -> None:
    result = compare_rates(control, CountSummary(100, 7))
    assert not result.ok and [f.code for f in result.health] == [code]
