"""/api/v1/policies: tokens, pages, problem+json, 201 + Location, ETag and If-Match."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import seed
from tracker.models.enums import PolicyStage, Role

NEW = {
    "policy": {
        "slug": "free-school-meals",
        "title": "Free school meals auto-enrolment",
        "team": "Education",
        "problem_statement": "Eligible families miss out.",
        "tags": ["schools"],
    },
    "first_decision": {
        "to_stage": "idea",
        "rationale": "Worth exploring",
        "decided_by": "Board",
        "decided_on": "2026-01-05",
    },
}


def test_without_a_valid_token_every_operation_is_401(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/api/v1/policies")
    assert missing.status_code == 401 and missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/api/v1/policies", headers={"Authorization": "Bearer tlt_nope"})
    assert wrong.status_code == 401 and wrong.json["title"] == "Invalid token"
    assert client.post("/api/v1/policies", json=NEW).status_code == 401


def test_lists_page_and_filter_like_the_web_search(app: Flask) -> None:
    def three(session: Any) -> None:
        for index, stage in enumerate([PolicyStage.IDEA, PolicyStage.ALPHA, PolicyStage.IDEA]):
            factories.make_policy(
                session, slug=f"policy-{index}", title=f"Policy {index}", stage=stage
            )

    seed(app, three)
    api = api_client(app)
    first = api.get("/api/v1/policies?limit=2")
    assert first.status_code == 200
    assert [item["slug"] for item in first.json["items"]] == ["policy-0", "policy-1"]
    assert first.json["page"] == {"total": 3, "limit": 2, "offset": 0, "next_offset": 2}
    last = api.get("/api/v1/policies?limit=2&offset=2").json
    assert [item["slug"] for item in last["items"]] == ["policy-2"]
    assert last["page"]["next_offset"] is None
    ideas = api.get("/api/v1/policies?stage=idea").json
    assert {item["slug"] for item in ideas["items"]} == {"policy-0", "policy-2"}
    bad = api.get("/api/v1/policies?limit=0&stage=someday")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {error["field"].split(".")[0] for error in bad.json["errors"]} == {"limit", "stage"}


def test_create_read_and_refuse(app: Flask) -> None:
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    before = records_of(app)
    refused = viewer.post("/api/v1/policies", json=NEW)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before
    created = editor.post("/api/v1/policies", json=NEW)
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/policies/free-school-meals"
    assert created.headers["ETag"] == '"v1"' and created.json["stage"] == "idea"
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.json["title"] == NEW["policy"]["title"]
    again = editor.post("/api/v1/policies", json=NEW)
    assert again.status_code == 409 and "already exists" in again.json["detail"]
    invalid = editor.post(
        "/api/v1/policies",
        json={**NEW, "policy": {**NEW["policy"], "slug": "Bad Slug", "title": ""}},
    )
    assert invalid.status_code == 422
    fields = {error["field"] for error in invalid.json["errors"]}
    assert fields >= {"policy.slug", "policy.title"}
    missing = viewer.get("/api/v1/policies/no-such-policy")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_changes_need_if_match_and_a_stale_one_is_refused(app: Flask) -> None:
    editor = api_client(app, Role.EDITOR)
    url = editor.post("/api/v1/policies", json=NEW).headers["Location"]
    change = {"title": "Auto-enrolment for free school meals"}
    assert editor.put(url, json=change).status_code == 428
    changed = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    # The same PUT again is idempotent: nothing to change, so it succeeds unchanged.
    repeated = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v2"'
    stale = editor.put(url, json={"title": "Another title"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v2"'
    assert editor.get(url).json["title"] == change["title"]
    viewer = api_client(app, Role.VIEWER)
    assert viewer.put(url, json=change, headers={"If-Match": '"v2"'}).status_code == 403


def test_every_api_route_is_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_v1."):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_nul_characters_are_field_errors_not_crashes(app: Flask) -> None:
    editor = api_client(app, Role.EDITOR)
    searched = editor.get("/api/v1/policies?q=a%00b")
    assert searched.status_code == 422 and searched.json["errors"][0]["field"] == "q.0"
    nul_title = {**NEW, "policy": {**NEW["policy"], "title": "A\x00B"}}
    created = editor.post("/api/v1/policies", json=nul_title)
    assert created.status_code == 422
    assert created.json["errors"][0]["field"] == "body.policy.title"
