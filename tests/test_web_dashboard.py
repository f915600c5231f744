"""The dashboard page: every number on it traces to a record (cross-checked against the database
with independent SQL), no edit control for anyone, filters kept in the URL, user text escaped."""

from __future__ import annotations

import json
import re
import statistics
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests import factories
from tests.conftest import signed_in_client
from tests.test_dashboard import pilot_portfolio
from tests.web_helpers import app_session, seed, text_of
from tracker.models import Pilot
from tracker.models.enums import PilotStatus, PolicyStage, Role
from tracker.services import policies
from tracker.services.analysis import pilot_has_results, run_analysis
from tracker.services.dashboard_rag import RAG_RULE, Rag

COUNCIL_TAX = "council-tax-text-reminders"
COUNCIL_TAX_PILOT = "council-tax-text-reminders-pilot"


def long_date(value: object) -> str:
    """A date read from the database, written as the page writes dates."""
    on = date.fromisoformat(str(value))
    return f"{on.day} {on:%B %Y}"


def count(page: str, name: str) -> int:
    """The number the page shows in its `data-count="name"` element."""
    match = re.search(rf'data-count="{re.escape(name)}">([^<]*)<', page)
    assert match, f"no count {name!r} on the page"
    return int(match.group(1).replace(",", ""))


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The text of each body cell of the table with `table_id`, row by row."""
    match = re.search(rf'<table class="govuk-table" id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"no table {table_id!r} on the page"
    body = match.group(1).split("<tbody", 1)[1]
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def learned(page: str, slug: str) -> str:
    """The visible text of the "What each pilot learned" section of one pilot."""
    match = re.search(rf'<section[^>]*id="learned-{slug}"[^>]*>(.*?)</section>', page, re.S)
    assert match, f"no section for {slug}"
    return text_of(match.group(1))


def embedded_figure(page: str, name: str) -> dict[str, Any]:
    """The plotly figure the page embeds as JSON for the chart `name`."""
    match = re.search(
        rf'<script type="application/json" id="{name}-figure">(.*?)</script>', page, re.S
    )
    assert match, f"no figure {name!r} on the page"
    figure: dict[str, Any] = json.loads(match.group(1))
    return figure


def decisions(page: str, list_id: str) -> list[dict[str, str]]:
    """The stage decisions listed in `list_id`: policy slug, move, date and who decided."""
    match = re.search(rf'<ol [^>]*id="{list_id}"[^>]*>(.*?)</ol>', page, re.S)
    if not match:
        return []
    return [
        {
            "policy": slug,
            **{
                name: text_of(value)
                for name, value in re.findall(r'data-field="([a-z-]+)">(.*?)</span>', item, re.S)
            },
        }
        for slug, item in re.findall(r'<li data-policy="([^"]+)">(.*?)</li>', match.group(1), re.S)
    ]


def main_of(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def scalar(connection: sa.Connection, sql: str, **params: object) -> int:
    return int(connection.execute(sa.text(sql), params).scalar_one())


def analyse_everything(app: Flask) -> None:
    """What `make run` does after importing the examples: store a run of each pilot."""
    with app_session(app) as session:
        for slug in session.exec(select(Pilot.slug)).all():
            if pilot_has_results(session=session, pilot_slug=slug):
                run_analysis(session=session, actor=factories.ANALYST, pilot_slug=slug)
        session.commit()


@pytest.fixture
def recent_move(example_app: Flask) -> date:
    """The illustrative policy retired ten days ago, so the 30-day window is not empty."""
    on = date.today() - timedelta(days=10)
    with app_session(example_app) as session:
        policies.decide_stage(
            session=session,
            actor=factories.EDITOR,
            slug=COUNCIL_TAX,
            data=factories.decision_data(PolicyStage.RETIRED, decided_on=on),
            expected_version=None,
        )
        session.commit()
    return on


def test_every_number_on_the_example_dashboard_traces_to_a_record(
    example_app: Flask, recent_move: date
) -> None:
    analyse_everything(example_app)
    page = signed_in_client(example_app).get("/dashboard").get_data(as_text=True)
    today = date.today()
    engine = sa.create_engine(example_app.config["DATABASE_URL"])
    with engine.connect() as db:
        assert count(page, "policies") == scalar(db, "SELECT COUNT(*) FROM policy") == 5
        pilots = scalar(db, "SELECT COUNT(*) FROM pilot")
        assert count(page, "pilots") == pilots == 5
        assert sum(count(page, colour) for colour in ("red", "amber", "green")) == pilots

        # The pipeline: policies per stage, days since each one's latest stage decision.
        latest = db.execute(
            sa.text(
                "SELECT p.stage, p.title, d.decided_on FROM policy p JOIN stage_decision d"
                " ON d.policy_id = p.id AND d.sequence ="
                " (SELECT MAX(sequence) FROM stage_decision WHERE policy_id = p.id)"
            )
        ).all()
        for stage_name, count_text, median, longest, longest_title in table_rows(
            page, "pipeline-table"
        ):
            stage = stage_name.lower()
            days = {
                title: (today - date.fromisoformat(str(on))).days
                for row_stage, title, on in latest
                if row_stage == stage
            }
            assert int(count_text) == scalar(
                db, "SELECT COUNT(*) FROM policy WHERE stage = :s", s=stage
            )
            if days:
                assert float(median.replace(",", "")) == statistics.median(days.values())
                assert int(longest.replace(",", "")) == max(days.values())
                assert days[longest_title] == max(days.values())
            else:
                assert (median, longest, longest_title) == ("–", "–", "–")

        # Movements: stage decisions in each window, and the latest ones whatever their date.
        for window in (30, 90):
            assert count(page, f"moves-{window}") == scalar(
                db,
                "SELECT COUNT(*) FROM stage_decision WHERE decided_on >= :since"
                " AND decided_on <= :today",
                since=today - timedelta(days=window),
                today=today,
            )
        assert count(page, "moves-30") == 1
        latest_first = " ORDER BY d.decided_on DESC, d.id DESC"
        listed = [(row["policy"], row["decided-on"]) for row in decisions(page, "movements")]
        assert len(listed) == count(page, "moves-90")
        assert listed == [
            (slug, long_date(on))
            for slug, on in db.execute(
                sa.text(
                    "SELECT p.slug, d.decided_on FROM stage_decision d JOIN policy p"
                    " ON p.id = d.policy_id WHERE d.decided_on >= :since" + latest_first
                ),
                {"since": today - timedelta(days=90)},
            ).all()
        ]
        newest = db.execute(
            sa.text(
                "SELECT p.slug, d.decided_by, d.decided_on, p.title FROM stage_decision d"
                " JOIN policy p ON p.id = d.policy_id" + latest_first + " LIMIT 5"
            )
        ).all()
        shown = [
            (row["policy"], row["decided-by"], row["decided-on"])
            for row in decisions(page, "recent")
        ]
        assert shown == [(slug, by, long_date(on)) for slug, by, on, _ in newest]
        assert decisions(page, "recent")[0]["move"] == "Live → Retired"
        glance_move = re.search(r'id="glance-move">(.*?)</dd>', page, re.S)
        assert glance_move and text_of(glance_move.group(1)).replace(" :", ":") == (
            f"{newest[0][3]}: Live to retired, {long_date(recent_move)}"
        )

        # Pilots by status: every status row adds up to the pilots with that status.
        for status, red, amber, green, total in table_rows(page, "pilot-status-table"):
            expected = scalar(db, "SELECT COUNT(*) FROM pilot WHERE status = :s", s=status.lower())
            assert int(red) + int(amber) + int(green) == int(total) == expected
        rated = table_rows(page, "pilot-rag-table")
        assert len(rated) == pilots
        ratings = [row[2].split(" ", 1) for row in rated]
        for colour in ("Red", "Amber", "Green"):
            shown = sum(1 for rating, _ in ratings if rating == colour)
            assert shown == count(page, colour.lower())
        assert all(len(why) > 10 for _, why in ratings), "every RAG rating gives its reason"

        # What each pilot learned: the newest stored run and the latest decision.
        for slug, run_id in db.execute(
            sa.text(
                "SELECT p.slug, MAX(r.id) FROM pilot p JOIN analysis_run r ON r.pilot_id = p.id"
                " GROUP BY p.slug"
            )
        ).all():
            assert f"from stored analysis run {run_id}." in learned(page, slug)
        outcome, decided_on = db.execute(
            sa.text(
                "SELECT d.outcome, d.decided_on FROM decision d JOIN iteration i"
                " ON i.id = d.iteration_id JOIN pilot p ON p.id = i.pilot_id"
                " WHERE p.slug = :slug ORDER BY i.number DESC LIMIT 1"
            ),
            {"slug": COUNCIL_TAX_PILOT},
        ).one()
        newest_decision = db.execute(
            sa.text(
                "SELECT p.title, d.outcome, i.number FROM decision d JOIN iteration i"
                " ON i.id = d.iteration_id JOIN pilot p ON p.id = i.pilot_id"
                " ORDER BY d.decided_on DESC, d.id DESC LIMIT 1"
            )
        ).one()
        glance_decision = re.search(r'id="glance-decision">(.*?)</dd>', page, re.S)
        assert glance_decision and text_of(glance_decision.group(1)).replace(" :", ":").startswith(
            f"{newest_decision[0]}: {newest_decision[1]} after v{newest_decision[2]}, "
        )
        council = learned(page, COUNCIL_TAX_PILOT)
        assert council.startswith(
            "Council tax text reminder pilot (illustrative) Policy: Text message reminders"
        )
        assert f"{outcome.capitalize()} after v3, {long_date(decided_on)}" in council

        # User needs with and without evidence.
        assert count(page, "needs-with") == scalar(
            db, "SELECT COUNT(*) FROM user_need WHERE TRIM(evidence_source) <> ''"
        )
        assert count(page, "needs-without") == scalar(
            db, "SELECT COUNT(*) FROM user_need WHERE TRIM(evidence_source) = ''"
        )
    engine.dispose()


def test_the_charts_carry_the_same_numbers_as_their_tables(example_client: FlaskClient) -> None:
    page = example_client.get("/dashboard").get_data(as_text=True)
    figures = {name: embedded_figure(page, name) for name in ("pipeline", "pilot-status")}
    counts = [int(row[1]) for row in table_rows(page, "pipeline-table")]
    assert figures["pipeline"]["data"][0]["y"] == counts
    assert 'data-chart-figure="pipeline-figure"' in page
    assert 'data-chart-figure="pilot-status-figure"' in page
    by_colour = {trace["name"]: trace["y"] for trace in figures["pilot-status"]["data"]}
    rows = table_rows(page, "pilot-status-table")
    for index, colour in enumerate(("Red", "Amber", "Green"), start=1):
        assert by_colour[colour] == [int(row[index]) for row in rows]
    assert "plotly" in page and "cdn" not in page.lower()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
def test_no_role_sees_an_edit_control_on_the_dashboard(example_app: Flask, role: Role) -> None:
    page = signed_in_client(example_app, role=role).get("/dashboard").get_data(as_text=True)
    main = main_of(page)
    links = re.findall(r'href="([^"]*)"', main)
    assert links, "the dashboard links to policies and pilots"
    assert [link for link in links if link.endswith(("/edit", "/new"))] == []
    forms = re.findall(r"<form[^>]*>", main)
    assert forms and all('method="get"' in form for form in forms), forms
    assert 'method="post"' not in main.lower()


def test_filters_stay_in_the_url_and_narrow_the_whole_dashboard(
    example_client: FlaskClient,
) -> None:
    page = example_client.get("/dashboard?tag=illustrative&stage=live").get_data(as_text=True)
    assert count(page, "policies") == 1 and count(page, "pilots") == 1
    assert [row[0] for row in table_rows(page, "pilot-rag-table")] == [
        "Council tax text reminder pilot (illustrative)"
    ]
    assert count(page, "needs-with") == 4
    assert '<option value="illustrative" selected>' in page
    assert re.search(r'name="stage" type="checkbox" value="live" checked', page)
    assert "Clear filters" in page
    empty = example_client.get("/dashboard?stage=idea").get_data(as_text=True)
    assert count(empty, "policies") == 0 and count(empty, "pilots") == 0
    assert "There are no pilots yet." in empty and 'id="pilot-status-chart"' not in empty


def test_an_empty_portfolio_and_user_text_render_safely(app: Flask, client: FlaskClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert count(page, "policies") == 0
    assert "No stage decision has been recorded yet." in page

    def build(session: Session) -> None:
        factories.make_policy(session, title="<b>Bold</b> policy")
        factories.make_user_need(session, as_a="<script>alert(1)</script>")
        factories.make_pilot(session, title="<i>Pilot</i>")

    seed(app, build)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<b>Bold</b>" not in page and "&lt;b&gt;Bold&lt;/b&gt; policy" in page
    assert "<script>alert(1)" not in page and "<i>Pilot</i>" not in page
    assert count(page, "needs-without") == 1
    assert table_rows(page, "needs-table")[0] == [
        "As a <script>alert(1)</script>, I need to know my child is eligible, so that they get a"
        " free lunch.",
        "<b>Bold</b> policy",
    ]


def test_the_rag_rule_is_written_and_each_colour_comes_with_its_reason(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, pilot_portfolio)
    page = client.get("/dashboard").get_data(as_text=True)
    rule = re.search(
        r'<ul class="govuk-list govuk-list--bullet" id="rag-rule">(.*?)</ul>', page, re.S
    )
    assert rule and [
        text_of(item) for item in re.findall(r"<li>(.*?)</li>", rule.group(1), re.S)
    ] == [f"{colour.value.capitalize()} when {RAG_RULE[colour]}." for colour in Rag]
    rated = {row[0]: row[2] for row in table_rows(page, "pilot-rag-table")}
    assert rated["Pilot mismatched"] == "Red The latest analysis found a sample-ratio mismatch."
    assert rated["Pilot unanalysed"] == "Amber It is running and its analysis has never been run."
    assert rated["Pilot healthy"].startswith("Green The latest analysis passed its health checks")
    assert count(page, "red") == 2 and count(page, "moves-30") == 0
    assert "No analysis has been run and stored for this pilot yet" in learned(page, "planned")


def test_pilots_come_twenty_to_a_page_red_first_with_the_totals(
    app: Flask, client: FlaskClient
) -> None:
    def build(session: Session) -> None:
        factories.make_policy(session)
        for index in range(25):
            overdue = index in (4, 17, 23)  # red: running past its planned end, undecided
            factories.make_pilot(
                session,
                slug=f"pilot-{index:02}",
                status=PilotStatus.RUNNING if overdue or index == 9 else PilotStatus.PLANNED,
                **(
                    {"planned_start": date(2020, 1, 6), "planned_end": date(2020, 6, 1)}
                    if overdue
                    else {}
                ),
            )

    seed(app, build)
    first = client.get("/dashboard?team=Test+and+Learn+Unit").get_data(as_text=True)
    second = client.get("/dashboard?team=Test+and+Learn+Unit&page=2").get_data(as_text=True)
    on_first, on_second = (table_rows(page, "pilot-rag-table") for page in (first, second))
    assert (len(on_first), len(on_second)) == (20, 5)
    assert [row[2].split(" ", 1)[0] for row in on_first[:5]] == ["Red"] * 3 + ["Amber", "Green"]
    assert {row[0] for row in on_first[:3]} == {
        "Pilot pilot-04",
        "Pilot pilot-17",
        "Pilot pilot-23",
    }
    assert {row[0] for row in on_first + on_second} == {f"Pilot pilot-{i:02}" for i in range(25)}
    assert all(row[2].startswith("Green") for row in on_second)
    assert "Showing 1 to 20 of 25 pilots, red first" in text_of(first)
    assert "Showing 21 to 25 of 25 pilots, red first" in text_of(second)
    assert len(re.findall(r'<section[^>]*id="learned-', second)) == 5
    for page in (first, second):
        assert (count(page, "pilots"), count(page, "red"), count(page, "amber")) == (25, 3, 1)
        assert 'class="govuk-pagination"' in page or "govuk-pagination" in page
    assert 'href="/dashboard?team=Test+and+Learn+Unit&amp;page=2#pilot-health"' in first
