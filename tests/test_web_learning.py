"""The pilot learning page: learning curves, across-iteration tests, sample, sequential view."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.conftest import signed_in_client
from tests.factories import (
    ANALYST,
    make_iteration_with_arms,
    make_metric,
    make_pilot,
    make_plan,
    make_policy,
    make_trial,
)
from tracker.db import get_engine
from tracker.models import AnalysisRun
from tracker.models.enums import MetricKind, MetricRole
from tracker.services import plans, results
from tracker.services.actors import Actor
from tracker.services.analysis import run_analysis
from tracker.services.analysis_inputs import read_pilot_inputs
from tracker.services.comparisons import compare_pilot

COUNCIL_TAX = "council-tax-text-reminders-pilot"


def _figure(page: str, element_id: str) -> dict:
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match, element_id
    return json.loads(match.group(1))


def _runs(app: Flask) -> int:
    with Session(get_engine(app.config["DATABASE_URL"])) as session:
        return len(session.exec(select(AnalysisRun)).all())


def test_council_tax_pilot_shows_a_learning_curve_over_iterations_with_its_tests(
    example_app: Flask, example_client: FlaskClient
) -> None:
    before = _runs(example_app)
    response = example_client.get(f"/pilots/{COUNCIL_TAX}/learning")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "How the pilot has learned across iterations" in page
    assert "computed just now" in page and "Nothing was saved" in page
    assert _runs(example_app) == before  # read-only: the live computation stores nothing

    # The primary metric's curve has a point for each iteration (v1, v2, v3).
    figure = _figure(page, "learning-chart-1-figure")
    xs = {x for trace in figure["data"] for x in trace["x"]}
    assert xs >= {"v1", "v2", "v3"}
    assert 'id="learning-table-1"' in page
    # Its tests across iterations: did v3 beat v2, the same arm and the effect; the omnibus.
    assert 'id="across-table-1"' in page
    across = page.split('id="across-table-1"')[1].split("</table>")[0]
    assert "this iteration against the one before" in across
    assert "v3 against effect of Amount, link and norm in v2" in across
    assert "All iterations at once (omnibus test)" in across
    # The numbers are the comparison service's numbers.
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        rows = compare_pilot(read_pilot_inputs(session=session, pilot_slug=COUNCIL_TAX))
    effect = next(
        row
        for row in rows
        if row.comparison == "effect_across_iterations" and row.metric == "paid-within-14-days"
    )
    assert f">{effect.p_value:.3f}".rstrip("0") + "<" in across
    # Differences in proportions read in percentage points, as on the results page.
    first = next(
        row
        for row in rows
        if row.comparison == "arm_vs_control" and row.metric == "paid-within-14-days"
    )
    curve = page.split('id="learning-table-1"')[1].split("</table>")[0]
    assert "Difference (percentage points)" in curve
    assert f"{100 * first.ci_low:.1f} to {100 * first.ci_high:.1f}" in curve
    assert figure["layout"]["yaxis"]["title"]["text"] == "Percentage points"
    assert figure["data"][0]["y"][0] == pytest.approx(100 * first.estimate)
    # What we changed, the timeline with decisions, and the sample against the plan.
    assert "The generic text was replaced by a personalised text" in page
    timeline = page.split('id="timeline-table"')[1].split("</table>")[0]
    assert timeline.count("govuk-tag") == 3 and "Scale" in timeline
    sample = _figure(page, "sample-chart-figure")
    planned = [trace for trace in sample["data"] if trace["name"].startswith("Planned")]
    assert planned and planned[0]["y"] == [27000, 27000]
    assert any(trace["name"] == "Decision" for trace in sample["data"])
    assert 'id="sample-table"' in page
    # This plan is not sequential.
    assert 'id="no-sequential"' in page and "does not use sequential monitoring" in page
    assert "sequential-chart-1" not in page


def test_the_page_uses_the_latest_stored_run_when_there_is_one(
    example_app: Flask, example_client: FlaskClient
) -> None:
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        run = run_analysis(
            session=session, actor=Actor(label="a", role=ANALYST.role), pilot_slug=COUNCIL_TAX
        )
        session.commit()
        run_id = run.id
    page = example_client.get(f"/pilots/{COUNCIL_TAX}/learning").get_data(as_text=True)
    assert f"latest stored analysis run (run {run_id}," in page
    assert "computed just now" not in page


def test_the_pilot_page_links_to_the_learning_page(example_client: FlaskClient) -> None:
    page = example_client.get(f"/pilots/{COUNCIL_TAX}").get_data(as_text=True)
    assert f'href="/pilots/{COUNCIL_TAX}/learning"' in page
    assert "How the pilot has learned across iterations" in page


def test_unknown_pilot_is_not_found(example_client: FlaskClient) -> None:
    assert example_client.get("/pilots/no-such-pilot/learning").status_code == 404


def _two_iterations(app: Flask, *, sequential: bool | None) -> None:
    with Session(get_engine(app.config["DATABASE_URL"]), expire_on_commit=False) as session:
        make_policy(session)
        make_metric(session, key="take-up", kind=MetricKind.BINARY)
        make_pilot(session, planned_sample_size=1000)
        make_iteration_with_arms(session)
        make_iteration_with_arms(session, number=2)
        for number, (control, treated) in ((1, (40, 55)), (2, (42, 70))):
            for arm, successes in (("control", control), ("new letter", treated)):
                results.record_result(
                    session=session,
                    actor=ANALYST,
                    pilot_slug="letter-trial",
                    number=number,
                    arm_name=arm,
                    data={"metric": "take-up", "n": 200, "successes": successes},
                )
        if sequential is not None:
            plan = make_plan(
                session,
                metrics=[("take-up", MetricRole.PRIMARY)],
                sequential=sequential,
            )
            plans.lock_plan(
                session=session,
                actor=ANALYST,
                pilot_slug="letter-trial",
                version=plan.plan_version,
                expected_version=plan.version,
            )
        session.commit()


def test_a_sequential_plan_shows_the_always_valid_interval(app: Flask) -> None:
    _two_iterations(app, sequential=True)
    page = signed_in_client(app).get("/pilots/letter-trial/learning").get_data(as_text=True)
    assert "uses sequential monitoring" in page and "peeking" in page
    figure = _figure(page, "sequential-chart-1-figure")
    assert {x for trace in figure["data"] for x in trace["x"]} == {"v1", "v2"}
    assert "always-valid" in figure["layout"]["title"]["text"]


def test_without_a_sequential_plan_the_page_says_so(app: Flask) -> None:
    _two_iterations(app, sequential=False)
    page = signed_in_client(app).get("/pilots/letter-trial/learning").get_data(as_text=True)
    assert "does not use sequential monitoring" in page
    assert "sequential-chart-1" not in page
    assert _figure(page, "learning-chart-1-figure")["data"]


def test_a_pilot_without_a_plan_or_results(app: Flask) -> None:
    with Session(get_engine(app.config["DATABASE_URL"]), expire_on_commit=False) as session:
        make_trial(session)
        session.commit()
    page = signed_in_client(app).get("/pilots/letter-trial/learning").get_data(as_text=True)
    assert "No plan has been locked" in page
    assert "No results have been recorded for this pilot yet." in page
