"""/api/v1/audit-events: the trail newest first, filtered, paged, people's events admin-only."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client
from tests.web_helpers import seed
from tracker.models.enums import Role
from tracker.services import policies

EVENTS = "/api/v1/audit-events"


def two_policies(session: Session) -> None:
    factories.make_policy(session, slug="first-policy", title="First")
    second = factories.make_policy(session, slug="second-policy", title="Second")
    policies.update_policy(
        session=session,
        actor=factories.ADMIN,
        slug=second.slug,
        data={"title": "Second, renamed"},
        expected_version=1,
    )


def test_events_newest_first_filtered_and_paged(app: Flask) -> None:
    seed(app, two_policies)
    viewer = api_client(app, Role.VIEWER)
    everything = viewer.get(f"{EVENTS}?entity_type=policy")
    assert everything.status_code == 200
    items = everything.json["items"]
    assert [item["action"] for item in items] == ["update", "create", "create"]
    assert items[0]["after"] == {"title": "Second, renamed"}
    assert items[0]["before"] == {"title": "Second"}
    assert items[0]["actor_label"] == "admin@example.gov.uk"
    assert items[0]["occurred_at"].endswith("+00:00")
    second_id = items[0]["entity_id"]
    one_record = viewer.get(f"{EVENTS}?entity_type=policy&entity_id={second_id}").json
    assert [item["action"] for item in one_record["items"]] == ["update", "create"]
    by_admin = viewer.get(f"{EVENTS}?actor=admin@example.gov.uk").json
    assert [item["summary"] for item in by_admin["items"]] == [items[0]["summary"]]
    paged = viewer.get(f"{EVENTS}?entity_type=policy&limit=2&offset=1").json
    assert [item["id"] for item in paged["items"]] == [items[1]["id"], items[2]["id"]]
    assert paged["page"] == {"total": 3, "limit": 2, "offset": 1, "next_offset": None}
    first = viewer.get(f"{EVENTS}?entity_type=policy&limit=1").json["page"]
    assert first == {"total": 3, "limit": 1, "offset": 0, "next_offset": 1}
    assert viewer.get(f"{EVENTS}?entity_type=pilot").json["items"] == []


def test_events_about_people_and_tokens_are_for_admins_only(app: Flask) -> None:
    seed(app, two_policies)
    viewer, admin = api_client(app, Role.VIEWER), api_client(app, Role.ADMIN)
    seen = {item["entity_type"] for item in viewer.get(f"{EVENTS}?limit=100").json["items"]}
    assert seen == {"policy", "stage_decision"}
    refused = viewer.get(f"{EVENTS}?entity_type=api_token")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert viewer.get(f"{EVENTS}?entity_type=user").status_code == 403
    tokens = admin.get(f"{EVENTS}?entity_type=api_token").json["items"]
    assert len(tokens) == 2  # one per test token made above
    assert all("token_hash" not in (item["after"] or {}) for item in tokens)


def test_bad_filters_are_named(app: Flask) -> None:
    viewer = api_client(app, Role.VIEWER)
    bad = viewer.get(f"{EVENTS}?entity_id=0&limit=500&entity_type=Policy!")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {error["field"] for error in bad.json["errors"]} == {"entity_id", "limit", "entity_type"}
    assert app.test_client().get(EVENTS).status_code == 401
