"""Binary metrics against published and R reference values."""

from __future__ import annotations

import math

import pytest

from tracker.stats.binary import ProportionOptions, compare_proportions
from tracker.stats.omnibus import omnibus_proportions
from tracker.stats.sequential import SequentialOptions
from tracker.stats.summaries import ProportionSummary

# Fagerland, Lydersen & Laake (2015), "Recommended confidence intervals for two independent
# binomial proportions", Statistical Methods in Medical Research 24(2): 224–254, worked example
# 7/34 versus 1/34, intervals printed to two significant decimals (as recorded in statsmodels'
# statsmodels/stats/tests/test_proportion.py::test_confint_2indep).
FAGERLAND_CONTROL = ProportionSummary(n=34, successes=1)
FAGERLAND_TREATMENT = ProportionSummary(n=34, successes=7)

# Fisher (1935) tea-tasting table: 3 of 4 milk-first cups identified. R's ?fisher.test example,
# fisher.test(TeaTasting, alternative = "greater"): p-value = 0.2429, 95% CI 0.3135693 Inf,
# odds ratio 6.408309; R's ?r2dtable: "Fisher's exact test gives p = 0.4857".
TEA_CONTROL = ProportionSummary(n=4, successes=1)  # tea-first cups called milk-first
TEA_TREATMENT = ProportionSummary(n=4, successes=3)  # milk-first cups called milk-first


@pytest.mark.parametrize(
    ("options", "low", "high", "tolerance"),
    [
        (ProportionOptions(interval="wald"), 0.029, 0.32, 0.005),  # Wald
        (ProportionOptions(interval="newcombe"), 0.019, 0.34, 0.005),  # Newcombe hybrid score
    ],
)
def test_difference_intervals_match_fagerland_2015(
    options: ProportionOptions, low: float, high: float, tolerance: float
) -> None:
    result = compare_proportions(FAGERLAND_CONTROL, FAGERLAND_TREATMENT, options)
    assert result.estimate == pytest.approx(6 / 34)
    assert result.ci_low == pytest.approx(low, abs=tolerance)
    assert result.ci_high == pytest.approx(high, abs=tolerance)
    assert result.ok and result.scale == "difference"


@pytest.mark.parametrize(
    ("options", "low", "high"),
    [
        (ProportionOptions(effect="risk_ratio"), 0.91, 54),  # Katz log
        (ProportionOptions(effect="odds_ratio"), 0.99, 74),  # Woolf logit
        (ProportionOptions(effect="odds_ratio", test="fisher_exact"), 0.97, 397),  # Cornfield
    ],
)
def test_ratio_intervals_match_fagerland_2015(
    options: ProportionOptions, low: float, high: float
) -> None:
    result = compare_proportions(FAGERLAND_CONTROL, FAGERLAND_TREATMENT, options)
    # Printed to two significant digits: half a unit in the last printed place.
    assert result.ci_low == pytest.approx(low, abs=0.005)
    assert result.ci_high == pytest.approx(high, abs=0.5)
    assert result.scale == "ratio"


def test_fisher_tea_tasting_matches_r() -> None:
    greater = compare_proportions(
        TEA_CONTROL,
        TEA_TREATMENT,
        ProportionOptions(effect="odds_ratio", test="fisher_exact", alternative="greater"),
    )
    assert greater.p_value == pytest.approx(0.2429, abs=5e-5)  # R prints 4 significant digits
    # R's uniroot-based conditional MLE and limits agree with scipy's to about 5 digits.
    assert greater.estimate == pytest.approx(6.408309, rel=1e-4)
    assert greater.ci_low == pytest.approx(0.3135693, rel=1e-4)
    assert greater.ci_high == math.inf
    two_sided = compare_proportions(
        TEA_CONTROL, TEA_TREATMENT, ProportionOptions(test="fisher_exact")
    )
    assert two_sided.p_value == pytest.approx(0.4857, abs=5e-5)
    assert two_sided.p_value == pytest.approx(34 / 70)  # exact hypergeometric tail, 34 of 70


def test_pooled_z_test_squared_is_pearson_chi_squared_without_correction() -> None:
    control, treatment = ProportionSummary(200, 48), ProportionSummary(210, 71)
    z = compare_proportions(control, treatment)
    chi2 = compare_proportions(control, treatment, ProportionOptions(test="chi_squared"))
    k_sample = omnibus_proportions([control, treatment])
    assert z.statistic**2 == pytest.approx(chi2.statistic, rel=1e-12)
    assert z.p_value == pytest.approx(chi2.p_value, rel=1e-10)
    assert chi2.statistic == pytest.approx(k_sample.statistic, rel=1e-12)
    yates = compare_proportions(
        control, treatment, ProportionOptions(test="chi_squared", continuity_correction=True)
    )
    assert yates.statistic < chi2.statistic and yates.p_value > chi2.p_value
    assert yates.df == 1


