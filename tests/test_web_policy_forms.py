"""Policy pages for editors: add a policy, edit it, record a stage decision via check answers."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import (
    app_session,
    conflict_table,
    csrf_token,
    error_summary,
    post_form,
    row_counts,
    text_of,
)
from tracker.models import AuditEvent, Policy, StageDecision
from tracker.models.enums import PolicyStage, Role
from tracker.services import policies

NEW_POLICY: dict[str, Any] = {
    "title": "Free school meals: take-up",
    "slug": "free-school-meals",
    "team": "Children's Services",
    "problem_statement": "Too few eligible families claim.\n\nThe form is long.",
    "tags": "schools\nfood & nutrition\n100% take-up",
    "illustrative": "y",
    "theory_inputs": "Letters budget\nAnalyst time",
    "theory_activities": "Send simpler letters",
    "theory_outputs": "Letters sent",
    "theory_outcomes": "More claims",
    "theory_impact": "Healthier children",
    "theory_assumptions": "Families read post",
    "to_stage": "discovery",
    "rationale": "Research showed the letter confuses parents.",
    "skip_reason": "Idea stage was agreed before the tracker existed.",
    "evidence": "Survey of 200 parents\nCall-centre logs",
    "decided_by": "Programme board",
    "decided_on": ["3", "2", "2025"],
}


def _counts(app: Flask) -> tuple[int, int, int]:
    """Policies, stage decisions and audit events: what "nothing was written" compares."""
    policies_, decisions, events = row_counts(app, Policy, StageDecision, AuditEvent)
    return policies_, decisions, events


def _policy(app: Flask, slug: str = "free-school-meals") -> tuple[Policy, list[StageDecision]]:
    with app_session(app) as db:
        return policies.get_policy(session=db, slug=slug), policies.stage_history(
            session=db, slug=slug
        )


def _make_policy(app: Flask, **fields: Any) -> Policy:
    with app_session(app) as db:
        policy = factories.make_policy(db, **fields)
        db.commit()
        return policy


def _hidden_inputs(page: str) -> list[tuple[str, str]]:
    """The hidden inputs of the check-answers form, as the browser would post them."""
    start = page.index('action="/policies/school-meals/stage/confirm"')
    form = page[start : page.index("</form>", start)]
    return [
        (name, html_lib.unescape(value))
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form, re.S
        )
    ]


def test_editor_adds_a_policy_and_every_field_round_trips(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    response = post_form(editor, "/policies/new", NEW_POLICY)
    assert response.status_code == 303
    assert response.location == "/policies/free-school-meals"
    policy, history = _policy(app)
    assert (policy.title, policy.team, policy.illustrative) == (
        "Free school meals: take-up",
        "Children's Services",
        True,
    )
    assert policy.problem_statement.replace("\r\n", "\n") == NEW_POLICY["problem_statement"]
    assert policy.tags == ["schools", "food & nutrition", "100% take-up"]
    assert policy.theory_of_change == {
        "inputs": ["Letters budget", "Analyst time"],
        "activities": ["Send simpler letters"],
        "outputs": ["Letters sent"],
        "outcomes": ["More claims"],
        "impact": ["Healthier children"],
        "assumptions": ["Families read post"],
    }
    assert policy.stage is PolicyStage.DISCOVERY
    [first] = history
    assert (first.to_stage, first.from_stage, first.decided_by, first.decided_on) == (
        PolicyStage.DISCOVERY,
        None,
        "Programme board",
        date(2025, 2, 3),
    )
    assert first.rationale == NEW_POLICY["rationale"]
    assert first.skip_reason == NEW_POLICY["skip_reason"]
    assert first.evidence == ["Survey of 200 parents", "Call-centre logs"]

    page = editor.get("/policies/free-school-meals/edit").get_data(as_text=True)
    assert 'value="Free school meals: take-up"' in page
    assert 'value="Children&#39;s Services"' in page
    assert ">schools\nfood &amp; nutrition\n100% take-up</textarea>" in page
    assert ">Letters budget\nAnalyst time</textarea>" in page
    assert ">Families read post</textarea>" in page
    assert 'name="illustrative" type="checkbox" value="y" checked' in page
    assert 'name="version" type="hidden" value="1"' in page
    assert 'href="/history/policy/' in page


def test_a_blank_slug_is_made_from_the_title(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    form = {**NEW_POLICY, "slug": "", "to_stage": "idea", "skip_reason": ""}
    response = post_form(editor, "/policies/new", form)
    assert response.location == "/policies/free-school-meals-take-up"
    policy, [first] = _policy(app, "free-school-meals-take-up")
    assert policy.stage is PolicyStage.IDEA and first.skip_reason is None


def test_new_policy_errors_link_to_their_fields_and_nothing_is_saved(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _counts(app)
    form = {
        **NEW_POLICY,
        "title": "",
        "slug": "Not A Slug",
        "team": "",
        "problem_statement": " ",
        "to_stage": "alpha",
        "rationale": "",
        "skip_reason": "",
        "decided_by": "",
        "decided_on": ["", "", ""],
    }
    response = post_form(editor, "/policies/new", form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error: Add a policy" in page
    assert error_summary(page) == [
        ("Enter the title", "#title"),
        (
            "Short name for web addresses must only include lowercase letters, numbers and "
            "hyphens, like free-school-meals",
            "#slug",
        ),
        ("Enter the team", "#team"),
        ("Enter the problem statement", "#problem_statement"),
        ("Enter the rationale for the decision", "#rationale"),
        ("Enter why the policy starts past the idea stage", "#skip_reason"),
        ("Enter who made the decision", "#decided_by"),
        ("Enter the date of the decision", "#decided_on-day"),
    ]
    assert 'id="title-error"' in page and 'id="skip_reason-error"' in page
    assert ">Letters budget\nAnalyst time</textarea>" in page  # what was typed is kept
    assert _counts(app) == before


def test_a_missing_stage_and_a_half_date_are_named(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    form = {**NEW_POLICY, "decided_on": ["3", "", "2025"]}
    del form["to_stage"]
    page = post_form(editor, "/policies/new", form).get_data(as_text=True)
    assert error_summary(page) == [
        ("Select a stage", "#to_stage"),
        ("Date of the decision must include a month", "#decided_on-month"),
    ]


def test_a_taken_slug_is_an_error_on_the_slug(app: Flask) -> None:
    _make_policy(app, slug="free-school-meals")
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _counts(app)
    page = post_form(editor, "/policies/new", NEW_POLICY).get_data(as_text=True)
    assert error_summary(page) == [
        ("A policy with the slug 'free-school-meals' already exists", "#slug")
    ]
    assert _counts(app) == before


EDITED: dict[str, Any] = {
    "title": "School meals, renamed",
    "team": "Education Directorate",
    "problem_statement": "Families miss out.",
    "tags": "meals\nschools",
    "theory_inputs": "Budget",
    "theory_activities": "",
    "theory_outputs": "Forms",
    "theory_outcomes": "Claims\nLunches",
    "theory_impact": "",
    "theory_assumptions": "Post arrives",
}


def test_editing_changes_every_field_and_the_form_shows_them_again(app: Flask) -> None:
    _make_policy(app, illustrative=True, theory_of_change={"impact": ["Old impact"]})
    editor = signed_in_client(app, role=Role.EDITOR)
    page = editor.get("/policies/school-meals/edit").get_data(as_text=True)
    assert "Short name for web addresses" not in page  # the slug cannot change
    assert ">Old impact</textarea>" in page
    response = post_form(editor, "/policies/school-meals/edit", {**EDITED, "version": "1"})
    assert response.status_code == 303 and response.location == "/policies/school-meals"
    policy, history = _policy(app, "school-meals")
    assert (policy.title, policy.team, policy.problem_statement) == (
        "School meals, renamed",
        "Education Directorate",
        "Families miss out.",
    )
    assert policy.tags == ["meals", "schools"]
    assert policy.illustrative is False  # an unticked box is "no"
    assert policy.theory_of_change == {
        "inputs": ["Budget"],
        "outputs": ["Forms"],
        "outcomes": ["Claims", "Lunches"],
        "assumptions": ["Post arrives"],
    }
    assert policy.version == 2 and len(history) == 1  # the stage is not touched
    page = editor.get("/policies/school-meals/edit").get_data(as_text=True)
    assert 'value="School meals, renamed"' in page and ">Claims\nLunches</textarea>" in page
    assert 'value="y" checked' not in page
    assert 'name="version" type="hidden" value="2"' in page


def test_edit_errors_link_to_fields_and_change_nothing(app: Flask) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _counts(app)
    form = {**EDITED, "title": "", "team": "x" * 201, "version": "1"}
    page = post_form(editor, "/policies/school-meals/edit", form).get_data(as_text=True)
    assert error_summary(page) == [
        ("Enter the title", "#title"),
        ("Team must be 200 characters or fewer", "#team"),
    ]
    assert _counts(app) == before
    assert _policy(app, "school-meals")[0].version == 1


def test_a_stale_edit_shows_both_versions_and_keeps_the_first_save(app: Flask) -> None:
    _make_policy(app)
    first = signed_in_client(app, role=Role.EDITOR)
    with app_session(app) as db:
        policies.update_policy(
            session=db,
            actor=factories.EDITOR,
            slug="school-meals",
            data={"title": "Saved first", "tags": ["first"]},
            expected_version=1,
        )
        db.commit()
    response = post_form(first, "/policies/school-meals/edit", {**EDITED, "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_summary(page)[0][1] == "#conflict"
    table = conflict_table(page)
    assert table["Title"] == ("School meals, renamed", "Saved first")
    assert table["Tags"] == ("meals\nschools", "first")
    assert table["Outcomes"] == ("Claims\nLunches", "")
    assert _policy(app, "school-meals")[0].title == "Saved first"
    # Saving again from the conflict page means "replace theirs": it now carries version 2.
    assert 'name="version" type="hidden" value="2"' in page
    again = post_form(first, "/policies/school-meals/edit", {**EDITED, "version": "2"})
    assert again.status_code == 303
    assert _policy(app, "school-meals")[0].title == "School meals, renamed"


DECISION: dict[str, Any] = {
    "to_stage": "discovery",
    "rationale": "Parents told us the letter is confusing.\n\nWe agreed to explore.",
    "skip_reason": "",
    "evidence": "Interviews with 12 parents\nCall logs",
    "decided_by": "Programme board",
    "decided_on": ["10", "3", "2025"],
    "version": "1",
    "from_stage": "idea",
}


def test_a_stage_decision_is_checked_then_confirmed_and_written_once(app: Flask) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    form_page = editor.get("/policies/school-meals/stage").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form_page
    assert 'value="idea"' not in form_page.split('name="to_stage"', 1)[1][:60]
    before = _counts(app)
    check = post_form(editor, "/policies/school-meals/stage", DECISION)
    page = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "Check your answers before recording the stage decision" in page
    summary = text_of(page[page.index('<dl class="govuk-summary-list') : page.index("</dl>")])
    for expected in (
        "Stage Idea to Discovery",
        "Parents told us the letter is confusing. We agreed to explore.",
        "Interviews with 12 parents Call logs",
        "Decided by Programme board",
        "Date of the decision 10 March 2025",
        "Change stage",
    ):
        assert expected in summary
    assert "Reason for skipping" not in summary
    assert _counts(app) == before  # checking writes nothing

    posted = MultiDict([*_hidden_inputs(page), ("csrf_token", csrf_token(editor))])
    confirm = editor.post("/policies/school-meals/stage/confirm", data=posted)
    assert confirm.status_code == 303
    assert confirm.location == "/policies/school-meals#stage-history"
    policy, history = _policy(app, "school-meals")
    assert policy.stage is PolicyStage.DISCOVERY
    assert len(history) == 2
    decision = history[-1]
    assert (decision.from_stage, decision.to_stage) == (PolicyStage.IDEA, PolicyStage.DISCOVERY)
    assert decision.rationale.replace("\r\n", "\n") == DECISION["rationale"]
    assert decision.evidence == ["Interviews with 12 parents", "Call logs"]
    assert (decision.decided_by, decision.decided_on) == ("Programme board", date(2025, 3, 10))
    assert decision.skip_reason is None
    policies_after, decisions_after, _ = _counts(app)
    assert (policies_after, decisions_after) == (before[0], before[1] + 1)


def test_change_posts_the_answers_back_to_the_form_unchecked(app: Flask) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    page = post_form(editor, "/policies/school-meals/stage", DECISION).get_data(as_text=True)
    assert 'formaction="/policies/school-meals/stage#rationale" name="change"' in page
    hidden = dict(_hidden_inputs(page))
    assert hidden["decided_by"] == "Programme board" and hidden["version"] == "1"
    back = post_form(
        editor,
        "/policies/school-meals/stage",
        {**DECISION, "change": "rationale"},
    ).get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Record a stage decision</h1>' in back
    assert "govuk-error-summary" not in back
    assert ">Interviews with 12 parents\nCall logs</textarea>" in back
    assert 'value="discovery" checked' in back
    assert 'id="decided_on-day" name="decided_on" type="text" value="10"' in back


def test_skipping_a_stage_needs_a_reason(app: Flask) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _counts(app)
    skip = {**DECISION, "to_stage": "beta"}
    page = post_form(editor, "/policies/school-meals/stage", skip).get_data(as_text=True)
    assert error_summary(page) == [
        ("Enter why the policy moves from Idea to Beta instead of the next stage", "#skip_reason")
    ]
    page = post_form(
        editor, "/policies/school-meals/stage", {**skip, "skip_reason": "Alpha done elsewhere"}
    ).get_data(as_text=True)
    assert "Reason for skipping or going back stages Alpha done elsewhere" in text_of(page)
    assert _counts(app) == before


def test_the_service_checks_the_answers_before_the_check_page(app: Flask) -> None:
    _make_policy(app, decided_on=date(2025, 4, 1))
    editor = signed_in_client(app, role=Role.EDITOR)
    page = post_form(editor, "/policies/school-meals/stage", DECISION).get_data(as_text=True)
    assert error_summary(page) == [
        ("Must be on or after the previous decision (2025-04-01)", "#decided_on-day")
    ]
    assert "Check your answers" not in page


def test_a_tampered_confirmation_is_checked_again_and_writes_nothing(app: Flask) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _counts(app)
    bad = {**DECISION, "to_stage": "live", "rationale": ""}
    page = post_form(editor, "/policies/school-meals/stage/confirm", bad).get_data(as_text=True)
    assert [href for _, href in error_summary(page)] == ["#rationale", "#skip_reason"]
    assert _counts(app) == before


@pytest.mark.parametrize("step", ["check", "confirm"])
def test_a_stale_stage_decision_shows_the_conflict_and_keeps_the_other(
    app: Flask, step: str
) -> None:
    _make_policy(app)
    editor = signed_in_client(app, role=Role.EDITOR)
    with app_session(app) as db:
        policies.decide_stage(
            session=db,
            actor=factories.EDITOR,
            slug="school-meals",
            data=factories.decision_data(PolicyStage.DISCOVERY),
            expected_version=1,
        )
        db.commit()
    before = _counts(app)
    path = "/policies/school-meals/stage" + ("/confirm" if step == "confirm" else "")
    page = post_form(editor, path, {**DECISION, "to_stage": "alpha"}).get_data(as_text=True)
    assert error_summary(page)[0][1] == "#conflict"
    assert conflict_table(page) == {"Stage": ("Idea", "Discovery")}
    assert "Check your answers" not in page
    assert "Parents told us the letter is confusing." in page  # the answers are kept
    assert 'name="version" type="hidden" value="2"' in page
    assert _counts(app) == before
    assert _policy(app, "school-meals")[0].stage is PolicyStage.DISCOVERY


WRITE_ROUTES = [
    ("get", "/policies/new"),
    ("post", "/policies/new"),
    ("get", "/policies/school-meals/edit"),
    ("post", "/policies/school-meals/edit"),
    ("get", "/policies/school-meals/stage"),
    ("post", "/policies/school-meals/stage"),
    ("post", "/policies/school-meals/stage/confirm"),
]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_viewers_get_403_on_every_policy_write_route_and_nothing_changes(
    app: Flask, method: str, path: str
) -> None:
    _make_policy(app)
    viewer = signed_in_client(app, role=Role.VIEWER)
    token = csrf_token(viewer, "/")
    before = _counts(app)
    data = {**NEW_POLICY, **DECISION, "csrf_token": token} if method == "post" else None
    response = getattr(viewer, method)(path, data=data)
    assert response.status_code == 403
    assert "You do not have permission to do this" in response.get_data(as_text=True)
    assert _counts(app) == before


def test_edit_controls_show_for_editors_only(app: Flask) -> None:
    _make_policy(app)
    viewer = signed_in_client(app, role=Role.VIEWER)
    for path in ("/", "/policies/school-meals"):
        page = viewer.get(path).get_data(as_text=True)
        assert "/policies/new" not in page and "/edit" not in page and "/stage" not in page
    editor = signed_in_client(app, role=Role.EDITOR)
    assert 'href="/policies/new"' in editor.get("/").get_data(as_text=True)
    page = editor.get("/policies/school-meals").get_data(as_text=True)
    assert ">Edit policy</a>" in page
    assert 'href="/policies/school-meals/stage"' in page


def test_a_missing_policy_is_404_for_editors(app: Flask) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    assert editor.get("/policies/nothing-here/edit").status_code == 404
    assert editor.get("/policies/nothing-here/stage").status_code == 404
