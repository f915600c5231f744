"""Helpers for tests of HTML pages: the app's database, the CSRF token, the error summary, the
conflict panel, the write routes, and the small portfolio the search tests share."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, SQLModel, func, select
from werkzeug.routing import Rule

from tests import factories
from tests.portfolio_helpers import table_dump
from tracker.db import get_engine
from tracker.models import User
from tracker.models.enums import EvaluationType, IterationStatus, PilotStatus, PolicyStage

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CONFLICT_ROW = re.compile(
    r'<tr class="govuk-table__row">\s*<th scope="row" class="govuk-table__header">(.*?)</th>\s*'
    r'<td class="govuk-table__cell app-pre-line">(.*?)</td>\s*'
    r'<td class="govuk-table__cell app-pre-line">(.*?)</td>',
    re.S,
)
_SUMMARY_LINK = re.compile(
    r'<div class="govuk-error-summary".*?'
    r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>',
    re.S,
)
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_TAGS = re.compile(r"<[^>]+>")
# Routes that accept POST but write nothing a role guards: anyone may sign in and out.
OPEN_WRITES = frozenset({"auth.sign_in", "auth.sign_out"})


def app_session(app: Flask) -> Session:
    """A session on the app's own database, to arrange records through the services and read
    back what a page saved; records stay readable after the commit and the `with` block."""
    return Session(get_engine(app.config["DATABASE_URL"]), expire_on_commit=False)


def seed(app: Flask, build: Callable[[Session], object]) -> None:
    """Records made by `build` through the services, committed to the app's database."""
    with app_session(app) as session:
        build(session)
        session.commit()


def audit_total(app: Flask) -> int:
    """How many audit events the app's database holds: a refused or failed save adds none."""
    with app_session(app) as session:
        return factories.audit_count(session)


def db_snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the app's database: two snapshots compare equal only if
    nothing at all was written in between (what a refused or failed request must leave)."""
    return table_dump(app.config["DATABASE_URL"])


def row_counts(app: Flask, *models: type[SQLModel]) -> tuple[int, ...]:
    """How many rows each model's table holds: what "nothing was written" compares."""
    with app_session(app) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one() for model in models
        )


def write_rules(app: Flask) -> list[Rule]:
    """Every web URL rule that accepts POST, but signing in and out: the routes a role must
    guard. Read from the URL map, so a write route is covered by the role tests the day it is
    added. The JSON API (`api_v1.*`, Bearer tokens, no forms) has its own role tests."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
        and rule.endpoint not in OPEN_WRITES
        and not rule.endpoint.startswith("api_v1.")
    ]


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the form at `path`, read as a browser would, from the page."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST `data` to the form at `path` with the page's CSRF token, as the browser would."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, **kwargs)


def signed_in_as(app: Flask, user: User) -> FlaskClient:
    """A test client signed in as `user`: a second person with the same role as another client
    (conftest's signed_in_client makes a new user with the role's own address each time)."""
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["user_id"] = user.id
    return client


def assert_refused(client: FlaskClient, path: str, data: dict[str, Any], token: str) -> None:
    """`client` gets 403 on the page at `path` and on posting `data` to it with a valid CSRF
    `token`, so it is the role check, not the form, that refuses."""
    assert client.get(path).status_code == 403, path
    assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment, tags dropped and whitespace collapsed."""
    return " ".join(html_lib.unescape(_TAGS.sub(" ", fragment)).split())


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's (message, link target) pairs, in order; [] when there is none."""
    match = _SUMMARY_LINK.search(page)
    if not match:
        return []
    return [(text_of(text), href) for href, text in _LINK.findall(match.group(1))]


def conflict_table(page: str) -> dict[str, tuple[str, str]]:
    """The conflict panel as {field label: (your version, saved version)}."""
    panel = page.split('id="conflict"', 1)
    assert len(panel) == 2, "no conflict panel on the page"
    return {
        text_of(label).removesuffix(" Differs"): (
            html_lib.unescape(yours).strip(),
            html_lib.unescape(saved).strip(),
        )
        for label, yours, saved in _CONFLICT_ROW.findall(panel[1])
    }


# The portfolio the search service and the filter pages over it are both tested on: four
# policies whose texts differ only where the tests need them to (literal %, _ and \ included).
SEARCH_POLICIES: list[tuple[str, PolicyStage, str, str, list[str], str]] = [
    (
        "school-meals",
        PolicyStage.IDEA,
        "Free school meals",
        "Education",
        ["schools", "take_up", 'the "quoted" tag'],
        "Too few families claim: take-up is 60%.",
    ),
    (
        "bus-passes",
        PolicyStage.ALPHA,
        "Bus passes at 50% off",
        "Transport",
        ["travel", "older people"],
        "Pensioners stay at home.",
    ),
    (
        "route-500",
        PolicyStage.ALPHA,
        "Route 500 buses",
        "Transport",
        ["travel"],
        "Rural takeup of buses is low; see C:\\reports.",
    ),
    (
        "library-cards",
        PolicyStage.LIVE,
        "Library cards for schools",
        "Culture",
        [],
        "Children do not borrow books.",
    ),
]


def make_search_policies(session: Session) -> None:
    """The four SEARCH_POLICIES, recorded through the services (not committed)."""
    for slug, stage, title, team, tags, problem in SEARCH_POLICIES:
        factories.make_policy(
            session,
            slug=slug,
            stage=stage,
            title=title,
            team=team,
            tags=tags,
            problem_statement=problem,
        )


def make_search_pilots(session: Session) -> None:
    """Three pilots over two of SEARCH_POLICIES; letter-trial has two iterations, bus-discount
    none (not committed)."""
    factories.make_pilot(
        session,
        slug="letter-trial",
        title="Letter trial",
        place="Leeds",
        status=PilotStatus.RUNNING,
    )
    factories.make_pilot(
        session,
        slug="meals-process",
        title="How schools run sign-up",
        evaluation_type=EvaluationType.PROCESS,
        population="School office staff at 100% of schools",
        status=PilotStatus.COMPLETE,
    )
    factories.make_pilot(
        session,
        policy_slug="bus-passes",
        slug="bus-discount",
        title="Discount trial",
        place="Leeds_North",
        status=PilotStatus.RUNNING,
    )
    factories.make_iteration(session, pilot_slug="letter-trial", number=1)
    factories.make_iteration(
        session, pilot_slug="letter-trial", number=2, status=IterationStatus.RUNNING
    )
