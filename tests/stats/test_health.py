"""Health checks: coded findings with plain sentences, never exceptions."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from tracker.stats.balance import (
    baseline_balance,
    sample_ratio_mismatch,
    sample_ratio_test,
    standardised_mean_difference,
)
from tracker.stats.health import (
    library_warnings,
    minimum_sample,
    non_finite_values,
    sums_precision_findings,
    zero_variance,
)
from tracker.stats.results import HealthFinding
from tracker.stats.summaries import MeanSummary, ProportionSummary


def test_sample_ratio_mismatch_is_flagged_below_one_in_a_thousand() -> None:
    # 50/50 plan, 10,000 vs 10,600 observed: chi-squared = 2 · 300² / 10,300 ≈ 17.5 on 1 df.
    observed, shares = [10_000, 10_600], [0.5, 0.5]
    test = sample_ratio_test(observed, shares)
    expected = stats.chisquare(observed, [10_300, 10_300])
    assert test.statistic == pytest.approx(2 * 300**2 / 10_300)
    assert test.statistic == pytest.approx(expected.statistic)
    assert test.p_value == pytest.approx(expected.pvalue)
    assert test.p_value < 0.001
    (found,) = sample_ratio_mismatch(observed, shares)
    assert (found.code, found.severity) == ("sample_ratio_mismatch", "error")
    assert "not the sizes the plan intended" in found.message
    assert found.details["p_value"] == pytest.approx(test.p_value)


def test_chance_imbalance_and_unequal_plans_pass() -> None:
    assert sample_ratio_mismatch([10_000, 10_400], [0.5, 0.5]) == ()  # p ≈ 0.005: not flagged
    assert sample_ratio_mismatch([2_000, 1_000, 1_000], [2, 1, 1]) == ()  # shares normalised
    assert (
        sample_ratio_mismatch([3_000, 1_000, 1_000], [2, 1, 1])[0].code == "sample_ratio_mismatch"
    )


@pytest.mark.parametrize(
    ("observed", "shares"),
    [([10, 20], [0.5]), ([10, 20], [0.5, 0.0]), ([0, 0], [1, 1]), ([math.nan, 3], [1, 1])],
)
def test_unusable_allocation_data_is_reported_not_raised(
    observed: list[float], shares: list[float]
) -> None:
    (found,) = sample_ratio_mismatch(observed, shares)
    assert found.code == "srm_not_checked" and found.severity == "warning"


def test_baseline_balance_uses_the_standardised_mean_difference() -> None:
    control, treatment = MeanSummary(200, 50.0, 10.0), MeanSummary(200, 52.0, 12.0)
    smd = standardised_mean_difference(control, treatment)
    assert smd == pytest.approx(2 / math.sqrt((100 + 144) / 2))  # Austin (2009), eq. 1
    (found,) = baseline_balance(control, treatment, metric="earnings in 1975")
    assert found.code == "baseline_imbalance" and "earnings in 1975" in found.message
    assert baseline_balance(control, MeanSummary(200, 50.5, 10.0)) == ()
    flat = baseline_balance(MeanSummary(5, 1, 0), MeanSummary(5, 1, 0))
    assert flat[0].code == "balance_not_checked"


def test_minimum_sample_and_zero_variance_findings() -> None:
    found = minimum_sample([12, 400], 100)
    assert [(f.code, f.details["arm"]) for f in found] == [("minimum_sample", "control")]
    assert zero_variance([MeanSummary(5, 1, 0), MeanSummary(5, 2, 0)])[0].severity == "error"
    one = zero_variance([ProportionSummary(10, 10), ProportionSummary(10, 4)])
    assert [(f.code, f.severity) for f in one] == [("zero_variance", "warning")]


def test_non_finite_unit_values_are_counted() -> None:
    (found,) = non_finite_values([1.0, math.nan, math.inf, 2.0], "the outcome column")
    assert found.details["count"] == 2 and found.code == "non_finite"
    assert non_finite_values([1.0, 2.0], "x") == ()


def test_sums_that_cannot_carry_the_spread_are_flagged() -> None:
    values = [1e9 + d for d in (0.001, 0.002, 0.003)]
    total, squares = sum(values), sum(v * v for v in values)
    assert sums_precision_findings(3, total, squares)[0].code == "precision_loss"
    assert sums_precision_findings(3, 6.0, 14.0) == ()


def test_library_warnings_become_findings() -> None:
    import warnings

    found: list[HealthFinding] = []
    with library_warnings(found):
        warnings.warn("divide by zero encountered", RuntimeWarning, stacklevel=1)
    assert [f.code for f in found] == ["calculation_warning"]
    assert "divide by zero" in found[0].message
