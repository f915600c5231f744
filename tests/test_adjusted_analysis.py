"""Adjusted comparisons from an uploaded dataset: the pipeline gives statsmodels' own answer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from tracker.db import get_engine
from tracker.services import analysis
from tracker.services.actors import Actor

from .portfolio_helpers import minimal
from .test_portfolio_import import run_import, write


def _dataset(tmp_path: Path, mapping: dict[str, object]) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(20261124)
    n = 400
    treated = np.arange(n) % 2
    baseline = rng.normal(50, 10, n)
    cluster = np.arange(n) // 8
    outcome = 5 + 0.8 * baseline + 3 * treated + rng.normal(0, 4, n)
    arm = np.where(treated == 1, "Norm letter", "Control")
    lines = ["arm,spend,baseline,cluster"] + [
        f"{a},{float(y)!r},{float(x)!r},{c}"
        for a, y, x, c in zip(arm, outcome, baseline, cluster, strict=True)
    ]
    content = ("\n".join(lines) + "\n").encode()
    (tmp_path / "units.csv").write_bytes(content)
    document = minimal()
    policy = document["policies"][0]
    policy["metrics"].append(
        {"key": "spend", "name": "Spend", "kind": "continuous", "direction": "increase"}
    )
    iteration = policy["pilots"][0]["iterations"][0]
    iteration["datasets"] = [
        {
            "file": "units.csv",
            "sha256": hashlib.sha256(content).hexdigest(),
            "column_mapping": {"arm": "arm", "outcomes": {"spend": "spend"}, **mapping},
        }
    ]
    data = np.column_stack([treated, baseline, outcome, cluster])
    return write(tmp_path, document), data


def _adjusted_row(url: str) -> dict[str, object]:
    with Session(get_engine(url)) as session:
        run = analysis.run_analysis(
            session=session, actor=Actor.system("test"), pilot_slug="letters-trial"
        )
    [row] = [r for r in run.rows if r["comparison"] == "adjusted_arm_vs_control"]
    return row


def test_ancova_with_hc1_matches_statsmodels(migrated_url: str, tmp_path: Path) -> None:
    import statsmodels.api as sm

    path, data = _dataset(tmp_path, {"covariates": ["baseline"]})
    run_import(migrated_url, path)
    row = _adjusted_row(migrated_url)
    design = sm.add_constant(data[:, :2])
    fit = sm.OLS(data[:, 2], design).fit(cov_type="HC1")
    # Same model fitted directly: coefficient and robust SE to 1e-9 relative.
    assert row["estimate"] == pytest.approx(fit.params[1], rel=1e-9)
    assert row["se"] == pytest.approx(fit.bse[1], rel=1e-9)
    assert row["exploratory"] is True and "ancova" in str(row["method"])


def test_cuped_with_cluster_robust_errors(migrated_url: str, tmp_path: Path) -> None:
    path, _ = _dataset(tmp_path, {"pre_period": {"spend": "baseline"}, "cluster": "cluster"})
    run_import(migrated_url, path)
    row = _adjusted_row(migrated_url)
    assert "cuped" in str(row["method"]) and "cluster" in str(row["method"])
    assert row["ci_low"] < 3 < row["ci_high"]  # the simulated effect is 3
    assert row["options"]["cluster"] == "cluster"
