"""Pilot pages: set up and edit a pilot with every field, its hypotheses, and the set-up tasks."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import (
    app_session,
    assert_refused,
    audit_total,
    conflict_table,
    csrf_token,
    error_summary,
    post_form,
    seed,
    text_of,
)
from tracker.models import Pilot
from tracker.models.enums import Role
from tracker.services import pilots

NEW = "/policies/school-meals/pilots/new"
EDIT = "/pilots/letter-trial/edit"

FULL_FORM = {
    "title": "Letter trial",
    "slug": "letter-trial",
    "design": "cluster_rct",
    "unit_of_randomisation": "School",
    "population": "Parents of children in year 3\r\n\r\nin receipt of universal credit ",
    "place": "Example Borough",
    "planned_sample_size": "2,400",
    "evaluation_type": "process",
    "evidence_strength": "5",
    "status": "running",
    "planned_start": ["6", "1", "2025"],
    "planned_end": ["30", "6", "2025"],
    "citation": "Example Borough (2025) Letter trial report",
    "source_url": "https://www.example.gov.uk/letter-trial",
    "hypothesis_keys": ["letters-work", "texts-work"],
}


def policy_with_hypotheses(session: Session) -> None:
    factories.make_policy(session)
    factories.make_hypothesis(session, key="letters-work")
    factories.make_hypothesis(session, key="texts-work", we_believe="a text reminder")


def with_pilot(session: Session) -> None:
    policy_with_hypotheses(session)
    factories.make_pilot(session, hypothesis_keys=["letters-work"])


def read_pilot(app: Flask, slug: str = "letter-trial") -> tuple[Pilot, list[str], int]:
    """The stored pilot, the keys of its hypotheses, and how many audit events exist."""
    with app_session(app) as session:
        pilot = pilots.get_pilot(session=session, slug=slug)
        keys = pilots.hypothesis_keys_of(session=session, pilot=pilot)
        return pilot, keys, factories.audit_count(session)


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return signed_in_client(app, role=Role.EDITOR)


def test_a_new_pilot_round_trips_every_field(app: Flask, editor: FlaskClient) -> None:
    seed(app, policy_with_hypotheses)
    page = editor.get(NEW).get_data(as_text=True)
    assert "We believe that a text reminder for eligible parents will raise take-up" in page
    assert "Individual randomised controlled trial" in page and "Maryland" in page

    response = post_form(editor, NEW, FULL_FORM)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pilots/letter-trial")

    pilot, keys, _ = read_pilot(app)
    assert (pilot.title, pilot.design.value, pilot.unit_of_randomisation) == (
        "Letter trial",
        "cluster_rct",
        "School",
    )
    # As a browser posts a textarea (CRLF), stored as typed without the line-end noise.
    assert pilot.population == "Parents of children in year 3\n\nin receipt of universal credit"
    assert (pilot.place, pilot.planned_sample_size) == ("Example Borough", 2400)
    assert (pilot.evaluation_type.value, pilot.evidence_strength) == ("process", 5)
    assert pilot.status.value == "running"
    assert (pilot.planned_start, pilot.planned_end) == (date(2025, 1, 6), date(2025, 6, 30))
    assert pilot.citation == FULL_FORM["citation"]
    assert pilot.source_url == FULL_FORM["source_url"]
    assert keys == ["letters-work", "texts-work"]

    form = editor.get(EDIT).get_data(as_text=True)
    for value in ("Letter trial", "School", "Example Borough", "2400", "30", "2025"):
        assert f'value="{value}"' in form
    assert "Parents of children in year 3" in form and FULL_FORM["citation"] in form
    for name, value in [("design", "cluster_rct"), ("evaluation_type", "process")]:
        assert f'name="{name}" type="radio" value="{value}" checked' in form
    assert 'name="evidence_strength" type="radio" value="5" checked' in form
    assert 'name="status" type="radio" value="running" checked' in form
    assert form.count('name="hypothesis_keys" type="checkbox"') == 2
    assert form.count("checked") == 6  # 4 radios and both hypotheses
    assert 'name="slug"' not in form  # the slug is fixed once the pilot exists


def test_editing_changes_every_field_and_relinks_hypotheses(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, with_pilot)
    pilot, _, _ = read_pilot(app)
    data = {
        **{key: value for key, value in FULL_FORM.items() if key != "slug"},
        "title": "Letter trial, second wave",
        "design": "ab_test",
        "planned_sample_size": "",
        "evidence_strength": "",
        "planned_end": ["", "", ""],
        "hypothesis_keys": ["texts-work"],
        "version": str(pilot.version),
    }
    response = post_form(editor, EDIT, data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pilots/letter-trial#design")
    pilot, keys, _ = read_pilot(app)
    assert (pilot.title, pilot.design.value) == ("Letter trial, second wave", "ab_test")
    assert pilot.planned_sample_size is None and pilot.evidence_strength is None
    assert pilot.planned_end is None and pilot.planned_start == date(2025, 1, 6)
    assert keys == ["texts-work"]
    form = editor.get(EDIT).get_data(as_text=True)
    assert 'name="evidence_strength" type="radio" value="" checked' in form
    assert 'value="texts-work" checked' in form and 'value="letters-work" checked' not in form
    assert 'href="/history/pilot/' in form


def test_form_errors_name_their_field_and_save_nothing(app: Flask, editor: FlaskClient) -> None:
    seed(app, policy_with_hypotheses)
    before = audit_total(app)
    bad = {
        **FULL_FORM,
        "title": "   ",
        "slug": "Letter Trial",
        "design": "",
        "planned_sample_size": "lots",
        "planned_start": ["12", "", "2025"],
        "planned_end": ["31", "2", "2025"],
        "source_url": "www.example.gov.uk",
    }
    page = post_form(editor, NEW, bad).get_data(as_text=True)
    assert "<title>Error: Set up a pilot" in page
    assert error_summary(page) == [
        ("Enter the title", "#title"),
        (
            "Short name must only include lower-case letters, numbers and hyphens, "
            "like school-meals-letter-trial",
            "#slug",
        ),
        ("Select the design", "#design"),
        ("Planned sample size must be a whole number, like 2,000", "#planned_sample_size"),
        ("Planned start date must include a month", "#planned_start-month"),
        ("Planned end date must be a real date", "#planned_end-day"),
        (
            "Enter the source web address in the correct format, like https://www.gov.uk/research",
            "#source_url",
        ),
    ]
    assert 'value="lots"' in page  # what was typed stays in the box
    assert audit_total(app) == before
    assert editor.get("/pilots/letter-trial").status_code == 404

    for typed, message in [
        ("0", "Planned sample size must be 1 or more"),
        ("99999999999", "Planned sample size must be 1,000,000,000 or fewer"),
    ]:
        page = post_form(editor, NEW, {**FULL_FORM, "planned_sample_size": typed})
        assert error_summary(page.get_data(as_text=True)) == [(message, "#planned_sample_size")]
    assert audit_total(app) == before


def test_service_errors_end_before_start_and_duplicate_slug(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, with_pilot)
    before = audit_total(app)
    backwards = {**FULL_FORM, "slug": "second-trial", "planned_end": ["5", "1", "2025"]}
    page = post_form(editor, NEW, backwards).get_data(as_text=True)
    assert error_summary(page) == [
        ("Planned end date must be the same as or after the planned start date", "#planned_end-day")
    ]
    duplicate = post_form(editor, NEW, FULL_FORM).get_data(as_text=True)
    assert error_summary(duplicate) == [
        ("A pilot with the slug 'letter-trial' already exists", "#slug")
    ]
    assert audit_total(app) == before
    assert editor.get("/pilots/second-trial").status_code == 404


def test_a_stale_pilot_edit_shows_both_versions_and_keeps_the_first(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, with_pilot)
    pilot, _, _ = read_pilot(app)
    first = {
        "title": "First editor's title",
        "design": "individual_rct",
        "evaluation_type": "impact",
        "status": "planned",
        "hypothesis_keys": ["letters-work"],
        "version": str(pilot.version),
    }
    assert post_form(editor, EDIT, first).status_code == 303
    second = {**first, "title": "Second editor's title", "hypothesis_keys": ["texts-work"]}
    page = post_form(editor, EDIT, second).get_data(as_text=True)
    assert "Someone else changed this while you were editing" in page
    table = conflict_table(page)
    assert table["Title"] == ("Second editor's title", "First editor's title")
    assert table["Hypotheses tested"] == ("texts-work", "letters-work")
    assert table["Design"] == ("Individual randomised controlled trial",) * 2
    assert table["Evidence strength"] == ("Not assessed yet", "Not assessed yet")
    assert 'value="Second editor&#39;s title"' in page  # nothing typed is lost
    stored, keys, _ = read_pilot(app)
    assert stored.title == "First editor's title" and keys == ["letters-work"]


def test_a_policy_without_hypotheses_says_so(app: Flask, editor: FlaskClient) -> None:
    seed(app, lambda session: factories.make_policy(session))
    page = editor.get(NEW).get_data(as_text=True)
    assert "has no hypotheses yet" in page and 'type="checkbox"' not in page
    minimal = {"title": "Bare pilot", "slug": "bare", "design": "qualitative"}
    minimal |= {"evaluation_type": "impact", "status": "planned"}
    assert post_form(editor, NEW, minimal).status_code == 303
    pilot, keys, _ = read_pilot(app, "bare")
    assert (pilot.title, pilot.design.value, keys) == ("Bare pilot", "qualitative", [])


def test_viewers_get_403_on_every_pilot_route_and_nothing_changes(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, with_pilot)
    before = read_pilot(app)
    token = csrf_token(client, "/pilots/letter-trial")  # the sign-out form's token
    data = {**FULL_FORM, "slug": "viewer-pilot", "version": "1"}
    for path in (NEW, EDIT):
        assert_refused(client, path, data, token)
    set_up = "/pilots/letter-trial/set-up"  # a page without a form of its own
    assert client.get(set_up).status_code == 403
    assert client.post(set_up, data={**data, "csrf_token": token}).status_code in (403, 405)
    after = read_pilot(app)
    assert (after[0].version, after[1], after[2]) == (before[0].version, before[1], before[2])
    assert client.get("/pilots/viewer-pilot").status_code == 404


def test_the_pilot_page_links_editors_to_the_forms_and_set_up(
    app: Flask, editor: FlaskClient, client: FlaskClient
) -> None:
    seed(app, with_pilot)
    page = editor.get("/pilots/letter-trial").get_data(as_text=True)
    for href in (EDIT, "/pilots/letter-trial/set-up", "/pilots/letter-trial/iterations/new"):
        assert f'href="{href}"' in page
    viewer_page = client.get("/pilots/letter-trial").get_data(as_text=True)
    assert 'id="pilot-actions"' not in viewer_page and "/set-up" not in viewer_page


def test_the_policy_page_links_editors_to_a_new_pilot(
    app: Flask, editor: FlaskClient, client: FlaskClient
) -> None:
    seed(app, lambda session: factories.make_policy(session))
    assert f'href="{NEW}">Add a pilot</a>' in editor.get("/policies/school-meals").get_data(
        as_text=True
    )
    assert NEW not in client.get("/policies/school-meals").get_data(as_text=True)


def test_set_up_task_list_shows_each_status_and_links(app: Flask, editor: FlaskClient) -> None:
    seed(app, with_pilot)
    page = editor.get("/pilots/letter-trial/set-up").get_data(as_text=True)
    assert "govuk-task-list" in page
    text = text_of(page)
    assert "You have completed 1 of 7 tasks" in text
    assert "Describe the design Still to give: the population" in text
    assert "Link hypotheses Tests 1 hypothesis Completed" in text
    assert "Define metrics" in text and "An analyst does this task" in text
    assert "Add arms Set up an iteration first Cannot start yet" in text
    assert 'href="/pilots/letter-trial/iterations/new"' in page
    assert 'href="/pilots/letter-trial/edit#hypothesis_keys"' in page
    assert 'href="/policies/school-meals/metrics/new"' not in page  # editors cannot define them
    analyst = signed_in_client(app, role=Role.ANALYST)
    analyst_page = analyst.get("/pilots/letter-trial/set-up").get_data(as_text=True)
    assert 'href="/policies/school-meals/metrics/new"' in analyst_page
    assert 'href="/pilots/letter-trial/plans/new"' not in analyst_page  # needs metrics first


def test_unknown_policies_and_pilots_are_not_found(app: Flask, editor: FlaskClient) -> None:
    assert editor.get("/policies/nowhere/pilots/new").status_code == 404
    assert editor.get("/pilots/nothing/edit").status_code == 404
    assert editor.get("/pilots/nothing/set-up").status_code == 404
    assert editor.get("/pilots/Bad%20Slug/edit").status_code == 404
