"""Iteration and arm pages: every field round-trips, errors name their field, stale edits clash."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.conftest import add_user, signed_in_client
from tests.web_helpers import (
    app_session,
    assert_refused,
    audit_total,
    conflict_table,
    csrf_token,
    error_summary,
    post_form,
    seed,
    signed_in_as,
    text_of,
)
from tracker.models import Arm, Iteration
from tracker.models.enums import Role
from tracker.services import iterations

PILOT = "/pilots/letter-trial"
NEW = f"{PILOT}/iterations/new"
EDIT = f"{PILOT}/iterations/1/edit"
NEW_ARM = f"{PILOT}/iterations/1/arms/new"

FULL_ITERATION = {
    "number": "2",
    "title": "Shorter letter",
    "what_changed": "Cut the letter to one page.\n\nAdded a QR code.",
    "why": "Parents said the first letter was too long.",
    "start_date": ["1", "9", "2025"],
    "end_date": ["19", "12", "2025"],
    "status": "running",
}


def pilot_with_v1(session: Session) -> None:
    """A pilot whose iteration 1 has a control arm and a treatment arm with a space in its name."""
    factories.make_policy(session)
    factories.make_pilot(session)
    factories.make_iteration_with_arms(session)


def stored(app: Flask, number: int = 1) -> tuple[Iteration, list[Arm], int]:
    """Iteration vN, its arms, and how many audit events exist."""
    with app_session(app) as session:
        iteration = iterations.get_iteration(
            session=session, pilot_slug="letter-trial", number=number
        )
        arms = iterations.list_arms(session=session, iteration=iteration)
        return iteration, arms, factories.audit_count(session)


def control_box(page: str) -> str:
    """The "This is the control arm" checkbox's input tag."""
    match = re.search(r'<input[^>]*name="is_control"[^>]*>', page)
    assert match, "no control checkbox"
    return match.group(0)


def arm_path(arm: Arm) -> str:
    return f"{PILOT}/iterations/1/arms/{arm.id}/edit"


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return signed_in_client(app, role=Role.EDITOR)


def test_a_new_iteration_round_trips_every_field(app: Flask, editor: FlaskClient) -> None:
    seed(app, pilot_with_v1)
    page = editor.get(NEW).get_data(as_text=True)
    assert 'name="number" type="text" value="2"' in page  # the next number by default
    response = post_form(editor, NEW, FULL_ITERATION)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PILOT}#iteration-2")

    iteration, arms, _ = stored(app, 2)
    assert (iteration.title, iteration.status.value) == ("Shorter letter", "running")
    assert iteration.what_changed == FULL_ITERATION["what_changed"]
    assert iteration.why == FULL_ITERATION["why"]
    assert (iteration.start_date, iteration.end_date) == (date(2025, 9, 1), date(2025, 12, 19))
    assert arms == []  # copying the arms was not asked for

    form = editor.get(f"{PILOT}/iterations/2/edit").get_data(as_text=True)
    assert 'value="Shorter letter"' in form and "Added a QR code." in form
    assert "Parents said the first letter was too long." in form
    for part in ('id="start_date-day" name="start_date" type="text" value="01"', 'value="2025"'):
        assert part in form
    assert 'name="status" type="radio" value="running" checked' in form
    assert 'name="number"' not in form
    assert 'href="/history/iteration/' in form


def test_copy_arms_from_the_previous_iteration(app: Flask, editor: FlaskClient) -> None:
    seed(app, pilot_with_v1)
    page = editor.get(NEW).get_data(as_text=True)
    assert "Copy the arms of iteration 1" in page and "control, new letter" in page
    response = post_form(editor, NEW, {**FULL_ITERATION, "copy_arms": "y"})
    assert response.status_code == 303
    _, arms, _ = stored(app, 2)
    assert [(arm.name, arm.is_control, arm.allocation) for arm in arms] == [
        ("control", True, 0.5),
        ("new letter", False, 0.5),
    ]


def test_the_first_iteration_has_nothing_to_copy(app: Flask, editor: FlaskClient) -> None:
    def bare_pilot(session: Session) -> None:
        factories.make_policy(session)
        factories.make_pilot(session)

    seed(app, bare_pilot)
    page = editor.get(NEW).get_data(as_text=True)
    assert 'value="1"' in page and "copy_arms" not in page
    assert post_form(editor, NEW, {"number": "1", "status": "planned"}).status_code == 303
    iteration, _, _ = stored(app, 1)
    assert (iteration.title, iteration.start_date, iteration.status.value) == ("", None, "planned")


