"""Issue 7's acceptance, as a script would do it over HTTP: build a pilot with two iterations,
upload a CSV, run the analysis and read the comparisons — the same numbers as the web results
page and `tracker analyse --json` show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from tests.api_helpers import api_client
from tests.conftest import signed_in_client
from tests.test_api_datasets import upload
from tests.test_web_results import tables
from tracker.cli import main
from tracker.models.enums import Role
from tracker.web.effect_format import format_effect

PILOT = "/api/v1/pilots/reminder-trial"
ARMS = [
    {"name": "control", "is_control": True, "allocation": 0.5},
    {"name": "text", "is_control": False, "allocation": 0.5},
]


def csv_of(control: tuple[int, int], text: tuple[int, int]) -> bytes:
    """A unit-level file: (paid, not paid) per arm."""
    rows = ["arm,paid"]
    for arm, (paid, unpaid) in (("control", control), ("text", text)):
        rows += [f"{arm},1"] * paid + [f"{arm},0"] * unpaid
    return ("\n".join(rows) + "\n").encode()


def test_a_script_builds_uploads_analyses_and_reads_the_same_numbers(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    editor, analyst = api_client(app, Role.EDITOR), api_client(app, Role.ANALYST)
    policy = {
        "policy": {
            "slug": "reminders",
            "title": "Payment reminders",
            "team": "Revenues",
            "problem_statement": "People pay late.",
        },
        "first_decision": {
            "to_stage": "idea",
            "rationale": "Cheap to try",
            "decided_by": "Board",
            "decided_on": "2026-01-05",
        },
    }
    assert editor.post("/api/v1/policies", json=policy).status_code == 201
    metric = {"key": "paid", "name": "Paid on time", "kind": "binary", "direction": "increase"}
    assert analyst.post("/api/v1/policies/reminders/metrics", json=metric).status_code == 201
    pilot = {"slug": "reminder-trial", "title": "Reminder trial", "design": "individual_rct"}
    assert editor.post("/api/v1/policies/reminders/pilots", json=pilot).status_code == 201
    for number, (control, text) in enumerate([((30, 70), (40, 60)), ((31, 69), (45, 55))], 1):
        made = editor.post(f"{PILOT}/iterations", json={"number": number, "what_changed": "v"})
        assert made.status_code == 201, made.json
        for arm in ARMS:
            created = editor.post(f"{PILOT}/iterations/{number}/arms", json=arm)
            assert created.status_code == 201, created.json
        stored = upload(
            analyst,
            content=csv_of(control, text),
            mapping={"arm": "arm", "outcomes": {"paid": "paid"}},
            url=f"{PILOT}/iterations/{number}/datasets",
        )
        assert stored.status_code == 201, stored.json
    run = analyst.post(f"{PILOT}/analyses", json=None)
    assert run.status_code == 201, run.json
    document = analyst.get(run.headers["Location"]).json
    rows = [row for row in document["comparisons"] if row["comparison"] == "arm_vs_control"]
    assert [row["iteration"] for row in rows] == [1, 2]
    assert any(row["comparison"] == "arm_across_iterations" for row in document["comparisons"])
    # The CLI prints the same run's numbers (it runs again: same inputs, same numbers).
    monkeypatch.setenv("TRACKER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "cli"))
    printed = CliRunner().invoke(main, ["analyse", "reminder-trial", "--json"])
    assert printed.exit_code == 0, printed.output
    cli = json.loads(printed.output)
    assert cli["inputs_hash"] == document["inputs_hash"]
    assert cli["comparisons"] == document["comparisons"]
    # The web results page shows them too.
    web = signed_in_client(app)
    for row in rows:
        page = web.get(
            f"/pilots/reminder-trial/iterations/{row['iteration']}/results-analysis"
        ).get_data(as_text=True)
        [cells] = tables(page)["results-paid"]
        assert cells[1] == format_effect(row["estimate"], "difference", "binary")
        assert cells[2] == (
            f"{format_effect(row['ci_low'], 'difference', 'binary')} to "
            f"{format_effect(row['ci_high'], 'difference', 'binary')}"
        )
