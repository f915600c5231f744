"""A viewer, signed in through the real form, cannot reach any write page and sees no edit controls.

The write pages are read from the app's URL map (every rule that accepts POST, but signing in and
out), so routes added later are covered without touching this test. Each URL argument is filled
with a real record of the example portfolio, chosen by the path segment before it
("/iterations/<int:number>" → iteration 1, "/metrics/<key>" → a metric key of the policy …).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page
from werkzeug.routing import IntegerConverter, Rule

from tests.browser.helpers import assert_no_edit_controls, sign_in
from tests.web_helpers import write_rules
from tracker.config import TEMPLATE_FOLDER
from tracker.db import get_engine
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

POLICY = "council-tax-text-reminders"
PILOT = "council-tax-text-reminders-pilot"


def forbidden_heading() -> str:
    """The heading of templates/errors/403.html, read from the template itself."""
    template = (Path(TEMPLATE_FOLDER) / "errors" / "403.html").read_text(encoding="utf-8")
    match = re.search(r"<h1[^>]*>(.*?)</h1>", template, re.DOTALL)
    assert match, "templates/errors/403.html has no <h1>"
    return " ".join(match.group(1).split())


# The columns a record is named by in URLs: its id for an <int:…> argument, its key otherwise.
BY_ID_OR_KEY = {"int": "id", "str": "key"}


def of_policy(table: str, columns: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The query for the `columns` of the example policy's `table` records, first one first."""
    return (
        f"SELECT r.{{column}} FROM {table} r JOIN policy p ON p.id = r.policy_id"
        " WHERE p.slug = :policy ORDER BY r.id",
        columns,
    )


def of_pilot_iterations(table: str) -> tuple[str, dict[str, str]]:
    """The query for the ids of the `table` records of the example pilot's iterations."""
    return (
        f"SELECT r.id FROM {table} r JOIN iteration i ON i.id = r.iteration_id"
        " JOIN pilot p ON p.id = i.pilot_id WHERE p.slug = :pilot ORDER BY r.id",
        {},
    )


def example_records(app: Flask) -> dict[str, Any]:
    """Real identifiers from the example portfolio, by the URL segment that names them."""
    queries = {
        "policies": ("SELECT slug FROM policy WHERE slug = :policy", {}),
        "pilots": ("SELECT slug FROM pilot WHERE slug = :pilot", {}),
        "iterations": (
            "SELECT i.number FROM iteration i JOIN pilot p ON p.id = i.pilot_id"
            " WHERE p.slug = :pilot AND i.number = 1",
            {},
        ),
        "arms": (
            "SELECT a.{column} FROM arm a JOIN iteration i ON i.id = a.iteration_id"
            " JOIN pilot p ON p.id = i.pilot_id WHERE p.slug = :pilot AND i.number = 1"
            " ORDER BY a.id",
            {"int": "id", "str": "name"},
        ),
        "user-needs": of_policy("user_need", BY_ID_OR_KEY),
        "hypotheses": of_policy("hypothesis", BY_ID_OR_KEY),
        "metrics": of_policy("metric", BY_ID_OR_KEY),
        "engagement": of_policy("engagement", {"any": "id"}),
        "plans": (
            "SELECT a.version FROM analysis_plan a JOIN pilot p ON p.id = a.pilot_id"
            " WHERE p.slug = :pilot ORDER BY a.version",
            {},
        ),
        "decisions": of_pilot_iterations("decision"),
        "datasets": of_pilot_iterations("dataset"),
        "users": ('SELECT id FROM "user" ORDER BY id', {}),
    }
    found: dict[str, Any] = {}
    with get_engine(app.config["DATABASE_URL"]).connect() as connection:
        for segment, (query, columns) in queries.items():
            for kind, column in (columns or {"any": ""}).items():
                row = connection.execute(
                    sa.text(query.format(column=column)), {"policy": POLICY, "pilot": PILOT}
                ).first()
                if row is not None:
                    found[f"{segment}:{kind}"] = row[0]
    # Metric keys also name the results page of a metric: /results/<key>.
    if "metrics:str" in found:
        found["results:any"] = found["metrics:str"]
    return found


def fill(rule: Rule, records: dict[str, Any]) -> dict[str, Any]:
    """Values for every argument of `rule`, each chosen by the path segment before it."""
    values: dict[str, Any] = {}
    previous = ""
    for segment in rule.rule.strip("/").split("/"):
        match = re.fullmatch(r"<(?:[^:>]+:)?(\w+)>", segment)
        if match is None:
            previous = segment
            continue
        name = match.group(1)
        numeric = isinstance(rule._converters[name], IntegerConverter)
        kind = "int" if numeric else "str"
        for key in (f"{previous}:{kind}", f"{previous}:any"):
            if key in records and isinstance(records[key], int) == numeric:
                values[name] = records[key]
                break
        else:
            # Something that cannot be looked up (an upload's token, say): the role is
            # checked before anything is read, so any well-formed value must give 403.
            values[name] = 1 if numeric else "from-the-viewer-test"
    assert set(values) == set(rule.arguments), rule.rule
    return values


def write_paths(app: Flask) -> list[tuple[str, str, bool]]:
    """(endpoint, path, has a GET page) of every write route, its arguments filled from the
    example portfolio."""
    records = example_records(app)
    pages = []
    with app.test_request_context():
        for rule in write_rules(app):
            if app.view_functions[rule.endpoint].required_role == Role.VIEWER:
                continue  # one's own account (API tokens): every signed-in role may use it
            built = rule.build(fill(rule, records))
            assert built is not None, rule.rule
            path = built[1]
            pages.append((rule.endpoint, path, "GET" in (rule.methods or set())))
    return sorted(pages)


def test_a_viewer_cannot_reach_any_write_page(
    page: Page, live_server: str, example_app: Flask
) -> None:
    pages = write_paths(example_app)
    assert len(pages) >= 2, pages  # at least the users' pages
    heading = forbidden_heading()
    sign_in(page, live_server, Role.VIEWER)
    csrf_token = page.locator("input[name='csrf_token']").first.input_value()

    wrong = []
    for endpoint, path, has_page in pages:
        if has_page:
            response = page.goto(f"{live_server}{path}")
            assert response is not None
            shown = page.get_by_role("heading", level=1).all_inner_texts()
            if response.status != 403 or shown != [heading]:
                wrong.append(f"GET {path} ({endpoint}): {response.status} {shown}")
            assert_no_edit_controls(page)
        # The same request as the form would send, with a valid CSRF token: still refused.
        posted = page.request.post(
            f"{live_server}{path}", form={"csrf_token": csrf_token}, max_redirects=0
        )
        if posted.status != 403:
            wrong.append(f"POST {path} ({endpoint}): {posted.status}")
    assert wrong == [], "a viewer reached write pages:\n" + "\n".join(wrong)
    print(f"a viewer got 403 from {len(pages)} write routes:", *pages, sep="\n  ")

    # The pages a viewer can read offer no way to change anything.
    page.goto(f"{live_server}/")
    assert_no_edit_controls(page)
    page.get_by_role("link", name=re.compile("council tax", re.I)).first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/policies/{POLICY}"
    assert_no_edit_controls(page)
    page.locator(f"main a[href='/pilots/{PILOT}']").first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/pilots/{PILOT}"
    assert_no_edit_controls(page)
