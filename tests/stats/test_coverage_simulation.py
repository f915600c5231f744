"""Seeded simulations: do the 95% intervals cover the truth 95% of the time?

Each fixed-horizon method must cover the true effect in 94–96% of its draws (the issue's
acceptance band); the always-valid sequences must keep ≥ 95% coverage of the whole path when
a dashboard is read at ten weekly looks, where fixed-horizon intervals read at every look do
not. Slow: run with `pytest -m slow`.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from tracker.stats.binary import compare_proportions
from tracker.stats.continuous import MeanOptions, compare_means
from tracker.stats.counts import compare_rates
from tracker.stats.sequential import SequentialOptions
from tracker.stats.summaries import CountSummary, MeanSummary, ProportionSummary

pytestmark = pytest.mark.slow

BAND = (0.94, 0.96)


def test_difference_in_proportions_covers() -> None:
    rng = np.random.default_rng(20240601)
    draws, p_control, p_treatment, n_control, n_treatment = 4000, 0.30, 0.36, 600, 500
    control = rng.binomial(n_control, p_control, draws)
    treatment = rng.binomial(n_treatment, p_treatment, draws)
    truth = p_treatment - p_control
    covered = 0
    for x_c, x_t in zip(control, treatment, strict=True):
        result = compare_proportions(
            ProportionSummary(n_control, int(x_c)), ProportionSummary(n_treatment, int(x_t))
        )
        covered += result.ci_low <= truth <= result.ci_high
    assert BAND[0] <= covered / draws <= BAND[1]


def test_welch_difference_in_means_covers() -> None:
    rng = np.random.default_rng(20240602)
    draws, n_control, n_treatment = 4000, 20, 45
    control = rng.normal(10.0, 1.0, (draws, n_control))  # unequal spreads and sizes:
    treatment = rng.normal(10.5, 3.0, (draws, n_treatment))  # where Welch earns its keep
    covered = 0
    for row_c, row_t in zip(control, treatment, strict=True):
        result = compare_means(MeanSummary.from_values(row_c), MeanSummary.from_values(row_t))
        covered += result.ci_low <= 0.5 <= result.ci_high
    assert BAND[0] <= covered / draws <= BAND[1]


def _rate_ratio_covered(seed: int) -> int:
    rng = np.random.default_rng(seed)
    exposure_control, exposure_treatment, rate_control, rate_treatment = 1000.0, 800.0, 0.05, 0.065
    covered = 0
    for _ in range(1000):
        control = CountSummary(1000, float(rng.poisson(rate_control * exposure_control)), 1000.0)
        treatment = CountSummary(
            800, float(rng.poisson(rate_treatment * exposure_treatment)), 800.0
        )
        result = compare_rates(control, treatment)
        covered += result.ci_low <= rate_treatment / rate_control <= result.ci_high
    return covered


def test_poisson_rate_ratio_covers() -> None:
    # The score interval inverts a test numerically (~15 ms a draw): two processes share it.
    seeds = [20240603, 20240604, 20240605]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        covered = sum(pool.map(_rate_ratio_covered, seeds))
    assert BAND[0] <= covered / (1000 * len(seeds)) <= BAND[1]


def _peeking(draws: int, options: MeanOptions, seed: int) -> float:
    """Share of simulated experiments whose interval covers the truth at all ten looks."""
    rng = np.random.default_rng(seed)
    looks, per_look, effect = 10, 100, 0.1
    control = rng.normal(0.0, 1.0, (draws, looks * per_look))
    treatment = rng.normal(effect, 1.0, (draws, looks * per_look))
    always = np.ones(draws, dtype=bool)
    for look in range(1, looks + 1):
        n = look * per_look
        c_mean, c_sd = control[:, :n].mean(axis=1), control[:, :n].std(axis=1, ddof=1)
        t_mean, t_sd = treatment[:, :n].mean(axis=1), treatment[:, :n].std(axis=1, ddof=1)
        for i in np.flatnonzero(always):
            result = compare_means(
                MeanSummary(n, c_mean[i], c_sd[i]), MeanSummary(n, t_mean[i], t_sd[i]), options
            )
            always[i] = result.ci_low <= effect <= result.ci_high
    return float(always.mean())


def test_sequential_intervals_survive_weekly_peeking() -> None:
    sequential = MeanOptions(sequential=SequentialOptions(planned_sample_size=2000))
    assert _peeking(2000, sequential, 20240606) >= 0.95
    # The problem they solve: fixed-horizon intervals read at every look cover far less.
    assert _peeking(600, MeanOptions(), 20240607) < 0.92
