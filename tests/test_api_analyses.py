"""/api/v1 analyses: the same run document as `tracker analyse --json`, stored runs listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import seed
from tracker.cli import main
from tracker.models.enums import Role


def trial_with_results(session: Session) -> None:
    """A pilot with two iterations of per-arm results, so there is something to compare."""
    factories.make_trial(session)
    factories.make_iteration_with_arms(session, number=2)
    for number, successes in ((1, 30), (2, 36)):
        factories.record_results(
            session,
            {
                "control": {"metric": "take-up", "n": 100, "successes": 40},
                "new letter": {"metric": "take-up", "n": 100, "successes": successes},
            },
            number=number,
        )


def cli_document(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str
) -> dict[str, Any]:
    """What `tracker analyse --json` prints for the app's database."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    result = CliRunner().invoke(main, ["analyse", "letter-trial", "--json", *args])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def test_a_run_reads_back_exactly_as_the_cli_printed_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed(app, trial_with_results)
    printed = cli_document(app, monkeypatch, tmp_path)
    viewer = api_client(app, Role.VIEWER)
    read = viewer.get(f"/api/v1/analyses/{printed['run_id']}")
    assert read.status_code == 200
    assert read.json == printed
    assert {row["iteration"] for row in printed["comparisons"]} >= {1, 2}


def test_running_through_the_api_gives_the_cli_document(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed(app, trial_with_results)
    analyst = api_client(app, Role.ANALYST)
    made = analyst.post("/api/v1/pilots/letter-trial/analyses?iteration=2", json=None)
    assert made.status_code == 201
    assert made.headers["Location"] == f"/api/v1/analyses/{made.json['run_id']}"
    assert analyst.get(made.headers["Location"]).json == made.json
    assert {row["iteration"] for row in made.json["comparisons"]} == {2}
    printed = cli_document(app, monkeypatch, tmp_path, "--iteration", "2")
    assert printed["run_id"] == made.json["run_id"] + 1
    for name in ("pilot", "inputs_hash", "plan_hash", "library_versions", "comparisons"):
        assert made.json[name] == printed[name], name


def test_runs_are_listed_newest_first_without_their_rows(app: Flask) -> None:
    seed(app, trial_with_results)
    analyst = api_client(app, Role.ANALYST)
    first = analyst.post("/api/v1/pilots/letter-trial/analyses", json=None).json
    second = analyst.post("/api/v1/pilots/letter-trial/analyses?iteration=1", json=None).json
    listed = analyst.get("/api/v1/pilots/letter-trial/analyses?limit=1")
    assert listed.status_code == 200
    assert listed.json["page"] == {"total": 2, "limit": 1, "offset": 0, "next_offset": 1}
    (newest,) = listed.json["items"]
    assert newest["id"] == second["run_id"] and newest["iteration_number"] == 1
    assert newest["comparison_count"] == len(second["comparisons"])
    assert newest["url"] == f"/api/v1/analyses/{second['run_id']}"
    assert newest["actor_label"] == "api-analyst@example.gov.uk"
    assert "comparisons" not in newest and "rows" not in newest
    older = analyst.get("/api/v1/pilots/letter-trial/analyses?offset=1").json["items"]
    assert [item["id"] for item in older] == [first["run_id"]]


def test_refusals_and_missing_things(app: Flask) -> None:
    seed(app, trial_with_results)
    refusing = [api_client(app, Role.VIEWER), api_client(app, Role.EDITOR)]
    before = records_of(app)
    for client in refusing:
        refused = client.post("/api/v1/pilots/letter-trial/analyses", json=None)
        assert refused.status_code == 403
        assert refused.mimetype == "application/problem+json"
    assert records_of(app) == before
    analyst = api_client(app, Role.ANALYST)
    assert analyst.post("/api/v1/pilots/no-such-pilot/analyses", json=None).status_code == 404
    no_iteration = analyst.post("/api/v1/pilots/letter-trial/analyses?iteration=9", json=None)
    assert no_iteration.status_code == 404
    assert analyst.get("/api/v1/pilots/no-such-pilot/analyses").status_code == 404
    assert analyst.get("/api/v1/analyses/999").status_code == 404
    bad = analyst.post("/api/v1/pilots/letter-trial/analyses?iteration=0", json=None)
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json["errors"]] == ["iteration"]
    bad_id = analyst.get("/api/v1/analyses/nine")
    assert bad_id.status_code == 422
    assert [error["field"] for error in bad_id.json["errors"]] == ["run_id"]
    assert records_of(app)["analysis_run"] == []  # nothing refused or failed was stored
