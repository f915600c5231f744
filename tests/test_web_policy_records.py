"""The forms for what hangs off a policy: user needs, hypotheses, metrics and the engagement log.

Every field is entered through the form, read back through the services and shown again on the
edit form; mistakes are named on their fields with nothing saved; a stale form gets the conflict
panel and the first save is kept; and only the roles that may write each noun reach its forms.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests import factories
from tests.conftest import add_user, signed_in_client
from tests.web_helpers import (
    app_session,
    assert_refused,
    conflict_table,
    csrf_token,
    db_snapshot,
    error_summary,
    post_form,
    signed_in_as,
    text_of,
)
from tracker.models import Engagement, Metric
from tracker.models.enums import Role
from tracker.services import hypotheses, iterations, metrics, user_needs

POLICY = "/policies/school-meals"


@pytest.fixture
def policy_app(app: Flask) -> Flask:
    """A policy with two metrics, a pilot with two iterations, and one of each record."""
    with app_session(app) as db_session:
        factories.make_policy(db_session)
        factories.make_metric(db_session, key="take-up")
        factories.make_metric(db_session, key="days-to-claim", kind="continuous")
        factories.make_pilot(db_session)
        factories.make_iteration(db_session, number=1)
        factories.make_iteration(db_session, number=2, title="Shorter letter")
        factories.make_user_need(db_session, metric_keys=["take-up"])
        factories.make_hypothesis(db_session, measured_by="take-up")
        factories.make_engagement(db_session)
        db_session.commit()
    return app


def engagement_id(app: Flask, key: str = "parent-workshop") -> int:
    with app_session(app) as db_session:
        entry = db_session.exec(select(Engagement).where(Engagement.key == key)).one()
        return int(entry.id or 0)


def field_value(page: str, name: str) -> str:
    """What an input or textarea called `name` shows."""
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if textarea:
        return html_lib.unescape(textarea.group(1))
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html_lib.unescape(match.group(1))


def checked(page: str, name: str) -> list[str]:
    """The values of the checked radios or checkboxes called `name`, or the selected option."""
    boxes = re.findall(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"([^>]*)>', page)
    if boxes:
        return [value for value, rest in boxes if "checked" in rest]
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert select_html, f"no choice field {name}"
    return re.findall(r'<option value="([^"]*)" selected', select_html.group(0))


# Round trips -------------------------------------------------------------------------------------


NEED = {
    "key": "apply-online",
    "as_a": "working parent",
    "i_need": "to apply on my phone",
    "so_that": "I do not take time off work",
    "evidence_source": "Interviews, spring 2025",
    "metric_keys": ["take-up", "days-to-claim"],
}


def test_user_need_fields_and_metric_links_round_trip(policy_app: Flask) -> None:
    editor = signed_in_client(policy_app, role=Role.EDITOR)
    page = editor.get(f"{POLICY}/user-needs/new").get_data(as_text=True)
    for label in ("As a …", "I need …", "so that …"):
        assert re.search(rf'<label class="govuk-label[^"]*" for="\w+">\s*{label}\s*</label>', page)
    assert "Who has the need, for example" in page and "Select all that apply." in page
    response = post_form(editor, f"{POLICY}/user-needs/new", NEED)
    assert response.status_code == 303
    assert response.location == f"{POLICY}#user-needs"
    with app_session(policy_app) as db_session:
        need = user_needs.get_user_need(
            session=db_session, policy_slug="school-meals", key="apply-online"
        )
        stored = need.model_dump(include={"as_a", "i_need", "so_that", "evidence_source"})
        links = user_needs.metric_keys_of(session=db_session, need=need)
    assert stored == {name: NEED[name] for name in stored}
    assert links == ["take-up", "days-to-claim"]

    edit_path = f"{POLICY}/user-needs/apply-online/edit"
    page = editor.get(edit_path).get_data(as_text=True)
    for name in ("as_a", "i_need", "so_that", "evidence_source"):
        assert field_value(page, name) == NEED[name]
    assert checked(page, "metric_keys") == ["take-up", "days-to-claim"]
    assert field_value(page, "version") == "1"
    assert 'href="/history/user_need/' in page and "apply-online" in page

    changed = {
        "as_a": "parent & carer",
        "i_need": "to apply in one go",
        "so_that": "my child eats sooner",
        "evidence_source": "",
        "metric_keys": ["days-to-claim"],
        "version": "1",
    }
    assert post_form(editor, edit_path, changed).status_code == 303
    page = editor.get(edit_path).get_data(as_text=True)
    for name in ("as_a", "i_need", "so_that", "evidence_source"):
        assert field_value(page, name) == changed[name]
    assert checked(page, "metric_keys") == ["days-to-claim"]
    # Unticking every metric unlinks them all.
    post_form(editor, edit_path, {**changed, "metric_keys": [], "version": "2"})
    assert checked(editor.get(edit_path).get_data(as_text=True), "metric_keys") == []
    detail = text_of(editor.get(POLICY).get_data(as_text=True))
    assert "As a parent & carer, I need to apply in one go, so that my child eats sooner." in detail


HYPOTHESIS = {
    "key": "qr-code",
    "we_believe": "a QR code on the letter",
    "for_users": "parents with smartphones",
    "will": "cut the days to claim",
    "measured_by": "days-to-claim",
    "status": "testing",
}


def test_hypothesis_fields_round_trip(policy_app: Flask) -> None:
    editor = signed_in_client(policy_app, role=Role.EDITOR)
    page = editor.get(f"{POLICY}/hypotheses/new").get_data(as_text=True)
    assert "We believe that …" in page and "Not decided yet" in page
    response = post_form(editor, f"{POLICY}/hypotheses/new", HYPOTHESIS)
    assert response.status_code == 303 and response.location == f"{POLICY}#hypotheses"
    with app_session(policy_app) as db_session:
        stored = hypotheses.get_hypothesis(
            session=db_session, policy_slug="school-meals", key="qr-code"
        )
        metric = db_session.get(Metric, stored.metric_id)
    assert (stored.we_believe, stored.for_users, stored.will) == (
        HYPOTHESIS["we_believe"],
        HYPOTHESIS["for_users"],
        HYPOTHESIS["will"],
    )
    assert stored.status.value == "testing" and metric is not None and metric.key == "days-to-claim"

    edit_path = f"{POLICY}/hypotheses/qr-code/edit"
    page = editor.get(edit_path).get_data(as_text=True)
    for name in ("we_believe", "for_users", "will"):
        assert field_value(page, name) == HYPOTHESIS[name]
    assert checked(page, "measured_by") == ["days-to-claim"]
    assert checked(page, "status") == ["testing"]

    changed = {
        "we_believe": "a QR code",
        "for_users": "all parents",
        "will": "raise take-up",
        "measured_by": "",
        "status": "refuted",
        "version": "1",
    }
    assert post_form(editor, edit_path, changed).status_code == 303
    page = editor.get(edit_path).get_data(as_text=True)
    for name in ("we_believe", "for_users", "will"):
        assert field_value(page, name) == changed[name]
    assert checked(page, "measured_by") == [""]
    assert checked(page, "status") == ["refuted"]
    with app_session(policy_app) as db_session:
        assert (
            hypotheses.get_hypothesis(
                session=db_session, policy_slug="school-meals", key="qr-code"
            ).metric_id
            is None
        )


METRIC = {
    "key": "claims-per-school",
    "name": "Claims per school",
    "kind": "count",
    "unit": "claims",
    "direction": "decrease",
    "minimum_important_difference": "2.5",
    "description": "Claims received, counted per school per term.",
}


def test_metric_fields_round_trip_and_kind_is_fixed(policy_app: Flask) -> None:
    analyst = signed_in_client(policy_app, role=Role.ANALYST)
    response = post_form(analyst, f"{POLICY}/metrics/new", METRIC)
    assert response.status_code == 303 and response.location == f"{POLICY}#metrics"
    with app_session(policy_app) as db_session:
        stored = metrics.get_metric(
            session=db_session, policy_slug="school-meals", key="claims-per-school"
        )
    assert stored.model_dump(include=set(METRIC)) == {
        **METRIC,
        "kind": "count",
        "direction": "decrease",
        "minimum_important_difference": 2.5,
    }

    edit_path = f"{POLICY}/metrics/claims-per-school/edit"
    page = analyst.get(edit_path).get_data(as_text=True)
    for name in ("name", "unit", "minimum_important_difference", "description"):
        assert field_value(page, name) == METRIC[name]
    assert checked(page, "direction") == ["decrease"]
    assert 'name="kind"' not in page and 'name="key"' not in page
    assert "Count – how many times something happens" in page

    changed = {
        "name": "Claims a school",
        "unit": "",
        "direction": "increase",
        "minimum_important_difference": "",
        "description": "",
        "kind": "binary",  # not on the form: ignored
        "version": "1",
    }
    assert post_form(analyst, edit_path, changed).status_code == 303
    page = analyst.get(edit_path).get_data(as_text=True)
    for name in ("name", "unit", "minimum_important_difference", "description"):
        assert field_value(page, name) == changed[name]
    assert checked(page, "direction") == ["increase"]
    with app_session(policy_app) as db_session:
        stored = metrics.get_metric(
            session=db_session, policy_slug="school-meals", key="claims-per-school"
        )
    assert stored.kind.value == "count" and stored.minimum_important_difference is None


ENGAGEMENT = {
    "key": "head-teachers",
    "group": "frontline_staff",
    "method": "interview",
    "held_on": ["3", "2", "2025"],
    "participants": "12",
    "what_we_heard": "Forms go missing in book bags.",
    "what_changed": "We now post the letter home.",
    "iteration": "letter-trial:2",
}


def test_engagement_fields_round_trip(policy_app: Flask) -> None:
    editor = signed_in_client(policy_app, role=Role.EDITOR)
    page = editor.get(f"{POLICY}/engagement/new").get_data(as_text=True)
    assert "Pilot letter-trial: v2 – Shorter letter" in page
    response = post_form(editor, f"{POLICY}/engagement/new", ENGAGEMENT)
    assert response.status_code == 303 and response.location == f"{POLICY}#engagement"
    entry_id = engagement_id(policy_app, "head-teachers")
    with app_session(policy_app) as db_session:
        entry = db_session.get(Engagement, entry_id)
        assert entry is not None
        v2 = iterations.get_iteration(session=db_session, pilot_slug="letter-trial", number=2)
    assert entry.model_dump(
        include={"group", "method", "held_on", "participants", "what_we_heard", "what_changed"}
    ) == {
        "group": "frontline_staff",
        "method": "interview",
        "held_on": date(2025, 2, 3),
        "participants": 12,
        "what_we_heard": ENGAGEMENT["what_we_heard"],
        "what_changed": ENGAGEMENT["what_changed"],
    }
    assert entry.iteration_id == v2.id

    edit_path = f"{POLICY}/engagement/{entry_id}/edit"
    page = editor.get(edit_path).get_data(as_text=True)
    assert checked(page, "group") == ["frontline_staff"]
    assert checked(page, "method") == ["interview"]
    assert re.findall(r'id="held_on-\w+" name="held_on" type="text" value="(\d+)"', page) == [
        "03",
        "02",
        "2025",
    ]
    for name in ("participants", "what_we_heard", "what_changed"):
        assert field_value(page, name) == ENGAGEMENT[name]
    assert checked(page, "iteration") == ["letter-trial:2"]

    changed = {
        "group": "users",
        "method": "survey",
        "held_on": ["28", "2", "2025"],
        "participants": "",
        "what_we_heard": "Parents want a text message.",
        "what_changed": "",
        "iteration": "",
        "version": "1",
    }
    assert post_form(editor, edit_path, changed).status_code == 303
    page = editor.get(edit_path).get_data(as_text=True)
    assert checked(page, "group") == ["users"] and checked(page, "method") == ["survey"]
    assert "28 February 2025" in page  # the heading names the entry by its date
    for name in ("participants", "what_we_heard", "what_changed"):
        assert field_value(page, name) == changed[name]
    assert checked(page, "iteration") == [""]
    with app_session(policy_app) as db_session:
        entry = db_session.get(Engagement, entry_id)
        assert entry is not None and entry.iteration_id is None and entry.participants is None


# Mistakes ----------------------------------------------------------------------------------------


BLANK_ERRORS = [
    (
        "user-needs/new",
        {"key": "", "as_a": " ", "i_need": "", "so_that": ""},
        [
            ("Enter a key", "#key"),
            ("Enter who has the need", "#as_a"),
            ("Enter what they need", "#i_need"),
            ("Enter why they need it", "#so_that"),
        ],
    ),
    (
        "hypotheses/new",
        {"key": "Bad Key", "we_believe": "", "for_users": "", "will": "", "status": ""},
        [
            (
                "Key must only include lower case letters, numbers and single hyphens, "
                "like ‘letters-work’",
                "#key",
            ),
            ("Enter the change you believe in", "#we_believe"),
            ("Enter who the change is for", "#for_users"),
            ("Enter what the change will do", "#will"),
            ("Select a status", "#status"),
        ],
    ),
    (
        "metrics/new",
        {"key": "ok", "name": "", "minimum_important_difference": "a lot"},
        [
            ("Enter the name of the metric", "#name"),
            ("Select the kind of metric", "#kind"),
            ("Select which way is better", "#direction"),
            (
                "Minimum important difference must be a number, like 0.05",
                "#minimum_important_difference",
            ),
        ],
    ),
    (
        "engagement/new",
        {"key": "x", "held_on": ["31", "", "2025"], "participants": "-3", "what_we_heard": ""},
        [
            ("Select who was engaged", "#group"),
            ("Select how they were engaged", "#method"),
            ("Date of the engagement must include a month", "#held_on-month"),
            ("Number of people must be 0 or more", "#participants"),
            ("Enter what you heard", "#what_we_heard"),
        ],
    ),
]


@pytest.mark.parametrize(("path", "form", "expected"), BLANK_ERRORS)
def test_mistakes_are_named_on_their_fields_and_nothing_is_saved(
    policy_app: Flask, path: str, form: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    analyst = signed_in_client(policy_app, role=Role.ANALYST)
    before = db_snapshot(policy_app)
    response = post_form(analyst, f"{POLICY}/{path}", form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_summary(page) == expected
    assert "<title>Error: " in page
    for message, href in expected:
        assert f'id="{href[1:].split("-")[0]}-error"' in page, message
    assert db_snapshot(policy_app) == before


def test_an_engagement_date_that_does_not_exist(policy_app: Flask) -> None:
    editor = signed_in_client(policy_app, role=Role.EDITOR)
    before = db_snapshot(policy_app)
    page = post_form(
        editor, f"{POLICY}/engagement/new", {**ENGAGEMENT, "held_on": ["30", "2", "2025"]}
    ).get_data(as_text=True)
    assert error_summary(page) == [("Date of the engagement must be a real date", "#held_on-day")]
    assert db_snapshot(policy_app) == before


DUPLICATES = [
    ("user-needs/new", {**NEED, "key": "know-eligibility"}, "user need"),
    ("hypotheses/new", {**HYPOTHESIS, "key": "letters-work"}, "hypothesis"),
    ("metrics/new", {**METRIC, "key": "take-up"}, "metric"),
    ("engagement/new", {**ENGAGEMENT, "key": "parent-workshop"}, "engagement"),
]


@pytest.mark.parametrize(("path", "form", "noun"), DUPLICATES)
def test_a_key_already_used_is_named_on_the_key_field(
    policy_app: Flask, path: str, form: dict[str, Any], noun: str
) -> None:
    analyst = signed_in_client(policy_app, role=Role.ANALYST)
    before = db_snapshot(policy_app)
    page = post_form(analyst, f"{POLICY}/{path}", {**form}).get_data(as_text=True)
    key = form["key"]
    assert error_summary(page) == [(f"A {noun} with the key '{key}' already exists here", "#key")]
    assert field_value(page, "key") == key
    assert db_snapshot(policy_app) == before


# Stale forms -------------------------------------------------------------------------------------


STALE = [
    (
        "user-needs/know-eligibility/edit",
        {"as_a": "first", "i_need": "x", "so_that": "y", "metric_keys": ["take-up"]},
        {"as_a": "second", "i_need": "x", "so_that": "y", "metric_keys": ["days-to-claim"]},
        {"As a …": ("second", "first"),
         "Metrics that show the need is met": ("Days to claim", "Take up")},
    ),
    (
        "hypotheses/letters-work/edit",
        {"we_believe": "first", "for_users": "x", "will": "y", "status": "testing",
         "measured_by": "take-up"},
        {"we_believe": "second", "for_users": "x", "will": "y", "status": "supported",
         "measured_by": "days-to-claim"},
        {"We believe that …": ("second", "first"),
         "Status": ("Supported – the evidence backs it", "Testing – a pilot is testing it now"),
         "Measured by": ("Days to claim", "Take up")},
    ),
    (
        "metrics/take-up/edit",
        {"name": "First name", "direction": "increase", "unit": "%"},
        {"name": "Second name", "direction": "decrease", "unit": "%"},
        {"Name": ("Second name", "First name"),
         "Which way is better?": ("Lower is better", "Higher is better")},
    ),
    (
        "engagement/{id}/edit",
        {**ENGAGEMENT, "what_we_heard": "first", "iteration": "letter-trial:1"},
        {**ENGAGEMENT, "what_we_heard": "second", "iteration": "letter-trial:2"},
        {"What we heard": ("second", "first"),
         "Iteration it fed into (optional)": ("Pilot letter-trial: v2 – Shorter letter",
                                              "Pilot letter-trial: v1 – Version 1"),
         "Date of the engagement": ("3 February 2025", "3 February 2025")},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("path", "first", "second", "rows"), STALE)
def test_a_stale_edit_shows_both_versions_and_keeps_the_first_save(
    policy_app: Flask,
    path: str,
    first: dict[str, Any],
    second: dict[str, Any],
    rows: dict[str, tuple[str, str]],
) -> None:
    url = f"{POLICY}/{path.format(id=engagement_id(policy_app))}"
    alice = signed_in_client(policy_app, role=Role.ANALYST)
    bob = app_client(policy_app, "bob@example.gov.uk")
    bob_token = csrf_token(bob, url)
    opened_at = field_value(bob.get(url).get_data(as_text=True), "version")
    assert post_form(alice, url, {**first, "version": opened_at}).status_code == 303
    kept = db_snapshot(policy_app)

    response = bob.post(url, data={**second, "version": opened_at, "csrf_token": bob_token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Someone else saved a change first" in page
    assert "<title>Error: " in page
    assert error_summary(page)[0][1] == "#conflict"
    table = conflict_table(page)
    for label, versions in rows.items():
        assert table[label] == versions
    assert db_snapshot(policy_app) == kept
    # Bob has now seen the saved version: saving his again replaces it.
    now = field_value(page, "version")
    assert now == str(int(opened_at) + 1)
    assert (
        bob.post(url, data={**second, "version": now, "csrf_token": bob_token}).status_code == 303
    )


def app_client(app: Flask, email: str) -> FlaskClient:
    """A second analyst, signed in on their own client."""
    return signed_in_as(app, add_user(app, role=Role.ANALYST, email=email))


# Roles -------------------------------------------------------------------------------------------


def routes(app: Flask) -> list[tuple[str, dict[str, Any], Role]]:
    """Every write route, a valid form for it, and the least role that may use it."""
    entry = engagement_id(app)
    return [
        ("user-needs/new", NEED, Role.EDITOR),
        ("user-needs/know-eligibility/edit", {**NEED, "version": "1"}, Role.EDITOR),
        ("hypotheses/new", HYPOTHESIS, Role.EDITOR),
        ("hypotheses/letters-work/edit", {**HYPOTHESIS, "version": "1"}, Role.EDITOR),
        ("metrics/new", METRIC, Role.ANALYST),
        ("metrics/take-up/edit", {**METRIC, "version": "1"}, Role.ANALYST),
        ("engagement/new", ENGAGEMENT, Role.EDITOR),
        (f"engagement/{entry}/edit", {**ENGAGEMENT, "version": "1"}, Role.EDITOR),
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_roles_below_the_writer_get_403_and_change_nothing(policy_app: Flask, role: Role) -> None:
    user = signed_in_client(policy_app, role=role)
    token = csrf_token(user, POLICY)
    before = db_snapshot(policy_app)
    refused = 0
    for path, form, least in routes(policy_app):
        if role == least:
            continue
        assert_refused(user, f"{POLICY}/{path}", form, token)
        refused += 1
    assert refused == (8 if role is Role.VIEWER else 2)
    assert db_snapshot(policy_app) == before


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ANALYST])
def test_the_least_allowed_role_saves_on_every_route(policy_app: Flask, role: Role) -> None:
    user = signed_in_client(policy_app, role=role)
    for path, form, least in routes(policy_app):
        if least != role:
            continue
        url = f"{POLICY}/{path}"
        assert user.get(url).status_code == 200, url
        assert post_form(user, url, form).status_code == 303, url


def test_edit_links_show_only_to_those_who_may_use_them(policy_app: Flask) -> None:
    links = {
        "Add a user need": Role.EDITOR,
        "Add a hypothesis": Role.EDITOR,
        "Add a metric": Role.ANALYST,
        "Log an engagement": Role.EDITOR,
        "Change user need: as a parent on a low income": Role.EDITOR,
        "Change hypothesis: we believe that a simpler letter": Role.EDITOR,
        "Change Take up": Role.ANALYST,
        "Change engagement of 6 January 2025 with users": Role.EDITOR,
    }
    rank = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ANALYST: 2}
    for role in (Role.VIEWER, Role.EDITOR, Role.ANALYST):
        page = signed_in_client(policy_app, role=role).get(POLICY).get_data(as_text=True)
        shown = {
            text_of(link) for link in re.findall(r'<a class="govuk-link[^>]*>(.*?)</a>', page, re.S)
        }
        for text, least in links.items():
            visible = any(link.startswith(text) for link in shown)
            assert visible == (rank[role] >= rank[least]), (role, text)
        if role is Role.VIEWER:
            assert "/edit" not in page and "/new" not in page


def test_unknown_records_are_not_found(policy_app: Flask) -> None:
    analyst = signed_in_client(policy_app, role=Role.ANALYST)
    with app_session(policy_app) as db_session:
        factories.make_policy(db_session, slug="other-policy")
        other = factories.make_engagement(db_session, policy_slug="other-policy", key="elsewhere")
        db_session.commit()
    for path in (
        f"{POLICY}/user-needs/nobody/edit",
        f"{POLICY}/hypotheses/nothing/edit",
        f"{POLICY}/metrics/no-metric/edit",
        f"{POLICY}/engagement/999/edit",
        f"{POLICY}/engagement/{other.id}/edit",  # another policy's entry
        "/policies/no-such-policy/user-needs/new",
    ):
        assert analyst.get(path).status_code == 404, path
