"""/api/v1/pilots: the pilot list's filters, ETag reads, 201 + Location, If-Match changes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import make_search_pilots, make_search_policies, seed
from tracker.models.enums import Role

NEW = {
    "slug": "text-reminders",
    "title": "Text message reminders",
    "design": "cluster_rct",
    "place": "Bradford",
    "planned_sample_size": 400,
    "planned_start": "2026-02-01",
    "planned_end": "2026-06-30",
    "hypothesis_keys": ["letters-work"],
}


def _search_portfolio(session: Session) -> None:
    make_search_policies(session)
    make_search_pilots(session)


def _policy_with_hypotheses(session: Session) -> None:
    factories.make_policy(session)
    factories.make_hypothesis(session, key="letters-work")
    factories.make_hypothesis(session, key="texts-work")


def test_lists_page_and_filter_like_the_pilot_list(app: Flask) -> None:
    seed(app, _search_portfolio)
    api = api_client(app)
    everything = api.get("/api/v1/pilots")
    assert everything.status_code == 200
    # By policy title ("Bus passes…" before "Free school meals"), then pilot title.
    assert [item["slug"] for item in everything.json["items"]] == [
        "bus-discount",
        "meals-process",
        "letter-trial",
    ]
    letter = everything.json["items"][2]
    assert letter["policy"] == "school-meals" and letter["latest_iteration"] == 2
    assert everything.json["items"][0]["latest_iteration"] is None
    first = api.get("/api/v1/pilots?limit=2").json
    assert first["page"] == {"total": 3, "limit": 2, "offset": 0, "next_offset": 2}
    assert [item["slug"] for item in api.get("/api/v1/pilots?offset=2").json["items"]] == [
        "letter-trial"
    ]

    def slugs(query: str) -> list[str]:
        response = api.get(f"/api/v1/pilots?{query}")
        assert response.status_code == 200, response.json
        return [item["slug"] for item in response.json["items"]]

    assert slugs("status=complete&status=planned") == ["meals-process"]
    assert slugs("status=running") == ["bus-discount", "letter-trial"]
    assert slugs("evaluation_type=process") == ["meals-process"]
    assert slugs("policy=bus-passes") == ["bus-discount"]
    assert slugs("policy=no-such-policy") == []
    assert slugs("q=leeds") == ["bus-discount", "letter-trial"]
    assert slugs("q=Leeds_") == ["bus-discount"]  # the underscore is literal, as on the web
    assert slugs("q=100%25") == ["meals-process"]
    assert slugs("status=running&q=discount&policy=bus-passes") == ["bus-discount"]
    bad = api.get("/api/v1/pilots?status=someday&policy=Not A Slug&limit=101")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {error["field"].split(".")[0] for error in bad.json["errors"]} == {
        "status",
        "policy",
        "limit",
    }


def test_create_read_and_refuse(app: Flask) -> None:
    seed(app, _policy_with_hypotheses)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    url = "/api/v1/policies/school-meals/pilots"
    before = records_of(app)
    refused = viewer.post(url, json=NEW)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before
    created = editor.post(url, json=NEW)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == "/api/v1/pilots/text-reminders"
    assert created.headers["ETag"] == '"v1"'
    assert created.json["policy"] == "school-meals"
    assert created.json["hypothesis_keys"] == ["letters-work"]
    assert created.json["status"] == "planned" and created.json["planned_end"] == "2026-06-30"
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
    assert read.json == created.json

    again = editor.post(url, json=NEW)
    assert again.status_code == 409 and "already exists" in again.json["detail"]
    missing_policy = editor.post("/api/v1/policies/no-such-policy/pilots", json=NEW)
    assert missing_policy.status_code == 404
    assert viewer.get("/api/v1/pilots/no-such-pilot").status_code == 404

    before = records_of(app)
    invalid = editor.post(
        url, json={**NEW, "slug": "Bad Slug", "title": "", "planned_end": "2026-01-01"}
    )
    assert invalid.status_code == 422
    assert {error["field"] for error in invalid.json["errors"]} >= {
        "slug",
        "title",
        "planned_end",
    }
    unknown = editor.post(url, json={**NEW, "slug": "other", "hypothesis_keys": ["nope"]})
    assert unknown.status_code == 422
    assert [error["field"] for error in unknown.json["errors"]] == ["hypothesis_keys"]
    assert records_of(app) == before


def test_changes_need_if_match_and_a_stale_one_is_refused(app: Flask) -> None:
    seed(app, _policy_with_hypotheses)
    editor = api_client(app, Role.EDITOR)
    url = editor.post("/api/v1/policies/school-meals/pilots", json=NEW).headers["Location"]
    change: dict[str, Any] = {"status": "running", "hypothesis_keys": ["texts-work"]}
    missing = editor.put(url, json=change)
    assert missing.status_code == 428 and missing.mimetype == "application/problem+json"
    changed = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert changed.json["status"] == "running"
    assert changed.json["hypothesis_keys"] == ["texts-work"]
    # The same PUT again is idempotent: nothing to change, so it succeeds unchanged.
    repeated = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v2"'
    assert editor.put(url, json={}).status_code == 200
    # Linking the same hypotheses in another order is no change either.
    both = {"hypothesis_keys": ["letters-work", "texts-work"]}
    assert editor.put(url, json=both, headers={"If-Match": '"v2"'}).headers["ETag"] == '"v3"'
    reordered = editor.put(url, json={"hypothesis_keys": ["texts-work", "letters-work"]})
    assert reordered.status_code == 200 and reordered.headers["ETag"] == '"v3"'

    stale = editor.put(url, json={"title": "Another title"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v3"'
    assert editor.get(url).json["title"] == NEW["title"]

    viewer = api_client(app, Role.VIEWER)
    before = records_of(app)
    invalid = editor.put(url, json={"title": "", "evidence_strength": 6})
    assert invalid.status_code == 422
    assert {error["field"] for error in invalid.json["errors"]} == {"title", "evidence_strength"}
    crossed = editor.put(url, json={"planned_start": "2026-12-01"}, headers={"If-Match": '"v3"'})
    assert crossed.status_code == 422
    assert [error["field"] for error in crossed.json["errors"]] == ["planned_end"]
    emptied = editor.put(url, json={"design": None}, headers={"If-Match": '"v3"'})
    assert emptied.status_code == 422
    assert [error["field"] for error in emptied.json["errors"]] == ["design"]
    refused = viewer.put(url, json={"title": "Viewer's title"}, headers={"If-Match": '"v3"'})
    assert refused.status_code == 403
    assert records_of(app) == before
    gone = editor.put("/api/v1/pilots/no-such-pilot", json={"title": "x"})
    assert gone.status_code == 404


def test_pilot_operations_are_documented(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/pilots"]) == {"get"}
    assert set(paths["/api/v1/pilots/{slug}"]) == {"get", "put"}
    create = paths["/api/v1/policies/{slug}/pilots"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(create["responses"])
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PilotCreate"
    )
