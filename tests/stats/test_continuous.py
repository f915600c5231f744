"""Continuous metrics against R's reference outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracker.stats.continuous import (
    MeanOptions,
    RankOptions,
    compare_distributions,
    compare_means,
    welch_satterthwaite_df,
)
from tracker.stats.summaries import MeanSummary

# R's `sleep` data (Cushny & Peebles 1905; Student 1908): extra hours of sleep, drugs 1 and 2.
SLEEP_GROUP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_GROUP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Hollander & Wolfe (1973, p. 69f), R's ?wilcox.test example: permeability at term (x) and at
# 12–26 weeks (y); wilcox.test(x, y, alternative = "g"): W = 35, p-value = 0.1272.
PERMEABILITY_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
PERMEABILITY_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def _sleep() -> tuple[MeanSummary, MeanSummary]:
    # R's t.test(extra ~ group) reports group 1 − group 2: group 1 is our "treatment".
    return MeanSummary.from_values(SLEEP_GROUP_2), MeanSummary.from_values(SLEEP_GROUP_1)


def test_welch_t_matches_r_on_sleep() -> None:
    # R: t.test(extra ~ group, data = sleep) — t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 percent confidence interval -3.3654832 0.2054832 (R's printed precision).
    control, treatment = _sleep()
    result = compare_means(control, treatment)
    assert result.method == "welch_t"
    assert result.estimate == pytest.approx(-1.58)
    assert result.statistic == pytest.approx(-1.8608, abs=5e-5)
    assert result.df == pytest.approx(17.776, abs=5e-4)
    assert result.p_value == pytest.approx(0.07939, abs=5e-6)
    assert result.ci_low == pytest.approx(-3.3654832, abs=5e-8)
    assert result.ci_high == pytest.approx(0.2054832, abs=5e-8)
    assert result.arm_values == (pytest.approx(2.33), pytest.approx(0.75))


def test_pooled_t_matches_r_on_sleep() -> None:
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE) — t = -1.8608, df = 18,
    # p-value = 0.07919, 95 percent confidence interval -3.363874 0.203874.
    control, treatment = _sleep()
    result = compare_means(control, treatment, MeanOptions(equal_var=True))
    assert result.method == "student_t"
    assert result.df == 18
    assert result.p_value == pytest.approx(0.07919, abs=5e-6)
    assert result.ci_low == pytest.approx(-3.363874, abs=5e-7)
    assert result.ci_high == pytest.approx(0.203874, abs=5e-7)


def test_welch_df_is_welch_satterthwaite() -> None:
    a, b = MeanSummary(12, 3.0, 2.0), MeanSummary(30, 4.0, 5.0)
    va, vb = 4 / 12, 25 / 30
    expected = (va + vb) ** 2 / (va**2 / 11 + vb**2 / 29)
    assert welch_satterthwaite_df(a, b) == pytest.approx(expected, rel=1e-14)


def test_mann_whitney_matches_r_wilcox_test() -> None:
    result = compare_distributions(
        PERMEABILITY_Y,
        PERMEABILITY_X,
        RankOptions(method="mann_whitney", alternative="greater"),
    )
    assert result.statistic == 35
    assert result.p_value == pytest.approx(0.1272, abs=5e-5)
    assert result.estimate == pytest.approx(35 / 50)  # U / (n1·n2)
    assert result.scale == "probability" and result.ci_high == math.inf


def test_mann_whitney_with_ties_matches_r_normal_approximation() -> None:
    # R: wilcox.test(extra ~ group, data = sleep): W = 25.5, p-value = 0.06933 (ties, so the
    # normal approximation with continuity correction).
    result = compare_distributions(SLEEP_GROUP_2, SLEEP_GROUP_1, RankOptions(method="mann_whitney"))
    assert result.statistic == 25.5
    assert result.p_value == pytest.approx(0.06933, abs=5e-6)


def test_brunner_munzel_matches_the_published_example() -> None:
    # Brunner & Munzel (2000), Biometrical Journal 42(1), pain scores after surgery, as in
    # scipy.stats.brunnermunzel's documented example: statistic 3.1374674823029505,
    # p-value 0.0057862086661515377 (x2 tends higher than x1).
    x1 = [1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 1, 1]
    x2 = [3, 3, 4, 3, 1, 2, 3, 1, 1, 5, 4]
    result = compare_distributions(x1, x2)
    assert result.method == "brunner_munzel"
    assert result.statistic == pytest.approx(3.1374674823029505, rel=1e-12)
    assert result.p_value == pytest.approx(0.0057862086661515377, rel=1e-10)
    assert 0.5 < result.ci_low < result.estimate < result.ci_high <= 1


def test_rank_methods_explain_bad_data() -> None:
    assert compare_distributions([], [1.0, 2.0]).health[0].code == "empty_arm"
    assert compare_distributions([1.0, math.nan], [1.0, 2.0]).health[0].code == "non_finite"
    flat = compare_distributions([2.0, 2.0], [2.0, 2.0, 2.0])
    assert [f.code for f in flat.health] == ["zero_variance"] and not flat.ok
    separated = compare_distributions([0, 0, 0], [1, 1, 1])
    assert separated.estimate == 1.0 and math.isnan(separated.p_value)
    assert "test_undefined" in [f.code for f in separated.health]


@pytest.mark.parametrize(
    ("control", "treatment", "code"),
    [
        (MeanSummary(0, math.nan, math.nan), MeanSummary(10, 1, 1), "empty_arm"),
        (MeanSummary(1, 3.0, math.nan), MeanSummary(10, 1, 1), "too_few_for_spread"),
        (MeanSummary(10, 3.0, -1.0), MeanSummary(10, 1, 1), "impossible_value"),
        (MeanSummary(10, math.inf, 1.0), MeanSummary(10, 1, 1), "non_finite"),
        (MeanSummary(10, 3.0, 0.0), MeanSummary(10, 1, 0.0), "zero_variance"),
    ],
)
def test_impossible_summaries_come_back_as_findings(
    control: MeanSummary, treatment: MeanSummary, code: str
) -> None:
    result = compare_means(control, treatment)
    assert not result.ok and math.isnan(result.p_value)
    assert [finding.code for finding in result.health] == [code]


def test_one_arm_without_spread_is_a_warning_not_an_error() -> None:
    result = compare_means(MeanSummary(10, 3.0, 0.0), MeanSummary(12, 4.0, 1.5))
    assert result.ok
    assert [(f.code, f.severity) for f in result.health] == [("zero_variance", "warning")]


def test_welch_on_unit_level_data_agrees_with_scipy() -> None:
    from scipy import stats

    rng = np.random.default_rng(7)
    a, b = rng.normal(10, 2, 40), rng.normal(11, 4, 25)
    result = compare_means(MeanSummary.from_values(a), MeanSummary.from_values(b))
    reference = stats.ttest_ind(b, a, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.df == pytest.approx(reference.df, rel=1e-12)
    assert (result.ci_low, result.ci_high) == (
        pytest.approx(interval.low, rel=1e-12),
        pytest.approx(interval.high, rel=1e-12),
    )


@pytest.mark.parametrize("alternative", ["two_sided", "greater", "less"])
@pytest.mark.parametrize("equal_var", [False, True])
def test_t_and_p_are_scipys_ttest_ind_from_stats(alternative: str, equal_var: bool) -> None:
    from scipy import stats

    control, treatment = MeanSummary(120, 30.2, 8.1), MeanSummary(95, 32.9, 11.4)
    result = compare_means(
        control,
        treatment,
        MeanOptions(alternative=alternative, equal_var=equal_var),  # type: ignore[arg-type]
    )
    reference = stats.ttest_ind_from_stats(
        32.9,
        11.4,
        95,
        30.2,
        8.1,
        120,
        equal_var=equal_var,
        alternative=alternative.replace("_", "-"),
    )
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-13)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
