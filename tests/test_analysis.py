"""Analysis runs: every comparison of a pilot, stored with what reproduces it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from tracker.cli import main
from tracker.db import get_engine
from tracker.models.enums import Role
from tracker.services import analysis, plans
from tracker.services.actors import Actor
from tracker.services.analysis_inputs import read_pilot_inputs
from tracker.services.errors import NotAllowed, NotFound

from .portfolio_helpers import minimal
from .test_portfolio_import import run_import, write

ANALYST = Actor.system("test analyst")
REQUIRED_FIELDS = {
    "metric",
    "iteration",
    "arm",
    "baseline",
    "method",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "relative_lift",
    "n",
    "health",
    "plan_hash",
    "exploratory",
}


def _two_iterations(tmp_path: Path, url: str, *, locked: bool) -> None:
    document = minimal()
    pilot = document["policies"][0]["pilots"][0]
    second = json.loads(json.dumps(pilot["iterations"][0]))
    second["number"] = 2
    second["arms"][1]["results"][0]["successes"] = 52
    pilot["iterations"].append(second)
    pilot["analysis_plans"] = [
        {
            "version": 1,
            "multiple_testing": "holm",
            "metrics": [{"metric": "paid", "role": "primary", "test": "two_proportion_z"}],
        }
    ]
    run_import(url, write(tmp_path, document))
    if locked:
        with Session(get_engine(url)) as session:
            plans.lock_plan(
                session=session,
                actor=ANALYST,
                pilot_slug="letters-trial",
                version=1,
                expected_version=None,
            )
            session.commit()


def test_run_is_stored_with_inputs_hash_versions_and_plan(
    migrated_url: str, tmp_path: Path
) -> None:
    _two_iterations(tmp_path, migrated_url, locked=True)
    with Session(get_engine(migrated_url)) as session:
        run = analysis.run_analysis(session=session, actor=ANALYST, pilot_slug="letters-trial")
        session.commit()
        plan = plans.get_plan(session=session, pilot_slug="letters-trial", version=1)
        assert run.plan_hash == plan.lock_hash
        assert (
            run.inputs_hash
            == read_pilot_inputs(session=session, pilot_slug="letters-trial").inputs_hash()
        )
        assert set(run.library_versions) >= {"numpy", "scipy", "pandas", "statsmodels", "python"}
        kinds = [row["comparison"] for row in run.rows]
        assert kinds.count("arm_vs_control") == 2
        assert {"arm_across_iterations", "effect_across_iterations"} <= set(kinds)
        first = run.rows[0]
        assert set(first) >= REQUIRED_FIELDS
        assert first["exploratory"] is False and first["plan_hash"] == plan.lock_hash
        # 41/100 against 30/100: the difference and the pooled z-test's p-value
        assert first["estimate"] == pytest.approx(0.11)
        assert first["p_adjusted"] is not None
        again = analysis.run_analysis(session=session, actor=ANALYST, pilot_slug="letters-trial")
        assert again.inputs_hash == run.inputs_hash
        assert again.rows == run.rows  # same inputs, same numbers


def test_without_a_locked_plan_everything_is_exploratory(migrated_url: str, tmp_path: Path) -> None:
    _two_iterations(tmp_path, migrated_url, locked=False)
    with Session(get_engine(migrated_url)) as session:
        run = analysis.run_analysis(session=session, actor=ANALYST, pilot_slug="letters-trial")
        assert run.plan_hash is None
        assert all(row["exploratory"] and row["p_adjusted"] is None for row in run.rows)


def test_viewers_cannot_store_runs_and_unknown_pilots_are_not_found(
    migrated_url: str, tmp_path: Path
) -> None:
    _two_iterations(tmp_path, migrated_url, locked=False)
    with Session(get_engine(migrated_url)) as session:
        viewer = Actor(label="viewer", role=Role.VIEWER)
        with pytest.raises(NotAllowed):
            analysis.run_analysis(session=session, actor=viewer, pilot_slug="letters-trial")
        with pytest.raises(NotFound):
            analysis.run_analysis(session=session, actor=ANALYST, pilot_slug="no-such-pilot")
        with pytest.raises(NotFound):
            analysis.run_analysis(
                session=session, actor=ANALYST, pilot_slug="letters-trial", iteration=9
            )


def test_cli_json_and_table(
    example_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", example_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    slug = "ggl-2006-michigan-primary-mailings"
    result = CliRunner().invoke(main, ["analyse", slug, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    rows = {row["arm"]: row for row in document["comparisons"]}
    assert set(rows) == {"Civic Duty", "Hawthorne", "Self", "Neighbors"}
    # Gerber, Green & Larimer (2008) Table 2: Neighbors 37.8% against control 29.7%.
    assert round(100 * rows["Neighbors"]["estimate"], 1) == pytest.approx(8.1)
    table = CliRunner().invoke(main, ["analyse", slug])
    assert table.exit_code == 0
    assert "Neighbors" in table.output and "inputs SHA-256" in table.output
    missing = CliRunner().invoke(main, ["analyse", "no-such-pilot"])
    assert missing.exit_code != 0 and "not found" in missing.output


def test_nsw_reproduces_the_published_estimate(
    example_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Dehejia & Wahba (1999), Table 3: experimental estimate 1794, standard error 633."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", example_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(
        main, ["analyse", "nsw-dehejia-wahba-experimental-sample", "--json"]
    )
    [row] = [r for r in json.loads(result.output)["comparisons"] if r["metric"] == "earnings-1978"]
    assert (round(row["estimate"]), round(row["se"])) == (1794, 633)
    assert row["method"] == "student_t" and row["exploratory"] is False


def test_omnibus_across_iterations_matches_r_prop_test(migrated_url: str, tmp_path: Path) -> None:
    """R's documented `prop.test(smokers, patients)` example, each group as one iteration:
    X-squared = 12.6, df = 3, p-value = 0.005585 (R, ?prop.test)."""
    document = minimal()
    pilot = document["policies"][0]["pilots"][0]
    pilot["iterations"] = [
        {
            "number": number,
            "arms": [
                {
                    "name": "Control",
                    "control": True,
                    "allocation": 1,
                    "results": [{"metric": "paid", "n": patients, "successes": smokers}],
                }
            ],
        }
        for number, (smokers, patients) in enumerate(
            [(83, 86), (90, 93), (129, 136), (70, 82)], start=1
        )
    ]
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        run = analysis.run_analysis(session=session, actor=ANALYST, pilot_slug="letters-trial")
    [omnibus] = [r for r in run.rows if r["comparison"] == "omnibus_across_iterations"]
    assert round(omnibus["estimate"], 1) == 12.6
    assert omnibus["p_value"] == pytest.approx(0.005585, abs=5e-7)


def test_a_plan_can_ask_for_an_odds_ratio(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    document["policies"][0]["pilots"][0]["analysis_plans"] = [
        {"version": 1, "metrics": [{"metric": "paid", "role": "primary", "test": "odds_ratio"}]}
    ]
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        plans.lock_plan(
            session=session,
            actor=ANALYST,
            pilot_slug="letters-trial",
            version=1,
            expected_version=None,
        )
        [row] = analysis.run_analysis(
            session=session, actor=ANALYST, pilot_slug="letters-trial"
        ).rows
    # 41/59 against 30/70 in odds: (41 × 70) / (59 × 30)
    assert row["scale"] == "ratio"
    assert row["estimate"] == pytest.approx((41 * 70) / (59 * 30))
