"""Role × route: every write route declares its role, refuses everyone below it and changes nothing.

The routes are read from the app's URL map, so a write page is covered the day it is added: this
fails until the route declares its role with `require_role` and has an entry in SUBMISSIONS.

A submission is what a browser would send: the form as the page renders it (every default,
checked box and selected option, read from the HTML) with a few fields overridden so a "new"
form creates something new. The lowest allowed role and every role above it must succeed (a
redirect); every role below gets 403 on GET and POST, a signed-out visitor gets the sign-in
page, and the database is then exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import add_user, signed_in_client
from tests.portfolio_helpers import table_dump
from tests.web_helpers import app_session, error_summary, write_rules
from tracker.models import Arm, Engagement, Iteration, Pilot
from tracker.models.enums import Role
from tracker.services import iterations, plans
from tracker.services.actors import ROLE_RANK, Actor

POLICY = "council-tax-text-reminders"
PILOT = "council-tax-text-reminders-pilot"
ROLES = [Role.VIEWER, Role.EDITOR, Role.ANALYST, Role.ADMIN]
DATE = ["4", "3", "2026"]


@dataclass(frozen=True)
class Submission:
    """How to reach a route and what to post to it.

    `args` fills the URL; a callable gets the app (for ids that only exist at run time).
    `fields` override what the page's form already holds. `ok` is the status of success.
    """

    args: dict[str, Any] | Callable[[Flask], dict[str, Any]]
    fields: dict[str, Any] = field(default_factory=dict)
    ok: tuple[int, ...] = (302, 303)
    prepare: Callable[[Flask], None] | None = None
    via: str | None = None  # a POST-only step: its form is on the page this endpoint answers


def _arm_id(app: Flask) -> dict[str, Any]:
    with app_session(app) as session:
        arm = session.exec(
            select(Arm)
            .join(Iteration, Arm.iteration_id == Iteration.id)  # type: ignore[arg-type]
            .join(Pilot, Iteration.pilot_id == Pilot.id)  # type: ignore[arg-type]
            .where(Pilot.slug == PILOT, Iteration.number == 3)
        ).first()
        assert arm is not None
        return {"slug": PILOT, "number": 3, "arm_id": arm.id}


def _engagement_id(app: Flask) -> dict[str, Any]:
    with app_session(app) as session:
        entry = session.exec(select(Engagement).order_by(Engagement.id)).first()  # type: ignore[arg-type]
        assert entry is not None
        return {"slug": POLICY, "entry_id": entry.id}


def _target_user(app: Flask) -> dict[str, Any]:
    return {"user_id": add_user(app, email="role-target@example.gov.uk").id}


def _draft_plan(app: Flask) -> None:
    """An amended, unlocked version 2 of the pilot's plan, for the edit and lock routes."""
    with app_session(app) as session:
        latest = plans.list_plans(session=session, pilot_slug=PILOT)[-1]
        specs = plans.plan_metric_specs(session=session, plan=latest)
        plans.create_plan(
            session=session,
            actor=Actor.system("role test"),
            pilot_slug=PILOT,
            data={
                **latest.model_dump(include={"estimand", "alpha", "sidedness", "covariates"}),
                "metrics": [spec.model_dump() for spec in specs],
                "amendment_reason": "A draft for the role test",
            },
        )
        session.commit()


def _empty_iteration(app: Flask) -> None:
    """Iteration v4 with no arms yet, so a new arm's share fits."""
    with app_session(app) as session:
        iterations.create_iteration(
            session=session,
            actor=Actor.system("role test"),
            pilot_slug=PILOT,
            data={"number": 4, "status": "planned"},
        )
        session.commit()


