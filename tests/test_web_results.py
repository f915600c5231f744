"""The iteration results page: stored runs, re-running, CSV, and the same numbers as the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlmodel import Session, select

from tests import factories
from tests.conftest import signed_in_client
from tests.test_published_trials import TABLE_3
from tests.web_helpers import app_session, seed, text_of
from tracker.cli import main
from tracker.models import AnalysisRun, Metric
from tracker.models.enums import MetricKind, MetricRole, Role
from tracker.services import plans
from tracker.web.effect_format import format_effect, format_lift, format_p

GGL = "ggl-2006-michigan-primary-mailings"
NSW = "nsw-dehejia-wahba-experimental-sample"
NHS = "southwark-nhs-health-check-invitation-trial"
COUNCIL = "council-tax-text-reminders-pilot"


class _Tables(HTMLParser):
    """Every <table id=…> on a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table" and values.get("id"):
            self._table = values["id"]
            self.tables[self._table or ""] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    reader = _Tables()
    reader.feed(page)
    return {key: rows[1:] for key, rows in reader.tables.items()}  # without the header row


def cli_run(url: str, pilot: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "cli"))
    result = CliRunner().invoke(main, ["analyse", pilot, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def page_url(pilot: str, number: int) -> str:
    return f"/pilots/{pilot}/iterations/{number}/results-analysis"


def arm_rows(document: Any, number: int | None = None) -> list[dict[str, Any]]:
    return [
        row
        for row in document["comparisons"]
        if row["comparison"] == "arm_vs_control" and (number is None or row["iteration"] == number)
    ]


def test_without_a_run_the_page_says_so_and_only_analysts_may_run_it(example_app: Flask) -> None:
    viewer = signed_in_client(example_app)
    page = viewer.get(page_url(COUNCIL, 3))
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "The analysis of this iteration has not been run yet." in text
    assert "Run the analysis" not in text
    assert viewer.get(page_url(COUNCIL, 3) + ".csv").status_code == 404
    assert viewer.get(page_url(COUNCIL, 99)).status_code == 404
    analyst = signed_in_client(example_app, role=Role.ANALYST)
    assert "Run the analysis" in text_of(analyst.get(page_url(COUNCIL, 3)).get_data(as_text=True))


def test_the_pilot_page_links_to_each_iterations_analysis(example_app: Flask) -> None:
    page = signed_in_client(example_app).get(f"/pilots/{COUNCIL}").get_data(as_text=True)
    assert f'href="{page_url(COUNCIL, 3)}"' in page


def test_each_run_is_kept_and_listed(example_app: Flask) -> None:
    analyst = signed_in_client(example_app, role=Role.ANALYST)
    url = page_url(COUNCIL, 3)
    first = analyst.post(url + "/run", data={"csrf_token": _token(analyst, url)})
    assert first.status_code == 303
    second = analyst.post(url + "/run", data={"csrf_token": _token(analyst, url)})
    assert second.status_code == 303
    with app_session(example_app) as session:
        runs = session.exec(select(AnalysisRun).order_by(AnalysisRun.id)).all()  # type: ignore[arg-type]
    assert len(runs) == 2 and all(run.iteration_number == 3 for run in runs)
    assert all(run.actor_label for run in runs)
    latest = analyst.get(second.headers["Location"]).get_data(as_text=True)
    text = text_of(latest)
    assert f"Run {runs[1].id}" in text and runs[1].inputs_hash in latest
    assert "numpy" in text and "statsmodels" in text
    listed = tables(latest)["earlier-runs"]
    assert [row[0] for row in listed] == [f"Run {runs[1].id} (shown)", f"Run {runs[0].id}"]
    older = analyst.get(f"{url}?run={runs[0].id}").get_data(as_text=True)
    assert f"Run {runs[0].id}, " in text_of(older)
    assert analyst.get(f"{url}?run=999999").status_code == 404


def _token(client: Any, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


@pytest.mark.parametrize("pilot", [GGL, NSW, NHS])
def test_page_and_csv_show_the_numbers_of_tracker_analyse_json(
    example_app: Flask,
    example_url: str,
    pilot: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    document = cli_run(example_url, pilot, monkeypatch, tmp_path)
    numbers = sorted({row["iteration"] for row in arm_rows(document)})
    client = signed_in_client(example_app)
    with app_session(example_app) as session:
        kinds = {metric.key: metric.kind for metric in session.exec(select(Metric)).all()}
    for number in numbers:
        expected = arm_rows(document, number)
        page = client.get(page_url(pilot, number)).get_data(as_text=True)
        assert f"Run {document['run_id']}, " in text_of(page)
        assert document["inputs_hash"] in page
        page_tables = tables(page)
        for row in expected:
            cells = {r[0]: r for r in page_tables[f"results-{row['metric']}"]}[row["arm"]]
            shown = partial(format_effect, scale=row["scale"], kind=kinds[row["metric"]])
            assert cells[1:6] == [
                " ".join(text.split())
                for text in (
                    shown(row["estimate"]),
                    f"{shown(row['ci_low'])} to {shown(row['ci_high'])}",
                    format_p(row["p_value"]),
                    format_p(row["p_adjusted"]),
                    format_lift(row["relative_lift"]),
                )
            ]
            assert cells[6:8] == [f"{row['n'][0]:,.0f}", f"{row['n'][-1]:,.0f}"]
            assert cells[8].startswith("Exploratory" if row["exploratory"] else "Confirmatory")
        download = client.get(page_url(pilot, number) + ".csv")
        assert download.mimetype == "text/csv"
        assert "attachment" in download.headers["Content-Disposition"]
        lines = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
        assert len(lines) == len(expected)
        for line, row in zip(lines, expected, strict=True):
            assert (line["metric"], line["arm"], line["method"]) == (
                row["metric"],
                row["arm"],
                row["method"],
            )
            for key in ("estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "relative_lift"):
                assert (float(line[key]) if line[key] else None) == row[key], key
            assert [float(line["n_control"]), float(line["n_arm"])] == row["n"]


def test_published_trials_show_their_published_numbers(
    example_app: Flask, example_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = signed_in_client(example_app)
    # Gerber, Green & Larimer (2008) Table 2: Neighbors 37.8% against control 29.7%: +8.1 points.
    ggl = cli_run(example_url, GGL, monkeypatch, tmp_path)
    [neighbours] = [row for row in arm_rows(ggl) if row["arm"] == "Neighbors"]
    page = client.get(page_url(GGL, neighbours["iteration"])).get_data(as_text=True)
    cells = {r[0]: r for r in tables(page)[f"results-{neighbours['metric']}"]}["Neighbors"]
    assert cells[1] == "8.1"
    assert "Difference (percentage points)" in page
    # Dehejia & Wahba (1999), Table 3: experimental estimate 1794 (SE 633).
    nsw = cli_run(example_url, NSW, monkeypatch, tmp_path)
    [earnings] = [row for row in arm_rows(nsw) if row["metric"] == "earnings-1978"]
    page = client.get(page_url(NSW, earnings["iteration"])).get_data(as_text=True)
    [cells] = tables(page)["results-earnings-1978"]
    assert cells[1] == "1,794"
    assert cells[8].startswith("Confirmatory")
    # Sallis et al. (2019) Table 3: every odds ratio and 95% interval to the printed 2 places,
    # with the control's 814 patients and each arm's total.
    nhs = cli_run(example_url, NHS, monkeypatch, tmp_path)
    number = arm_rows(nhs)[0]["iteration"]
    page = client.get(page_url(NHS, number)).get_data(as_text=True)
    assert "Odds ratio (Wald interval on the log-odds scale)" in text_of(page)
    # The source is one click away, to check the numbers against.
    assert 'href="https://doi.org/10.1186/s12889-019-7476-8"' in page
    shown = {r[0]: r for r in tables(page)["results-attended-nhs-health-check"]}
    assert set(shown) == set(TABLE_3)
    for arm, (total, _, odds_ratio, low, high) in TABLE_3.items():
        assert shown[arm][1:3] == [f"{odds_ratio:.2f}", f"{low:.2f} to {high:.2f}"], arm
        assert shown[arm][6:9] == ["814", f"{total}", "Confirmatory (primary)"], arm


ARM = '=HYPERLINK("http://evil.example","x")'


def _small_trial(session: Session, arm_n: int = 100) -> None:
    """v1 of a pilot whose arm name looks like a formula and does worse than control."""
    factories.make_policy(session)
    factories.make_metric(session, key="take-up", kind=MetricKind.BINARY)
    factories.make_pilot(session)
    factories.make_iteration_with_arms(session, arms=(("control", True, 0.5), (ARM, False, 0.5)))
    factories.record_results(
        session,
        {
            "control": {"metric": "take-up", "n": 100, "successes": 40},
            ARM: {"metric": "take-up", "n": arm_n, "successes": 30},
        },
    )
    plan = factories.make_plan(session, metrics=[("take-up", MetricRole.PRIMARY)])
    plans.lock_plan(
        session=session,
        actor=factories.ANALYST,
        pilot_slug="letter-trial",
        version=plan.version,
        expected_version=None,
    )
    session.commit()


def test_run_read_and_download_on_a_new_pilot(app: Flask) -> None:
    """On both databases: run as analyst, read the locked plan's hash and the confirmatory row,
    and download a CSV whose formula-like text is neutralised and whose negative numbers stay
    numbers."""
    seed(app, _small_trial)
    url = page_url("letter-trial", 1)
    analyst = signed_in_client(app, role=Role.ANALYST)
    response = analyst.post(url + "/run", data={"csrf_token": _token(analyst, url)})
    assert response.status_code == 303
    page = analyst.get(response.headers["Location"]).get_data(as_text=True)
    with app_session(app) as session:
        [run] = session.exec(select(AnalysisRun)).all()
    assert run.plan_hash and run.plan_hash in page
    [cells] = tables(page)["results-take-up"]
    assert cells[0] == ARM
    assert cells[1:3] == [
        "-10.0",
        f"{100 * run.rows[0]['ci_low']:.1f} to {100 * run.rows[0]['ci_high']:.1f}",
    ]
    assert cells[8] == "Confirmatory (primary)"
    download = analyst.get(url + ".csv").get_data(as_text=True)
    [line] = list(csv.DictReader(io.StringIO(download)))
    assert line["arm"] == "'" + ARM
    assert float(line["estimate"]) == pytest.approx(-0.1)
    assert line["estimate"].startswith("-")
    assert line["exploratory"] == "confirmatory"


def test_health_findings_show_as_warning_text(app: Flask) -> None:
    """An arm three times the size of a 50:50 control: the sample ratio check warns."""
    seed(app, lambda session: _small_trial(session, arm_n=300))
    url = page_url("letter-trial", 1)
    analyst = signed_in_client(app, role=Role.ANALYST)
    analyst.post(url + "/run", data={"csrf_token": _token(analyst, url)})
    page = analyst.get(url).get_data(as_text=True)
    with app_session(app) as session:
        [run] = session.exec(select(AnalysisRun)).all()
    messages = [finding["message"] for finding in run.rows[0]["health"]]
    assert messages
    warnings = [text_of(w) for w in page.split('class="govuk-warning-text')[1:]]
    for message in messages:
        assert any(text_of(message) in warning for warning in warnings), message
