"""Holm and Benjamini–Hochberg, named explicitly, against R's reference values."""

from __future__ import annotations

import math

import pytest

from tracker.stats.multiplicity import adjust_p_values

# R package multtest, mt.rawp2adjp, as recorded in statsmodels'
# statsmodels/stats/tests/test_multi.py (res_multtest3: raw p, then "Holm" and "BH" columns).
RAW = [0.001, 0.002, 0.003, 0.004, 0.005, 0.05, 0.06, 0.07, 0.08, 0.09]
R_HOLM = [0.01, 0.018, 0.024, 0.028, 0.03, 0.25, 0.25, 0.25, 0.25, 0.25]
R_BH = [
    0.01,
    0.01,
    0.01,
    0.01,
    0.01,
    0.08333333333333334,
    0.0857142857142857,
    0.0875,
    0.0888888888888889,
    0.09,
]


def test_holm_matches_r() -> None:
    assert adjust_p_values(RAW, "holm") == pytest.approx(R_HOLM, rel=1e-12)


def test_benjamini_hochberg_matches_r() -> None:
    assert adjust_p_values(RAW, "benjamini_hochberg") == pytest.approx(R_BH, rel=1e-12)


def test_order_is_preserved_and_none_passes_through() -> None:
    shuffled = [RAW[i] for i in (9, 0, 5, 2)]
    holm = adjust_p_values(shuffled, "holm")
    # Holm on a family of four: 0.001·4, 0.003·3, 0.05·2, 0.09·1 (then monotone).
    assert holm == pytest.approx([0.1, 0.004, 0.1, 0.009])
    assert adjust_p_values(shuffled, "none") == tuple(shuffled)


def test_holm_is_not_holm_sidak() -> None:
    # statsmodels' default ("hs") would give 1 − (1 − 0.01)^3 for the smallest of three.
    assert adjust_p_values([0.01, 0.5, 0.9], "holm")[0] == pytest.approx(0.03)


def test_missing_p_values_stay_missing_and_leave_the_family() -> None:
    adjusted = adjust_p_values([0.01, math.nan, 0.04, 1.5], "holm")
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)
    assert math.isnan(adjusted[1]) and math.isnan(adjusted[3])
    assert all(math.isnan(p) for p in adjust_p_values([math.nan], "benjamini_hochberg"))
    assert adjust_p_values([], "holm") == ()


def test_unknown_method_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown multiple-testing method"):
        adjust_p_values([0.1], "bonferroni")  # type: ignore[arg-type]