SUBMISSIONS: dict[str, Submission] = {
    "policy_forms.new": Submission(
        {},
        {
            "title": "Role test policy",
            "slug": "role-test-policy",
            "team": "Role team",
            "problem_statement": "A problem.",
            "to_stage": "idea",
            "rationale": "Because.",
            "decided_by": "The board",
            "decided_on": DATE,
        },
    ),
    "policy_forms.edit": Submission({"slug": POLICY}, {"team": "Renamed team"}),
    "policy_forms.stage": Submission(
        {"slug": POLICY},
        {"to_stage": "retired", "rationale": "Done.", "decided_by": "Board", "decided_on": DATE},
        ok=(200,),
    ),
    "policy_forms.confirm_stage": Submission({"slug": POLICY}, via="policy_forms.stage"),
    "policy_records.new_user_need": Submission(
        {"slug": POLICY},
        {"key": "role-need", "as_a": "resident", "i_need": "to know", "so_that": "I can pay"},
    ),
    "policy_records.edit_user_need": Submission(
        {"slug": POLICY, "key": "know-payment-is-overdue"}, {"so_that": "I pay on time"}
    ),
    "policy_records.new_hypothesis": Submission(
        {"slug": POLICY},
        {"key": "role-hypothesis", "we_believe": "a", "for_users": "b", "will": "c"},
    ),
    "policy_records.edit_hypothesis": Submission(
        {"slug": POLICY, "key": "text-reminder-raises-payment"}, {"will": "pay sooner"}
    ),
    "policy_records.new_metric": Submission(
        {"slug": POLICY},
        {"key": "role-metric", "name": "Role metric", "kind": "binary", "direction": "increase"},
    ),
    "policy_records.edit_metric": Submission(
        {"slug": POLICY, "key": "paid-within-14-days"}, {"description": "Edited."}
    ),
    "policy_records.new_engagement": Submission(
        {"slug": POLICY},
        {
            "key": "role-engagement",
            "held_on": DATE,
            "group": "public",
            "method": "survey",
            "what_we_heard": "Ok",
        },
    ),
    "policy_records.edit_engagement": Submission(_engagement_id, {"what_we_heard": "Edited"}),
    "pilot_forms.new": Submission(
        {"slug": POLICY},
        {"title": "Role pilot", "slug": "role-pilot", "design": "individual_rct"},
    ),
    "pilot_forms.edit": Submission({"slug": PILOT}, {"title": "Renamed pilot"}),
    "iterations.new": Submission({"slug": PILOT}, {"number": "4", "title": "Fourth"}),
    "iterations.edit": Submission({"slug": PILOT, "number": 3}, {"title": "Renamed v3"}),
    "iterations.new_arm": Submission(
        {"slug": PILOT, "number": 4},
        {"name": "Role arm", "allocation": "50"},
        prepare=_empty_iteration,
    ),
    "iterations.edit_arm": Submission(_arm_id, {"description": "Edited arm"}),
    "outcomes.decision": Submission({"slug": PILOT, "number": 3}, {"rationale": "Edited."}),
    "outcomes.results_form": Submission(
        {"slug": PILOT, "number": 3, "key": "paid-within-14-days"}, {}
    ),
    "plans.new": Submission({"slug": PILOT}, {"amendment_reason": "Role test amendment"}),
    "plans.edit": Submission(
        {"slug": PILOT, "version": 2}, {"estimand": "Edited."}, prepare=_draft_plan
    ),
    "plans.lock": Submission({"slug": PILOT, "version": 2}, {}, prepare=_draft_plan),
    "results.run": Submission({"slug": PILOT, "number": 3}),
    "uploads.new": Submission({"slug": PILOT, "number": 3}, {}, ok=(302, 303)),
    "uploads.columns": Submission({"slug": PILOT, "number": 3, "token": "x" * 32}),
    "uploads.confirm": Submission(
        {"slug": PILOT, "number": 3, "token": "x" * 32}, via="uploads.preview"
    ),
    "users.new": Submission(
        {},
        {
            "email": "role-new@example.gov.uk",
            "display_name": "New person",
            "role": "viewer",
            "password": "a long enough password",
        },
    ),
    "users.edit": Submission(_target_user, {"display_name": "Renamed person"}),
    "site_settings.edit": Submission({}, {"open_api_reads": "y"}),
    "api_tokens.create": Submission({}, {"name": "Role test token"}, ok=(200,)),
    "api_tokens.revoke": Submission({"token_id": 1}),
}
# Reached only with a file upload made in the same session: their success path is the upload
# journey in tests/test_web_uploads.py. Here they are checked for refusals only.
# Revoking needs a token of the user the test signs in as, made after the URL is built: its
# success path, for every role, is in tests/test_web_api_tokens.py.
REFUSAL_ONLY = {"uploads.new", "uploads.columns", "uploads.confirm", "api_tokens.revoke"}
# Each signed-in person manages their own API tokens, whatever their role: a token carries its
# owner's role, so it gives no one more than they already have.
OWN_ACCOUNT = {"api_tokens.create", "api_tokens.revoke"}


def write_routes(app: Flask) -> dict[str, str]:
    """Every endpoint that accepts POST, with its URL rule, except signing in and out."""
    return {rule.endpoint: rule.rule for rule in write_rules(app)}


def required_role(app: Flask, endpoint: str) -> Role:
    role = getattr(app.view_functions[endpoint], "required_role", None)
    assert isinstance(role, Role), f"{endpoint} does not declare its role with require_role"
    return role


