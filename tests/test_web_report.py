"""The one-page pilot report page: readable by every role, no navigation chrome, text escaped."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask, render_template
from sqlmodel import Session

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import seed
from tracker.db import get_engine
from tracker.models.enums import MetricKind, MetricRole, Role
from tracker.services.analysis import run_analysis
from tracker.services.report import get_pilot_report

COUNCIL_TAX = "council-tax-text-reminders-pilot"
NHS = "southwark-nhs-health-check-invitation-trial"


def _analyse(app: Flask, slug: str) -> int:
    with Session(get_engine(app.config["DATABASE_URL"])) as session:
        run = run_analysis(session=session, actor=factories.ANALYST, pilot_slug=slug)
        session.commit()
        assert run.id is not None
        return run.id


def _figure(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="report-chart-figure">(.*?)</script>', page, re.S
    )
    assert match
    return json.loads(match.group(1))


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_role_reads_the_report(example_app: Flask, role: Role) -> None:
    client = signed_in_client(example_app, role=role)
    response = client.get(f"/pilots/{COUNCIL_TAX}/report")
    assert response.status_code == 200
    assert "Council tax text reminder pilot (illustrative)" in response.get_data(as_text=True)


def test_the_report_needs_sign_in_and_a_known_pilot(example_app: Flask) -> None:
    anonymous = example_app.test_client().get(f"/pilots/{COUNCIL_TAX}/report")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    client = signed_in_client(example_app)
    assert client.get("/pilots/no-such-pilot/report").status_code == 404


def test_the_council_tax_report_shows_each_part(example_app: Flask) -> None:
    run_id = _analyse(example_app, COUNCIL_TAX)
    page = signed_in_client(example_app).get(f"/pilots/{COUNCIL_TAX}/report").get_data(as_text=True)
    # A page to print: no service navigation, header, phase banner or footer.
    for chrome in (
        "govuk-service-navigation",
        "govuk-header",
        "govuk-phase-banner",
        "govuk-footer",
    ):
        assert chrome not in page
    assert 'href="/static/css/print.css"' in page
    # The question, the needs behind it, the design and the strength of evidence.
    assert "We believe that sending a text message" in page
    assert "The problem:" in page
    assert "As a resident who has missed a council tax instalment" in page
    assert "and 2 more user needs" in page
    assert "Individual randomised controlled trial" in page and "27,000" in page
    assert "3 July 2023 to 5 February 2024" in page
    assert "Level 5 of 5 on the Maryland Scientific Methods Scale" in page
    # The latest results in words, from the stored run, with a learning curve and its table.
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        report = get_pilot_report(session=session, slug=COUNCIL_TAX)
    assert report.results is not None and report.results.headline is not None
    assert report.results.headline.words in page
    assert f"From analysis run {run_id} of" in page
    figure = _figure(page)
    assert {x for trace in figure["data"] for x in trace.get("x", [])} >= {"v1", "v2", "v3"}
    table = page.split('id="report-chart-table"')[1].split("</table>")[0]
    assert table.count('scope="row"') == 4 and ">v3<" in table
    # Decisions and what changed, the locked plan's full hash, and the footer.
    decisions = page.split('id="decisions-table"')[1].split("</table>")[0]
    assert decisions.count('scope="row"') == 3 and "Scale</strong>" in decisions
    assert report.plan is not None and report.plan.lock_hash in page
    assert "Illustrative example: the policy and its numbers are made up." in page
    assert "Generated on" in page


def test_a_single_iteration_is_a_forest_plot_beside_its_table(example_app: Flask) -> None:
    _analyse(example_app, NHS)
    page = signed_in_client(example_app).get(f"/pilots/{NHS}/report").get_data(as_text=True)
    figure = _figure(page)
    assert len(figure["data"][0]["y"]) == 15  # every arm against control
    assert figure["layout"]["yaxis"]["showticklabels"] is False  # the table beside names them
    table = page.split('id="report-chart-table"')[1].split("</table>")[0]
    assert table.count('scope="row"') == 15 and "Odds ratio (95% interval), v1" in table
    assert "https://doi.org/10.1186/s12889-019-7476-8" in page
    assert "Illustrative example" not in page


def test_without_a_stored_analysis_the_report_says_so(example_app: Flask) -> None:
    page = signed_in_client(example_app).get(f"/pilots/{COUNCIL_TAX}/report").get_data(as_text=True)
    assert 'id="no-results"' in page and "report-chart-figure" not in page
    assert "plotly" not in page  # no chart, so no chart script


def test_user_text_is_escaped(app: Flask) -> None:
    def build(session: Session) -> None:
        factories.make_policy(session, problem_statement="<script>alert('problem')</script>")
        factories.make_metric(session, key="take-up", kind=MetricKind.BINARY, name="<i>Take</i>")
        factories.make_hypothesis(session, we_believe="<b>bold</b> letters")
        factories.make_pilot(
            session,
            title="<script>alert(1)</script>",
            hypothesis_keys=["letters-work"],
            source_url="javascript:alert(1)",
        )
        factories.make_iteration_with_arms(
            session, arms=(("control", True, 0.5), ("<img src=x onerror=alert(1)>", False, 0.5))
        )
        factories.record_results(
            session,
            {
                "control": {"metric": "take-up", "n": 100, "successes": 40},
                "<img src=x onerror=alert(1)>": {"metric": "take-up", "n": 100, "successes": 55},
            },
        )
        factories.make_plan(session, metrics=[("take-up", MetricRole.PRIMARY)])
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug="letter-trial")

    seed(app, build)
    page = signed_in_client(app).get("/pilots/letter-trial/report").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; letters" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript:' not in page
    assert "no locked plan" in page


def test_the_pilot_page_link_partial_points_at_the_report(example_app: Flask) -> None:
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        pilot = get_pilot_report(session=session, slug=COUNCIL_TAX).pilot
    with example_app.test_request_context():
        link = render_template("reports/_pilot_link.html", pilot=pilot)
    assert f'href="/pilots/{COUNCIL_TAX}/report"' in link and "One-page report" in link
