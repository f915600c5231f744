"""NIST StRD certified results: one-way ANOVA (all eleven datasets) and linear regression.

The data and NIST's certified values are the verbatim copies in tests/stats/nist (public
domain; provenance in each JSON file and in nist/README.md). These tests call the engine
directly with the decimal text; tests/test_nist_anova_through_import.py goes through the
app's importer.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tracker.stats.omnibus import oneway_anova_from_values
from tracker.stats.regression import linear_regression

NIST = Path(__file__).parent / "nist"
ANOVA = ["SiRstv", "SmLs01", "SmLs02", "SmLs03", "AtmWtAg", "SmLs04", "SmLs05", "SmLs06"]
ANOVA += ["SmLs07", "SmLs08", "SmLs09"]
DIGITS = 1e-9  # issue 3: "to at least 9 significant digits"


def _certified(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((NIST / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def test_all_eleven_anova_datasets_are_here() -> None:
    assert sorted(ANOVA) == sorted(
        path.stem for path in NIST.glob("*.json") if _certified(path.stem)["kind"] == "anova"
    )


@pytest.mark.parametrize("name", ANOVA)
def test_one_way_anova_reproduces_nist_certified_values(name: str) -> None:
    groups: dict[str, list[str]] = {}
    with (NIST / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            groups.setdefault(row["group"], []).append(row["value"])  # decimal text, no float
    certified = {
        key: float(value)
        for key, value in _certified(name)["certified"].items()
        if not key.endswith("_label")
    }
    result = oneway_anova_from_values(list(groups.values()))
    assert result.df == (certified["between_df"], certified["within_df"])
    assert result.statistic == pytest.approx(certified["f_statistic"], rel=DIGITS)
    pairs = {
        "ss_between": "between_ss",
        "ss_within": "within_ss",
        "ms_between": "between_ms",
        "ms_within": "within_ms",
        "r_squared": "r_squared",
        "residual_sd": "residual_sd",
    }
    for ours, theirs in pairs.items():
        assert result.details[ours] == pytest.approx(certified[theirs], rel=DIGITS), ours


@pytest.mark.parametrize("name", ["Norris", "Longley"])
def test_linear_regression_reproduces_nist_certified_values(name: str) -> None:
    frame = pd.read_csv(NIST / f"{name}.csv")
    regressors = [column for column in frame.columns if column != "y"]
    certified = _certified(name)["certified"]
    result = linear_regression(frame, "y", regressors)
    for coefficient, parameter in zip(result.coefficients, certified["parameters"], strict=True):
        assert coefficient.estimate == pytest.approx(float(parameter["estimate"]), rel=DIGITS)
        assert coefficient.se == pytest.approx(float(parameter["standard_deviation"]), rel=DIGITS)
    assert result.residual_sd == pytest.approx(float(certified["residual_sd"]), rel=DIGITS)
    assert result.r_squared == pytest.approx(float(certified["r_squared"]), rel=DIGITS)
    anova = certified["anova"]
    assert result.ss_regression == pytest.approx(float(anova["regression_ss"]), rel=DIGITS)
    assert result.ss_residual == pytest.approx(float(anova["residual_ss"]), rel=DIGITS)
    assert result.df_resid == float(anova["residual_df"])