class _FormReader(HTMLParser):
    """The fields of each <form> on a page, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        name = values.get("name")
        if tag == "form":
            self.forms.append({})
        elif not self.forms or name is None:
            return
        elif tag == "input" and values.get("type") not in ("submit", "button", "file"):
            if values.get("type") in ("checkbox", "radio") and "checked" not in values:
                return
            self.forms[-1].setdefault(name, []).append(values.get("value", ""))
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            if self._select_first is None:
                self._select_first = values.get("value", "")
            if "selected" in values:
                self.forms[-1].setdefault(self._select, []).append(values.get("value", ""))
                self._select_chosen = True
        elif tag == "textarea":
            self._textarea = name
            self.forms[-1].setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.forms[-1].setdefault(self._select, []).append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1][self._textarea][-1] += data


def page_form(html: str) -> dict[str, list[str]]:
    """The page's main form (the one with the most fields; sign-out has only its token)."""
    reader = _FormReader()
    reader.feed(html)
    assert reader.forms, "the page has no form"
    form = max(reader.forms, key=len)
    # A browser sends a textarea's text without the one newline HTML allows after the tag.
    return {name: [value.removeprefix("\n") for value in values] for name, values in form.items()}


def _url(app: Flask, endpoint: str, submission: Submission) -> str:
    args = submission.args(app) if callable(submission.args) else submission.args
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


def _token(client: FlaskClient) -> str:
    """A valid CSRF token for this client's session, from a page every signed-in user reads."""
    form = page_form(client.get("/").get_data(as_text=True))
    return form["csrf_token"][0]


def test_every_write_route_declares_its_role_and_has_a_submission(example_app: Flask) -> None:
    routes = write_routes(example_app)
    assert len(routes) >= 25, routes
    missing = sorted(set(routes) - set(SUBMISSIONS))
    assert not missing, f"write routes without an entry in SUBMISSIONS: {missing}"
    assert not set(SUBMISSIONS) - set(routes), "SUBMISSIONS names routes that do not exist"
    for endpoint in routes:
        if endpoint in OWN_ACCOUNT:
            assert required_role(example_app, endpoint) is Role.VIEWER, endpoint
        else:
            assert ROLE_RANK[required_role(example_app, endpoint)] >= ROLE_RANK[Role.EDITOR]


@pytest.mark.parametrize("endpoint", sorted(SUBMISSIONS))
def test_roles_below_the_route_are_refused_and_nothing_changes(
    example_app: Flask, endpoint: str
) -> None:
    submission = SUBMISSIONS[endpoint]
    if submission.prepare:
        submission.prepare(example_app)
    url = _url(example_app, endpoint, submission)
    needed = required_role(example_app, endpoint)
    refused = [role for role in ROLES if ROLE_RANK[role] < ROLE_RANK[needed]]
    clients = {role: signed_in_client(example_app, role=role) for role in refused}
    tokens = {role: _token(client) for role, client in clients.items()}
    before = table_dump(example_app.config["DATABASE_URL"])

    anonymous = example_app.test_client()
    responses = [anonymous.post(url, data=submission.fields)]
    if submission.via is None:
        responses.append(anonymous.get(url))
    for response in responses:
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for role, client in clients.items():
        if submission.via is None:
            assert client.get(url).status_code == 403, (endpoint, role)
        data = {**submission.fields, "csrf_token": tokens[role]}
        assert client.post(url, data=data).status_code == 403, (endpoint, role)

    assert table_dump(example_app.config["DATABASE_URL"]) == before


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [
        (endpoint, role)
        for endpoint in sorted(set(SUBMISSIONS) - REFUSAL_ONLY)
        for role in ROLES
        if role is not Role.VIEWER
    ],
)
def test_allowed_roles_succeed(example_app: Flask, endpoint: str, role: Role) -> None:
    """Each role at or above the route's own succeeds with the page's form; lower roles are
    the refusal test's business (skipped here as not applicable by construction)."""
    needed = required_role(example_app, endpoint)
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        return
    submission = SUBMISSIONS[endpoint]
    if submission.prepare:
        submission.prepare(example_app)
    url = _url(example_app, endpoint, submission)
    client = signed_in_client(example_app, role=role)
    if submission.via is None:
        page = client.get(url)
    else:
        # The step before: fill its form as the page has it, post it, and take the form it answers.
        before = SUBMISSIONS[submission.via]
        before_url = _url(example_app, submission.via, before)
        first = page_form(client.get(before_url).get_data(as_text=True))
        page = client.post(before_url, data={**first, **before.fields})
    assert page.status_code == 200, (endpoint, role, page.status_code)
    data = {**page_form(page.get_data(as_text=True)), **submission.fields}
    response = client.post(url, data=data)
    assert response.status_code in submission.ok, (
        endpoint,
        role,
        response.status_code,
        error_summary(response.get_data(as_text=True)),
    )
