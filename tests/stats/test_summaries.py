"""Per-arm summaries: numerically stable from unit-level values, exact from decimal strings."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary


def test_values_near_a_billion_keep_their_spread() -> None:
    # Values 1e9 + small noise: the naive Σx² − (Σx)²/n loses every digit of the variance.
    rng = np.random.default_rng(20240601)
    noise = rng.normal(0.0, 0.01, 5_000)
    values = 1e9 + noise
    exact = statistics.stdev(Fraction(float(v)) for v in values)  # exact rational reference
    summary = MeanSummary.from_values(values)
    assert summary.sd == pytest.approx(exact, rel=1e-9)
    assert summary.mean == pytest.approx(float(statistics.fmean(values)), rel=1e-15)
    total, squares = values.sum(), (values * values).sum()
    naive_variance = (squares - total * total / values.size) / (values.size - 1)
    naive_sd = math.sqrt(max(naive_variance, 0.0))
    assert abs(naive_sd - exact) / exact > 0.5  # the naive formula really does fail here


def test_exact_summary_of_decimal_strings_rounds_once() -> None:
    # NIST SmLs07-style values: 13 shared leading digits, spread in the last one.
    values = ["1000000000000.4", "1000000000000.3", "1000000000000.5", "1000000000000.3"]
    summary = MeanSummary.from_exact(values)
    exact = [Fraction(Decimal(v)) for v in values]
    mean = sum(exact, Fraction(0)) / 4
    variance = sum(((v - mean) ** 2 for v in exact), Fraction(0)) / 3
    assert summary.mean == float(mean)
    assert summary.sd == pytest.approx(math.sqrt(float(variance)), rel=1e-15)
    assert summary.n == 4


def test_from_sums_matches_from_values_on_friendly_data() -> None:
    values = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    from_sums = MeanSummary.from_sums(8, values.sum(), (values**2).sum())
    from_values = MeanSummary.from_values(values)
    assert from_sums.mean == from_values.mean == 5.0
    assert from_sums.sd == pytest.approx(from_values.sd, rel=1e-14)
    assert from_values.sd == pytest.approx(statistics.stdev(values.tolist()), rel=1e-15)


def test_from_sums_treats_rounding_negatives_as_zero_and_inconsistent_sums_as_nan() -> None:
    assert MeanSummary.from_sums(3, 3e8, 3e16).sd == 0.0
    assert math.isnan(MeanSummary.from_sums(3, 30.0, 1.0).sd)
    assert math.isnan(MeanSummary.from_sums(0, 0.0, 0.0).mean)
    assert math.isnan(MeanSummary.from_sums(1, 2.0, 4.0).sd)


def test_non_finite_values_propagate_for_the_health_checks() -> None:
    summary = MeanSummary.from_values([1.0, math.nan, 3.0])
    assert summary.n == 3
    assert math.isnan(summary.mean)
    assert math.isnan(MeanSummary.from_values([]).mean)


def test_proportion_and_count_summaries() -> None:
    binary = ProportionSummary.from_values([1, 0, 1, 1, False, True])
    assert (binary.n, binary.successes, binary.rate) == (6, 4.0, pytest.approx(2 / 3))
    assert math.isnan(ProportionSummary(0, 0).rate)
    counts = CountSummary.from_values([0, 2, 5], exposures=[1.0, 2.0, 3.0])
    assert (counts.n, counts.total, counts.exposure, counts.rate) == (3, 7.0, 6.0, 7 / 6)
    assert CountSummary(n=4, total=2).time_at_risk == 4
    assert math.isnan(CountSummary(n=0, total=0).rate)