def test_iteration_errors_name_their_field_and_save_nothing(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, pilot_with_v1)
    before = audit_total(app)
    bad = {
        **FULL_ITERATION,
        "number": "two",
        "start_date": ["1", "", "2025"],
        "end_date": ["30", "2", "2025"],
        "status": "",
    }
    page = post_form(editor, NEW, bad).get_data(as_text=True)
    assert "<title>Error: Add an iteration" in page
    assert error_summary(page) == [
        ("Iteration number must be a whole number, like 2", "#number"),
        ("Start date must include a month", "#start_date-month"),
        ("End date must be a real date", "#end_date-day"),
        ("Select the status", "#status"),
    ]
    assert 'value="two"' in page and 'value="30"' in page  # what was typed is kept

    backwards = {**FULL_ITERATION, "end_date": ["31", "8", "2025"]}
    assert error_summary(post_form(editor, NEW, backwards).get_data(as_text=True)) == [
        ("End date must be the same as or after the start date", "#end_date-day")
    ]
    duplicate = {**FULL_ITERATION, "number": "1"}
    assert error_summary(post_form(editor, NEW, duplicate).get_data(as_text=True)) == [
        ("Pilot letter-trial already has an iteration 1", "#number")
    ]
    zero = {**FULL_ITERATION, "number": "0"}
    assert error_summary(post_form(editor, NEW, zero).get_data(as_text=True)) == [
        ("Iteration number must be 1 or more", "#number")
    ]
    assert audit_total(app) == before
    assert editor.get(f"{PILOT}/iterations/2/edit").status_code == 404


def test_editing_an_iteration_with_dates_in_the_wrong_order_changes_nothing(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, pilot_with_v1)
    iteration, _, before = stored(app)
    data = {**FULL_ITERATION, "end_date": ["1", "1", "2025"], "version": str(iteration.version)}
    page = post_form(editor, EDIT, data).get_data(as_text=True)
    assert error_summary(page) == [
        ("End date must be the same as or after the start date", "#end_date-day")
    ]
    after, _, count = stored(app)
    assert (after.version, after.title, count) == (iteration.version, iteration.title, before)


def test_two_editors_on_one_iteration_the_second_gets_a_conflict_and_the_first_is_kept(
    app: Flask,
) -> None:
    """The issue's acceptance test: two browsers edit the same iteration."""
    seed(app, pilot_with_v1)
    first = signed_in_client(app, role=Role.EDITOR)
    second = signed_in_as(
        app, add_user(app, role=Role.EDITOR, email="second.editor@example.gov.uk")
    )

    def opened(client: FlaskClient) -> dict[str, str]:
        page = client.get(EDIT).get_data(as_text=True)
        version = page.split('name="version" type="hidden" value="', 1)[1].split('"', 1)[0]
        return {"version": version, "csrf_token": csrf_token(client, EDIT)}

    first_form, second_form = opened(first), opened(second)
    assert first_form["version"] == second_form["version"] == "1"
    first_data = {**FULL_ITERATION, "title": "First editor's title", "why": "First reason"}
    assert first.post(EDIT, data={**first_data, **first_form}).status_code == 303

    second_data = {**FULL_ITERATION, "title": "Second editor's title", "status": "complete"}
    response = second.post(EDIT, data={**second_data, **second_form})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Edit iteration 1" in page
    assert error_summary(page) == [
        (
            "Someone else changed this while you were editing. Your changes have not been saved.",
            "#conflict",
        )
    ]
    assert "you edited version 1, it is now version 2" in page
    table = conflict_table(page)
    assert table["Title"] == ("Second editor's title", "First editor's title")
    assert table["Why we changed it"] == (FULL_ITERATION["why"], "First reason")
    assert table["Status"] == ("Complete", "Running")
    assert 'value="Second editor&#39;s title"' in page  # the second editor's work is not lost

    kept, _, _ = stored(app)
    assert (kept.title, kept.why, kept.status.value, kept.version) == (
        "First editor's title",
        "First reason",
        "running",
        2,
    )


def test_arms_round_trip_with_spaces_slashes_and_a_percentage(
    app: Flask, editor: FlaskClient
) -> None:
    def pilot_with_empty_v1(session: Session) -> None:
        factories.make_policy(session)
        factories.make_pilot(session)
        factories.make_iteration(session)

    seed(app, pilot_with_empty_v1)
    page = editor.get(NEW_ARM).get_data(as_text=True)
    assert "The percentage of units planned for this arm" in page
    control = {"name": "Business as usual", "allocation": "40", "is_control": "y"}
    control["description"] = "The current letter"
    assert post_form(editor, NEW_ARM, control).status_code == 303
    treatment = {"name": "New letter / QR code", "allocation": "33.3%", "description": ""}
    response = post_form(editor, NEW_ARM, treatment)
    assert response.headers["Location"].endswith(f"{PILOT}#iteration-1")

    _, arms, _ = stored(app)
    assert [(a.name, a.description, a.is_control) for a in arms] == [
        ("Business as usual", "The current letter", True),
        ("New letter / QR code", "", False),
    ]
    assert arms[0].allocation == pytest.approx(0.4)
    assert arms[1].allocation == pytest.approx(0.333)

    pilot_page = editor.get(PILOT).get_data(as_text=True)
    assert f'href="{arm_path(arms[1])}"' in pilot_page
    assert "Change arm: New letter / QR code" in pilot_page
    form = editor.get(arm_path(arms[1])).get_data(as_text=True)
    assert 'value="New letter / QR code"' in form and 'value="33.3"' in form
    assert "checked" not in control_box(form)
    control_form = editor.get(arm_path(arms[0])).get_data(as_text=True)
    assert 'value="40"' in control_form and "checked" in control_box(control_form)

    renamed = {"name": "New letter", "allocation": "60", "description": "One page"}
    renamed["version"] = str(arms[1].version)
    assert post_form(editor, arm_path(arms[1]), renamed).status_code == 303
    _, arms, _ = stored(app)
    assert (arms[1].name, arms[1].allocation, arms[1].description) == (
        "New letter",
        pytest.approx(0.6),
        "One page",
    )


