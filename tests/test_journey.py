"""A policy's journey: stage visits and one timeline of gates, iterations, decisions, engagement."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import seed, text_of
from tracker.db import get_engine
from tracker.models import Decision, Engagement, Iteration, Pilot, Policy, StageDecision
from tracker.models.enums import PolicyStage
from tracker.services import iterations
from tracker.services.errors import NotFound
from tracker.services.journey import get_journey, stage_visits

COUNCIL = "council-tax-text-reminders"


def _gate(sequence: int, to: PolicyStage, on: date) -> StageDecision:
    return StageDecision(
        policy_id=1,
        sequence=sequence,
        to_stage=to,
        rationale="r",
        decided_by="Board",
        decided_on=on,
    )


def test_each_decision_opens_a_visit_the_next_closes() -> None:
    history = [
        _gate(2, PolicyStage.DISCOVERY, date(2024, 1, 11)),
        _gate(1, PolicyStage.IDEA, date(2024, 1, 1)),
    ]
    visits = stage_visits(history, today=date(2024, 2, 10))
    assert [(v.stage, v.entered_on, v.left_on, v.days) for v in visits] == [
        (PolicyStage.IDEA, date(2024, 1, 1), date(2024, 1, 11), 10),
        (PolicyStage.DISCOVERY, date(2024, 1, 11), None, 30),
    ]


def test_the_timeline_interleaves_every_kind_in_date_order(session: Session) -> None:
    factories.make_trial(session)
    iteration = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    iterations.update_iteration(
        session=session,
        actor=factories.EDITOR,
        pilot_slug="letter-trial",
        number=1,
        data={"start_date": date(2030, 1, 5)},
        expected_version=None,
    )
    factories.make_engagement(session)
    session.commit()
    journey = get_journey(session=session, slug="school-meals", today=date(2031, 1, 1))
    kinds = [event.kind for event in journey.events]
    assert sorted(kinds) == sorted(["stage", "iteration", "engagement"])
    assert [event.on for event in journey.events] == sorted(event.on for event in journey.events)
    [started] = [event for event in journey.events if event.kind == "iteration"]
    assert started.iteration is not None and started.iteration.id == iteration.id
    assert started.pilot is not None and started.pilot.slug == "letter-trial"
    assert journey.unvisited == [stage for stage in PolicyStage if stage != PolicyStage.IDEA]
    with pytest.raises(NotFound):
        get_journey(session=session, slug="no-such-policy")


def test_the_example_policys_journey_page(example_app: Flask, example_client: FlaskClient) -> None:
    page = example_client.get(f"/policies/{COUNCIL}/journey")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(html)

    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        policy = session.exec(select(Policy).where(Policy.slug == COUNCIL)).one()
        gates = session.exec(
            select(StageDecision).where(StageDecision.policy_id == policy.id)
        ).all()
        engagements = session.exec(
            select(Engagement).where(Engagement.policy_id == policy.id)
        ).all()
        started = session.exec(
            select(Iteration)
            .join(Pilot, col(Pilot.id) == col(Iteration.pilot_id))
            .where(Pilot.policy_id == policy.id, col(Iteration.start_date).is_not(None))
        ).all()
        decided = session.exec(
            select(Decision)
            .join(Iteration, col(Iteration.id) == col(Decision.iteration_id))
            .join(Pilot, col(Pilot.id) == col(Iteration.pilot_id))
            .where(Pilot.policy_id == policy.id)
        ).all()
    timeline = html.split('class="app-timeline"')[1].split("</ol>")[0]
    # Every gate, with its evidence and who decided; every iteration, decision and engagement.
    assert timeline.count("app-timeline__item--stage") == len(gates) == 5
    for gate in gates:
        assert all(item in text_of(timeline) for item in gate.evidence)
        assert gate.decided_by in text_of(timeline)
    assert timeline.count("app-timeline__item--iteration") == len(started) == 3
    assert timeline.count("app-timeline__item--decision") == len(decided) == 3
    assert timeline.count("app-timeline__item--engagement") == len(engagements) == 7
    # Dates run oldest first.
    dates = re.findall(r'<time datetime="([0-9-]+)">', timeline)
    assert dates == sorted(dates) and dates[0] == "2023-01-16"
    # The stage chart and its table give the same stages.
    figure = json.loads(html.split('id="stage-chart-figure">')[1].split("</script>")[0])
    assert figure["data"][0]["y"][:5] == ["Idea", "Discovery", "Alpha", "Beta", "Live"]
    stage_rows = html.split('id="stage-table"')[1].split("<tbody")[1].split("</table>")[0]
    assert stage_rows.count('<tr class="govuk-table__row">') == 5
    assert "Now" in text_of(stage_rows)
    assert "Not (yet) reached or skipped: Retired" in text


def test_the_policy_page_links_to_its_journey(example_client: FlaskClient) -> None:
    page = example_client.get(f"/policies/{COUNCIL}").get_data(as_text=True)
    assert f'href="/policies/{COUNCIL}/journey"' in page


def test_user_text_is_escaped(app: Flask) -> None:
    seed(app, lambda session: factories.make_policy(session, title="<script>x</script>"))
    page = signed_in_client(app).get("/policies/school-meals/journey").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
