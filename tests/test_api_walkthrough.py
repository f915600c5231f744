"""Issue 7's acceptance as a user runs it: scripts/api_walkthrough.sh, curl against the app served
over real HTTP, builds a pilot with two iterations, uploads a CSV per iteration, runs the
analysis and reads the comparisons — the same numbers as the web results page and
`tracker analyse --json` show."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from tests.api_helpers import records_of, token_for
from tests.conftest import signed_in_client, unavailable
from tests.test_web_results import tables
from tracker.cli import main
from tracker.models.enums import Role
from tracker.web.effect_format import format_effect

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "api_walkthrough.sh"


@pytest.fixture
def api(app: Flask) -> Iterator[str]:
    """The app served over HTTP from a thread on a free loopback port; yields its /api/v1 URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def walkthrough(api: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real script as a user would, with TOKEN and API in its environment."""
    if shutil.which("curl") is None:
        unavailable("the API walkthrough needs curl (apt-get install -y curl)")
    env = {**os.environ, "TOKEN": token, "API": api}
    env.pop("WALKTHROUGH_JSON", None)
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def arm_rows(document: Any) -> list[dict[str, Any]]:
    return [row for row in document["comparisons"] if row["comparison"] == "arm_vs_control"]


def test_a_script_builds_uploads_analyses_and_reads_the_same_numbers(
    app: Flask, api: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran = walkthrough(api, token_for(app, Role.ANALYST), "--json")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    pilot = document["pilot"]
    rows = arm_rows(document)
    assert [(row["iteration"], row["arm"], row["baseline"]) for row in rows] == [
        (1, "text", "control"),
        (2, "text", "control"),
    ]
    assert [row["n"] for row in rows] == [[100, 100], [100, 100]]  # the uploaded files' rows
    assert rows[0]["estimate"] == pytest.approx(0.40 - 0.30)
    assert rows[1]["estimate"] == pytest.approx(0.45 - 0.31)
    assert any(row["comparison"] == "arm_across_iterations" for row in document["comparisons"])
    # The CLI prints the same run's numbers (it runs again: same inputs, same numbers).
    monkeypatch.setenv("TRACKER_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "cli"))
    printed = CliRunner().invoke(main, ["analyse", pilot, "--json"])
    assert printed.exit_code == 0, printed.output
    cli = json.loads(printed.output)
    assert cli["inputs_hash"] == document["inputs_hash"]
    assert cli["comparisons"] == document["comparisons"]
    # The web results page shows them too.
    web = signed_in_client(app)
    for row in rows:
        page = web.get(f"/pilots/{pilot}/iterations/{row['iteration']}/results-analysis")
        [cells] = tables(page.get_data(as_text=True))["results-paid"]
        assert cells[1] == format_effect(row["estimate"], "difference", "binary")
        assert cells[2] == (
            f"{format_effect(row['ci_low'], 'difference', 'binary')} to "
            f"{format_effect(row['ci_high'], 'difference', 'binary')}"
        )


def test_the_table_shows_the_runs_numbers_and_where_to_see_them(app: Flask, api: str) -> None:
    token = token_for(app, Role.ADMIN)
    first, second = walkthrough(api, token), walkthrough(api, token)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr  # new records each time: it can run again
    site = api.removesuffix("/api/v1")
    [run_url] = re.findall(rf"^Run {site}(/api/v1/analyses/\d+) ", first.stdout, re.MULTILINE)
    client = app.test_client()
    document = client.get(run_url, headers={"Authorization": f"Bearer {token}"}).json
    assert document is not None
    cells = [line.split() for line in first.stdout.splitlines()]
    for row in arm_rows(document):
        [line] = [line for line in cells if line[:2] == ["arm_vs_control", f"v{row['iteration']}"]]
        assert line[2:] == [
            *("text", "vs", "control", "paid"),
            f"{row['estimate']:.4g}",
            *(f"{row['ci_low']:.4g}", "to", f"{row['ci_high']:.4g}"),
            f"{row['p_value']:.3g}",
        ]
    pilot = document["pilot"]
    assert f".venv/bin/tracker analyse {pilot} --json" in first.stdout
    web = signed_in_client(app)
    for number in (1, 2):
        page = f"{site}/pilots/{pilot}/iterations/{number}/results-analysis"
        assert page in first.stdout
        assert web.get(page.removeprefix(site)).status_code == 200


def test_it_says_what_a_token_needs_and_writes_nothing_without_it(app: Flask, api: str) -> None:
    missing = walkthrough(api, "")
    assert missing.returncode == 2
    assert "set TOKEN to a personal API token of an analyst or admin" in missing.stderr
    refused = walkthrough(api, token_for(app, Role.VIEWER))
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"POST {api}/policies answered HTTP 403" in refused.stderr
    assert '"status": 403' in refused.stderr  # the problem+json body, as the server sent it
    assert "needs the analyst or admin role" in refused.stderr
    assert records_of(app)["policy"] == []
