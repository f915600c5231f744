"""Across iterations: k versus k − 1, the change in the effect, omnibus tests and trends."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tracker.stats.binary import ProportionOptions, compare_proportions
from tracker.stats.continuous import compare_means
from tracker.stats.counts import compare_rates
from tracker.stats.iterations import compare_arm_across_iterations, difference_of_effects
from tracker.stats.omnibus import omnibus_means, omnibus_proportions, oneway_anova_from_values
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary
from tracker.stats.trend import trend_in_effects, trend_in_proportions, trend_over_iterations

# Fleiss (1981, p. 139), R's ?prop.test and ?prop.trend.test examples
# (R tests/Examples/stats-Ex.Rout.save): smokers among patients in four groups.
SMOKERS = [83, 90, 129, 70]
PATIENTS = [86, 93, 136, 82]
FLEISS = [ProportionSummary(n, x) for x, n in zip(SMOKERS, PATIENTS, strict=True)]


def test_k_sample_chi_squared_matches_r_prop_test() -> None:
    # prop.test(smokers, patients): X-squared = 12.6004, df = 3, p-value = 0.005585
    result = omnibus_proportions(FLEISS)
    assert result.statistic == pytest.approx(12.6004, abs=5e-5)
    assert result.df == (3.0,)
    assert result.p_value == pytest.approx(0.005585, abs=5e-7)


@pytest.mark.parametrize(
    ("scores", "statistic", "p_value"),
    [
        (None, 8.2249, 0.004132),  # prop.trend.test(smokers, patients)
        ((0, 0, 0, 1), 12.1731, 0.0004848),  # prop.trend.test(smokers, patients, c(0,0,0,1))
    ],
)
def test_trend_in_proportions_matches_r_prop_trend_test(
    scores: tuple[float, ...] | None, statistic: float, p_value: float
) -> None:
    result = trend_in_proportions(FLEISS, scores)
    assert result.method == "cochran_armitage_trend"
    assert result.statistic == pytest.approx(statistic, abs=5e-5)
    assert result.p_value == pytest.approx(p_value, rel=5e-4)
    assert result.df == 1.0


def test_trend_slope_is_negative_for_falling_proportions() -> None:
    result = trend_in_proportions(FLEISS)
    assert result.estimate < 0 and result.ci_high < 0
    assert result.scale == "slope"


def test_same_arm_across_iterations_dispatches_on_the_metric_kind() -> None:
    earlier, later = ProportionSummary(400, 80), ProportionSummary(420, 105)
    assert compare_arm_across_iterations(earlier, later) == compare_proportions(earlier, later)
    m1, m2 = MeanSummary(50, 3.0, 1.0), MeanSummary(60, 3.4, 1.2)
    assert compare_arm_across_iterations(m1, m2) == compare_means(m1, m2)
    c1, c2 = CountSummary(50, 30), CountSummary(60, 50)
    assert compare_arm_across_iterations(c1, c2) == compare_rates(c1, c2)
    with pytest.raises(TypeError):
        compare_arm_across_iterations(m1, c2)


def test_difference_of_effects_adds_variances() -> None:
    v1 = compare_means(MeanSummary(100, 10.0, 2.0), MeanSummary(100, 10.5, 2.0))
    v2 = compare_means(MeanSummary(120, 10.0, 2.0), MeanSummary(120, 11.2, 2.0))
    change = difference_of_effects(v2, v1)
    se = math.hypot(v1.se, v2.se)
    assert change.estimate == pytest.approx(0.7)
    assert change.se == pytest.approx(se)
    assert change.p_value == pytest.approx(2 * stats.norm.sf(0.7 / se))
    assert change.ci_low == pytest.approx(0.7 - stats.norm.isf(0.025) * se)
    assert change.arm_values == (v1.estimate, v2.estimate)
    assert change.n == (200.0, 240.0)


def test_difference_of_ratio_effects_is_a_ratio_of_ratios() -> None:
    options = ProportionOptions(effect="risk_ratio")
    v1 = compare_proportions(ProportionSummary(500, 50), ProportionSummary(500, 60), options)
    v2 = compare_proportions(ProportionSummary(500, 50), ProportionSummary(500, 80), options)
    change = difference_of_effects(v2, v1)
    assert change.scale == "ratio"
    assert change.estimate == pytest.approx(1.6 / 1.2)
    assert change.ci_low < change.estimate < change.ci_high
    assert change.se == pytest.approx(math.hypot(v1.se, v2.se))


def test_difference_of_effects_refuses_mixed_or_failed_inputs() -> None:
    difference = compare_proportions(ProportionSummary(500, 50), ProportionSummary(500, 60))
    ratio = compare_proportions(
        ProportionSummary(500, 50),
        ProportionSummary(500, 60),
        ProportionOptions(effect="risk_ratio"),
    )
    failed = compare_proportions(ProportionSummary(0, 0), ProportionSummary(500, 60))
    assert difference_of_effects(ratio, difference).health[0].code == "incomparable_effects"
    assert difference_of_effects(failed, difference).health[0].code == "effect_unavailable"


def test_omnibus_means_from_summaries_agrees_with_unit_level_anova() -> None:
    rng = np.random.default_rng(3)
    groups = [rng.normal(mu, sd, n) for mu, sd, n in [(5, 1, 30), (5.5, 2, 45), (6, 1.5, 25)]]
    summaries = [MeanSummary.from_values(g) for g in groups]
    anova = omnibus_means(summaries)
    reference = stats.f_oneway(*groups)
    assert anova.statistic == pytest.approx(reference.statistic, rel=1e-11)
    assert anova.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert anova.df == (2.0, 97.0)
    exact = oneway_anova_from_values([g.tolist() for g in groups])
    assert exact.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert exact.details["ss_within"] == pytest.approx(anova.details["ss_within"], rel=1e-12)
    welch = omnibus_means(summaries, use_var="unequal")
    welch_values = oneway_anova_from_values([g.tolist() for g in groups], use_var="unequal")
    assert welch.method == welch_values.method == "welch_anova"
    assert welch.statistic == pytest.approx(welch_values.statistic, rel=1e-10)


def test_welch_anova_of_two_groups_is_the_square_of_welch_t() -> None:
    a, b = MeanSummary(12, 3.0, 2.0), MeanSummary(30, 4.0, 5.0)
    welch_t = compare_means(a, b)
    welch_f = omnibus_means([a, b], use_var="unequal")
    assert welch_f.statistic == pytest.approx(welch_t.statistic**2, rel=1e-12)
    assert welch_f.df[1] == pytest.approx(welch_t.df, rel=1e-12)
    assert welch_f.p_value == pytest.approx(welch_t.p_value, rel=1e-10)


def test_omnibus_problems_are_findings() -> None:
    assert omnibus_means([MeanSummary(10, 1, 1)]).health[0].code == "too_few_groups"
    bad = omnibus_means([MeanSummary(10, 1, 1), MeanSummary(0, math.nan, math.nan)])
    assert bad.health[0].code == "empty_arm" and not bad.ok
    flat = omnibus_proportions([ProportionSummary(10, 0), ProportionSummary(12, 0)])
    assert flat.health[0].code == "zero_variance"
    assert oneway_anova_from_values([["1"], ["2", "3"]]).health[0].code == "too_few_groups"
    same = oneway_anova_from_values([["1", "1"], ["2", "2"]])
    assert same.health[0].code == "zero_variance"


def test_trend_over_iterations_is_inverse_variance_weighted_regression() -> None:
    estimates, ses = [0.10, 0.14, 0.19, 0.21], [0.03, 0.02, 0.04, 0.03]
    result = trend_over_iterations(estimates, ses)
    x = np.arange(1.0, 5.0)
    w = 1 / np.square(ses)
    xc = x - np.average(x, weights=w)
    slope = np.sum(w * xc * estimates) / np.sum(w * xc**2)
    se = 1 / math.sqrt(np.sum(w * xc**2))
    assert result.estimate == pytest.approx(slope, rel=1e-12)
    assert result.se == pytest.approx(se, rel=1e-12)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(slope / se), rel=1e-10)
    assert trend_over_iterations([0.1, 0.2], [0.1, 0.1]).health[0].code == "too_few_groups"


def test_trend_in_effects_uses_the_log_scale_for_ratios() -> None:
    options = ProportionOptions(effect="risk_ratio")
    control = ProportionSummary(400, 40)
    effects = [
        compare_proportions(control, ProportionSummary(400, x), options) for x in (44, 52, 60)
    ]
    result = trend_in_effects(effects)
    direct = trend_over_iterations([math.log(e.estimate) for e in effects], [e.se for e in effects])
    assert result.estimate == pytest.approx(direct.estimate)
    assert result.n == (800.0, 800.0, 800.0)
