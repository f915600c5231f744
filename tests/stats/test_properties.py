"""Property tests: swapping arms, rescaling the metric and identical arms behave as they must."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tracker.stats.binary import ProportionOptions, compare_proportions
from tracker.stats.continuous import MeanOptions, compare_distributions, compare_means
from tracker.stats.counts import RateOptions, compare_rates
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def proportions(draw: st.DrawFn) -> ProportionSummary:
    n = draw(st.integers(min_value=5, max_value=100_000))
    return ProportionSummary(n=n, successes=draw(st.integers(min_value=1, max_value=n - 1)))


@st.composite
def means(draw: st.DrawFn) -> MeanSummary:
    return MeanSummary(
        n=draw(st.integers(min_value=2, max_value=100_000)),
        mean=draw(st.floats(min_value=-1e6, max_value=1e6)),
        sd=draw(st.floats(min_value=1e-3, max_value=1e4)),
    )


@st.composite
def counts(draw: st.DrawFn) -> CountSummary:
    n = draw(st.integers(min_value=1, max_value=100_000))
    return CountSummary(
        n=n,
        total=draw(st.integers(min_value=1, max_value=50_000)),
        exposure=draw(st.floats(min_value=1.0, max_value=1e6)),
    )


BINARY_OPTIONS = st.sampled_from(
    [
        ProportionOptions(),
        ProportionOptions(pooled=False, interval="wald"),
        ProportionOptions(test="chi_squared"),
        ProportionOptions(test="fisher_exact"),
    ]
)


@SETTINGS
@given(proportions(), proportions(), BINARY_OPTIONS)
def test_swapping_binary_arms_flips_the_difference(
    a: ProportionSummary, b: ProportionSummary, options: ProportionOptions
) -> None:
    forward, backward = compare_proportions(a, b, options), compare_proportions(b, a, options)
    assert forward.ok and backward.ok
    assert backward.estimate == pytest.approx(-forward.estimate, abs=1e-15)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-6, abs=1e-300)
    assert backward.ci_low == pytest.approx(-forward.ci_high, rel=1e-6, abs=1e-12)


@SETTINGS
@given(proportions(), proportions(), st.sampled_from(["risk_ratio", "odds_ratio"]))
def test_swapping_binary_arms_inverts_ratios(
    a: ProportionSummary, b: ProportionSummary, effect: str
) -> None:
    options = ProportionOptions(effect=effect)  # type: ignore[arg-type]
    forward, backward = compare_proportions(a, b, options), compare_proportions(b, a, options)
    assert backward.estimate == pytest.approx(1 / forward.estimate, rel=1e-12)
    assert backward.se == pytest.approx(forward.se, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-6, abs=1e-300)


@SETTINGS
@given(means(), means(), st.booleans())
def test_swapping_continuous_arms_flips_the_sign(
    a: MeanSummary, b: MeanSummary, equal_var: bool
) -> None:
    options = MeanOptions(equal_var=equal_var)
    forward, backward = compare_means(a, b, options), compare_means(b, a, options)
    assert backward.estimate == -forward.estimate
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-300)
    assert backward.ci_low == pytest.approx(-forward.ci_high, rel=1e-9, abs=1e-9)


@SETTINGS
@given(counts(), counts(), st.sampled_from(["score", "wald_log", "exact_conditional"]))
def test_swapping_count_arms_inverts_the_rate_ratio(
    a: CountSummary, b: CountSummary, method: str
) -> None:
    options = RateOptions(method=method)  # type: ignore[arg-type]
    forward, backward = compare_rates(a, b, options), compare_rates(b, a, options)
    assert backward.estimate == pytest.approx(1 / forward.estimate, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-6, abs=1e-300)


@SETTINGS
@given(
    st.lists(st.integers(-50, 50), min_size=3, max_size=30),
    st.lists(st.integers(-50, 50), min_size=3, max_size=30),
)
def test_swapping_arms_reflects_rank_comparisons(a: list[int], b: list[int]) -> None:
    assume(len(set(a + b)) > 1)
    forward, backward = compare_distributions(a, b), compare_distributions(b, a)
    assume(math.isfinite(forward.p_value))
    assert backward.estimate == pytest.approx(1 - forward.estimate, abs=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-300)


@SETTINGS
@given(means(), means(), st.floats(min_value=1e-3, max_value=1e3))
def test_rescaling_a_continuous_metric_rescales_the_estimate(
    a: MeanSummary, b: MeanSummary, scale: float
) -> None:
    def scaled(s: MeanSummary) -> MeanSummary:
        return MeanSummary(s.n, s.mean * scale, s.sd * scale)

    plain, rescaled = compare_means(a, b), compare_means(scaled(a), scaled(b))
    assert rescaled.estimate == pytest.approx(plain.estimate * scale, rel=1e-9, abs=1e-9)
    assert rescaled.se == pytest.approx(plain.se * scale, rel=1e-9)
    assert rescaled.p_value == pytest.approx(plain.p_value, rel=1e-6, abs=1e-300)
    assert rescaled.df == pytest.approx(plain.df, rel=1e-9)


@SETTINGS
@given(st.integers(min_value=0, max_value=2**32 - 1), st.floats(min_value=1e-3, max_value=1e3))
def test_rescaling_unit_level_values_keeps_rank_and_t_tests(seed: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 1, 25), rng.normal(0.3, 2, 30)
    plain = compare_means(MeanSummary.from_values(a), MeanSummary.from_values(b))
    rescaled = compare_means(MeanSummary.from_values(a * scale), MeanSummary.from_values(b * scale))
    assert rescaled.estimate == pytest.approx(plain.estimate * scale, rel=1e-9)
    assert rescaled.p_value == pytest.approx(plain.p_value, rel=1e-9)
    ranks, ranks_scaled = compare_distributions(a, b), compare_distributions(a * scale, b * scale)
    assert ranks_scaled.estimate == ranks.estimate and ranks_scaled.p_value == ranks.p_value


@SETTINGS
@given(proportions(), BINARY_OPTIONS)
def test_identical_binary_arms_give_no_effect(
    arm: ProportionSummary, options: ProportionOptions
) -> None:
    result = compare_proportions(arm, arm, options)
    assert result.estimate == 0
    assert result.p_value == pytest.approx(1.0)
    assert result.ci_low <= 0 <= result.ci_high
    ratio = compare_proportions(arm, arm, ProportionOptions(effect="risk_ratio"))
    assert ratio.estimate == 1


@SETTINGS
@given(means(), counts())
def test_identical_continuous_and_count_arms_give_no_effect(
    arm: MeanSummary, count: CountSummary
) -> None:
    result = compare_means(arm, arm)
    assert result.estimate == 0 and result.p_value == pytest.approx(1.0)
    assert (
        result.relative_lift is None
        or result.relative_lift.estimate == 0
        or math.isnan(result.relative_lift.estimate)
    )
    rates = compare_rates(count, count)
    assert rates.estimate == 1 and rates.p_value == pytest.approx(1.0)