def test_arm_errors_name_their_field_and_save_nothing(app: Flask, editor: FlaskClient) -> None:
    seed(app, pilot_with_v1)
    before = audit_total(app)

    def errors(data: dict[str, str], path: str = NEW_ARM) -> list[tuple[str, str]]:
        return error_summary(post_form(editor, path, data).get_data(as_text=True))

    assert errors({"name": "", "allocation": "half"}) == [
        ("Enter the arm's name", "#name"),
        ("Planned share must be a number, like 50", "#allocation"),
    ]
    assert errors({"name": "Text", "allocation": ""}) == [
        ("Enter the planned share", "#allocation")
    ]
    assert errors({"name": "Text", "allocation": "120"}) == [
        ("Planned share must be more than 0 and no more than 100", "#allocation")
    ]
    assert errors({"name": "new letter", "allocation": "10"}) == [
        ("Iteration v1 already has an arm called 'new letter'", "#name")
    ]
    assert errors({"name": "Text", "allocation": "10", "is_control": "y"}) == [
        ("This iteration already has a control arm; an iteration has only one", "#is_control")
    ]
    assert errors({"name": "Text", "allocation": "20"}) == [
        (
            "The planned shares of this iteration's arms would add up to 120%; "
            "they cannot add up to more than 100",
            "#allocation",
        )
    ]
    _, arms, _ = stored(app)
    rename = {"name": "control", "allocation": "50", "version": str(arms[1].version)}
    assert errors(rename, arm_path(arms[1])) == [
        ("Iteration v1 already has an arm called 'control'", "#name")
    ]
    assert audit_total(app) == before


def test_a_stale_arm_edit_shows_both_versions_in_percent(app: Flask, editor: FlaskClient) -> None:
    seed(app, pilot_with_v1)
    _, arms, _ = stored(app)
    path = arm_path(arms[1])
    first = {"name": "Letter A", "allocation": "30", "version": "1"}
    assert post_form(editor, path, first).status_code == 303
    page = post_form(editor, path, {"name": "Letter B", "allocation": "45", "version": "1"})
    table = conflict_table(page.get_data(as_text=True))
    assert table["Name"] == ("Letter B", "Letter A")
    assert table["Planned share"] == ("45", "30")
    _, arms, _ = stored(app)
    assert (arms[1].name, arms[1].allocation) == ("Letter A", pytest.approx(0.3))


def test_arms_of_another_iteration_or_pilot_are_not_found(app: Flask, editor: FlaskClient) -> None:
    def two_iterations(session: Session) -> None:
        pilot_with_v1(session)
        factories.make_iteration(session, number=2)

    seed(app, two_iterations)
    _, arms, _ = stored(app)
    assert editor.get(f"{PILOT}/iterations/2/arms/{arms[0].id}/edit").status_code == 404
    assert editor.get(f"{PILOT}/iterations/1/arms/999999/edit").status_code == 404
    assert editor.get(f"{PILOT}/iterations/9/edit").status_code == 404
    assert editor.get(f"{PILOT}/iterations/9/arms/new").status_code == 404
    assert editor.get(f"{PILOT}/iterations/{10**20}/edit").status_code == 404
    assert editor.get(f"{PILOT}/iterations/1/arms/{10**20}/edit").status_code == 404
    assert editor.get("/pilots/no-pilot/iterations/new").status_code == 404


def test_viewers_get_403_on_every_iteration_route_and_nothing_changes(
    app: Flask, client: FlaskClient
) -> None:
    seed(app, pilot_with_v1)
    iteration, arms, before = stored(app)
    token = csrf_token(client, PILOT)  # the sign-out form's token
    data = {**FULL_ITERATION, "name": "Viewer arm", "allocation": "1", "version": "1"}
    for path in [NEW, EDIT, NEW_ARM, arm_path(arms[0])]:
        assert_refused(client, path, data, token)
    after, arms_after, count = stored(app)
    assert (after.version, count) == (iteration.version, before)
    assert [arm.version for arm in arms_after] == [arm.version for arm in arms]
    page = client.get(PILOT).get_data(as_text=True)
    assert "iteration-1-actions" not in page and "/arms/new" not in page
    assert "/iterations/new" not in page


def test_editors_see_iteration_and_arm_links_on_the_pilot_page(
    app: Flask, editor: FlaskClient
) -> None:
    seed(app, pilot_with_v1)
    _, arms, _ = stored(app)
    text = text_of(editor.get(PILOT).get_data(as_text=True))
    assert "Edit iteration 1" in text and "Add an arm to iteration 1" in text
    assert "Change arm: control in iteration 1" in text
    assert "Change arm: new letter in iteration 1" in text
    assert len(arms) == 2
