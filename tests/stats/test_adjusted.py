"""Adjusted estimates from unit-level data: ANCOVA, CUPED, strata, clusters, DiD."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from tracker.stats.adjusted import (
    AdjustedOptions,
    adjusted_effect,
    cuped_theta,
    difference_in_differences,
)
from tracker.stats.binary import compare_proportions
from tracker.stats.regression import linear_regression
from tracker.stats.summaries import ProportionSummary

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference-data"
GGL = REFERENCE / "ggl2008_social_pressure.csv.gz"


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    """A simulated blocked, clustered trial with a baseline covariate (seeded)."""
    rng = np.random.default_rng(11)
    clusters = np.repeat(np.arange(60), 20)
    blocks = clusters % 6
    arm = np.where(rng.permutation(60)[clusters] < 30, "new letter", "old letter")
    baseline = rng.normal(50, 10, clusters.size) + rng.normal(0, 3, 60)[clusters]
    outcome = (
        0.8 * baseline
        + 2.0 * (arm == "new letter")
        + blocks
        + rng.normal(0, 2, 60)[clusters]
        + rng.normal(0, 5, clusters.size)
    )
    return pd.DataFrame(
        {"y": outcome, "x": baseline, "arm": arm, "block": blocks, "cluster": clusters}
    )


def _direct(frame: pd.DataFrame, columns: list[str], **fit: Any) -> Any:
    design = sm.add_constant(frame[columns].astype(float))
    return sm.OLS(frame["y"], design).fit(**fit)


def test_ancova_matches_statsmodels_with_robust_errors(trial: pd.DataFrame) -> None:
    result = adjusted_effect(
        trial,
        outcome="y",
        arm="arm",
        control="old letter",
        treatment="new letter",
        options=AdjustedOptions(covariates=("x",), cov_type="HC3"),
    )
    frame = trial.assign(treated=(trial["arm"] == "new letter").astype(float))
    direct = _direct(frame, ["treated", "x"], cov_type="HC3", use_t=True)
    assert result.method == "ancova:HC3"
    assert result.estimate == pytest.approx(direct.params["treated"], rel=1e-10)
    assert result.se == pytest.approx(direct.bse["treated"], rel=1e-8)
    assert result.p_value == pytest.approx(direct.pvalues["treated"], rel=1e-6)
    assert result.n == (600.0, 600.0)


def test_cluster_robust_errors_match_statsmodels(trial: pd.DataFrame) -> None:
    options = AdjustedOptions(covariates=("x",), cov_type="cluster", cluster="cluster")
    result = adjusted_effect(
        trial,
        outcome="y",
        arm="arm",
        control="old letter",
        treatment="new letter",
        options=options,
    )
    frame = trial.assign(treated=(trial["arm"] == "new letter").astype(float))
    direct = _direct(
        frame,
        ["treated", "x"],
        cov_type="cluster",
        cov_kwds={"groups": frame["cluster"]},
        use_t=True,
    )
    assert result.se == pytest.approx(direct.bse["treated"], rel=1e-8)
    assert result.df == 59  # clusters − 1
    assert result.ci_low == pytest.approx(direct.conf_int().loc["treated", 0], rel=1e-8)


def test_absorbed_strata_equal_dummy_variables(trial: pd.DataFrame) -> None:
    result = linear_regression(
        trial.assign(t=(trial["arm"] == "new letter").astype(float)),
        "y",
        ["t", "x"],
        absorb="block",
        cov_type="HC1",
    )
    dummies = pd.get_dummies(trial["block"], prefix="b", drop_first=True, dtype=float)
    frame = pd.concat([trial, dummies], axis=1).assign(
        t=(trial["arm"] == "new letter").astype(float)
    )
    direct = _direct(frame, ["t", "x", *dummies.columns], cov_type="HC1")
    assert result.coefficient("t").estimate == pytest.approx(direct.params["t"], rel=1e-10)
    assert result.coefficient("t").se == pytest.approx(direct.bse["t"], rel=1e-8)
    assert result.df_resid == direct.df_resid


def test_cuped_is_the_difference_of_adjusted_means(trial: pd.DataFrame) -> None:
    result = adjusted_effect(
        trial,
        outcome="y",
        arm="arm",
        control="old letter",
        treatment="new letter",
        options=AdjustedOptions(cuped_covariate="x"),
    )
    y, x = trial["y"].to_numpy(), trial["x"].to_numpy()
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)  # Deng et al. (2013), eq. 3
    assert cuped_theta(y, x) == pytest.approx(theta, rel=1e-12)
    adjusted = y - theta * (x - x.mean())
    treated = (trial["arm"] == "new letter").to_numpy()
    assert result.estimate == pytest.approx(adjusted[treated].mean() - adjusted[~treated].mean())
    assert result.options["cuped_theta"] == pytest.approx(theta)
    unadjusted = adjusted_effect(
        trial, outcome="y", arm="arm", control="old letter", treatment="new letter"
    )
    assert result.se < unadjusted.se  # the point of CUPED


def test_difference_in_differences_is_the_two_by_two_contrast() -> None:
    rng = np.random.default_rng(5)
    units = np.arange(400)
    group = np.where(units < 150, "pilot area", "comparison")
    rows = []
    for period in ("before", "after"):
        effect = (group == "pilot area") * (period == "after") * 3.0
        trend = 1.5 * (period == "after")
        level = 2.0 * (group == "pilot area")
        y = 10 + level + trend + effect + rng.normal(0, 2, units.size)
        rows.append(pd.DataFrame({"unit": units, "area": group, "period": period, "y": y}))
    frame = pd.concat(rows, ignore_index=True)
    result = difference_in_differences(
        frame,
        outcome="y",
        group="area",
        treated="pilot area",
        period="period",
        post="after",
        options=AdjustedOptions(cov_type="cluster", cluster="unit"),
    )
    means = frame.groupby(["area", "period"])["y"].mean()
    expected = (means["pilot area", "after"] - means["pilot area", "before"]) - (
        means["comparison", "after"] - means["comparison", "before"]
    )
    assert result.estimate == pytest.approx(expected, rel=1e-10)
    assert result.arm_values[1] - result.arm_values[0] == pytest.approx(expected)
    assert result.ci_low < 3.0 < result.ci_high
    assert result.df == 399


def test_adjusted_analyses_explain_bad_inputs(trial: pd.DataFrame) -> None:
    def run(frame: pd.DataFrame, **options: object) -> list[str]:
        result = adjusted_effect(
            frame,
            outcome="y",
            arm="arm",
            control="old letter",
            treatment="new letter",
            options=AdjustedOptions(**options),  # type: ignore[arg-type]
        )
        return [finding.code for finding in result.health]

    assert run(trial.drop(columns="arm")) == ["missing_column"]
    assert run(trial[trial["arm"] == "old letter"]) == ["empty_arm"]
    assert run(trial.assign(z=1.0), covariates=("z",)) == ["zero_variance"]
    assert run(trial.assign(x2=trial["x"] * 2), covariates=("x", "x2")) == ["collinear"]
    assert run(trial, cov_type="cluster") == ["missing_column"]
    assert run(trial.assign(c=5.0), cuped_covariate="c") == ["zero_variance"]
    gaps = trial.assign(y=trial["y"].where(trial.index % 50 != 0))
    assert run(gaps) == ["rows_dropped"]
    missing_period = difference_in_differences(
        trial, outcome="y", group="arm", treated="new letter", period="block", post=99
    )
    assert missing_period.health[0].code == "empty_cell"


@pytest.mark.skipif(not GGL.exists(), reason="../shared/reference-data is not present")
def test_social_pressure_trial_at_full_size() -> None:
    # Gerber, Green & Larimer (2008), APSR 102(1), Table 2: turnout 29.7% (control) and 37.8%
    # (Neighbors), printed to one decimal place; 344,084 voters, 10,000 randomisation clusters.
    data = pd.read_csv(GGL)
    control = data[data["treatment"] == "No Postcard"]["primary_06"]
    neighbours = data[data["treatment"] == "Neighbors"]["primary_06"]
    raw = compare_proportions(
        ProportionSummary.from_values(control), ProportionSummary.from_values(neighbours)
    )
    assert raw.arm_values[0] == pytest.approx(0.297, abs=5e-4)
    assert raw.arm_values[1] == pytest.approx(0.378, abs=5e-4)
    adjusted = adjusted_effect(
        data,
        outcome="primary_06",
        arm="treatment",
        control="No Postcard",
        treatment="Neighbors",
        options=AdjustedOptions(
            covariates=("primary_04", "primary_02", "general_02"),
            strata="cluster",
            cov_type="cluster",
            cluster="cluster",
        ),
    )
    assert adjusted.ok and adjusted.df == 9999
    assert adjusted.estimate == pytest.approx(raw.estimate, abs=0.005)
    assert math.isfinite(adjusted.se) and adjusted.ci_low > 0.07