def test_unpooled_z_test_uses_the_wald_standard_error() -> None:
    control, treatment = ProportionSummary(200, 48), ProportionSummary(210, 71)
    result = compare_proportions(control, treatment, ProportionOptions(pooled=False))
    p_c, p_t = 48 / 200, 71 / 210
    se = math.sqrt(p_c * (1 - p_c) / 200 + p_t * (1 - p_t) / 210)
    assert result.statistic == pytest.approx((p_t - p_c) / se, rel=1e-12)
    assert result.se == pytest.approx(se, rel=1e-12)


def test_one_sided_tests_halve_the_p_value_and_open_one_bound() -> None:
    control, treatment = ProportionSummary(500, 100), ProportionSummary(500, 130)
    two = compare_proportions(control, treatment)
    greater = compare_proportions(control, treatment, ProportionOptions(alternative="greater"))
    less = compare_proportions(control, treatment, ProportionOptions(alternative="less"))
    assert greater.p_value == pytest.approx(two.p_value / 2, rel=1e-9)
    assert less.p_value == pytest.approx(1 - two.p_value / 2, rel=1e-9)
    assert greater.ci_high == math.inf and less.ci_low == -math.inf
    assert two.ci_low < greater.ci_low < two.estimate


def test_relative_lift_uses_the_delta_method() -> None:
    control, treatment = ProportionSummary(1000, 200), ProportionSummary(1000, 240)
    lift = compare_proportions(control, treatment).relative_lift
    assert lift is not None
    se_t, se_c = math.sqrt(0.24 * 0.76 / 1000), math.sqrt(0.2 * 0.8 / 1000)
    assert lift.estimate == pytest.approx(0.2)
    assert lift.se == pytest.approx(math.sqrt(se_t**2 / 0.2**2 + 0.24**2 * se_c**2 / 0.2**4))
    assert lift.ci_low == pytest.approx(0.2 - 1.959963984540054 * lift.se)


def test_sequential_mode_is_wider_and_says_so() -> None:
    control, treatment = ProportionSummary(1000, 200), ProportionSummary(1000, 240)
    fixed = compare_proportions(control, treatment)
    sequential = compare_proportions(
        control, treatment, ProportionOptions(sequential=SequentialOptions(2000))
    )
    assert fixed.mode == "fixed_horizon" and sequential.mode == "sequential"
    assert sequential.ci_low < fixed.ci_low and sequential.ci_high > fixed.ci_high
    assert sequential.p_value > fixed.p_value
    assert sequential.options["sequential_planned_sample_size"] == 2000.0
    fisher = compare_proportions(
        control,
        treatment,
        ProportionOptions(test="fisher_exact", sequential=SequentialOptions(2000)),
    )
    assert fisher.mode == "fixed_horizon"
    assert [finding.code for finding in fisher.health] == ["sequential_unavailable"]


@pytest.mark.parametrize(
    ("control", "treatment", "code"),
    [
        (ProportionSummary(0, 0), ProportionSummary(10, 3), "empty_arm"),
        (ProportionSummary(10, 11), ProportionSummary(10, 3), "impossible_value"),
        (ProportionSummary(10.5, 1), ProportionSummary(10, 3), "impossible_value"),
        (ProportionSummary(math.nan, 1), ProportionSummary(10, 3), "non_finite"),
        (ProportionSummary(10, -1), ProportionSummary(10, 3), "impossible_value"),
    ],
)
def test_impossible_inputs_come_back_as_findings(
    control: ProportionSummary, treatment: ProportionSummary, code: str
) -> None:
    result = compare_proportions(control, treatment)
    assert not result.ok
    assert math.isnan(result.estimate) and math.isnan(result.p_value)
    assert [finding.code for finding in result.health] == [code]
    assert all(finding.severity == "error" and finding.message for finding in result.health)


def test_degenerate_tables_are_explained() -> None:
    no_events = compare_proportions(ProportionSummary(10, 0), ProportionSummary(10, 0))
    assert no_events.estimate == 0 and no_events.p_value == 1
    assert [f.code for f in no_events.health] == ["zero_variance"]
    ratio = compare_proportions(
        ProportionSummary(10, 0), ProportionSummary(10, 4), ProportionOptions(effect="risk_ratio")
    )
    assert not ratio.ok and [f.code for f in ratio.health] == ["zero_cell"]
    unpooled = compare_proportions(
        ProportionSummary(10, 0), ProportionSummary(10, 10), ProportionOptions(pooled=False)
    )
    assert math.isnan(unpooled.p_value) and unpooled.health[0].code == "zero_variance"
    small = compare_proportions(
        ProportionSummary(8, 2), ProportionSummary(9, 4), ProportionOptions(minimum_sample=30)
    )
    assert [f.code for f in small.health] == ["minimum_sample", "minimum_sample"]
    assert small.ok


def test_fisher_is_replaced_by_the_z_test_for_large_tables() -> None:
    control, treatment = ProportionSummary(40_000, 12_000), ProportionSummary(40_000, 12_400)
    result = compare_proportions(control, treatment, ProportionOptions(test="fisher_exact"))
    assert result.method == "difference:z_test"
    assert result.options["test"] == "fisher_exact"  # what was asked for stays on record
    assert [(f.code, f.severity) for f in result.health] == [("exact_test_unneeded", "info")]
    assert result.p_value == compare_proportions(control, treatment).p_value
