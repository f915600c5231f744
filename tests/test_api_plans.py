"""/api/v1 analysis plans: drafts, If-Match edits, locking under the SHA-256, amendments."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import ApiClient, api_client, records_of
from tests.web_helpers import app_session, seed
from tracker.models.enums import Role
from tracker.services import plans

PLANS = "/api/v1/pilots/letter-trial/plans"
DRAFT = {
    "estimand": "difference in take-up",
    "alpha": 0.05,
    "metrics": [
        {"metric": "take-up", "role": "primary", "test": ""},
        {"metric": "days-to-claim", "role": "secondary", "test": ""},
    ],
}


def trial(app: Flask) -> None:
    def build(session: Session) -> None:
        factories.make_trial(session)

    seed(app, build)


def locked_v1(app: Flask, analyst: ApiClient) -> dict[str, Any]:
    created = analyst.post(PLANS, json=DRAFT)
    assert created.status_code == 201, created.json
    locked = analyst.post(f"{PLANS}/1/lock", json=None, headers={"If-Match": '"v1"'})
    assert locked.status_code == 200, locked.json
    body: dict[str, Any] = locked.json
    return body


def test_write_read_and_list_a_draft(app: Flask) -> None:
    trial(app)
    analyst, viewer = api_client(app, Role.ANALYST), api_client(app, Role.VIEWER)
    created = analyst.post(PLANS, json=DRAFT)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{PLANS}/1"
    assert created.headers["ETag"] == '"v1"'
    assert created.json["plan_version"] == 1 and created.json["pilot"] == "letter-trial"
    assert created.json["locked"] is False and created.json["lock_hash"] is None
    assert {(m["metric"], m["role"]) for m in created.json["metrics"]} == {
        ("take-up", "primary"),
        ("days-to-claim", "secondary"),
    }
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.json == created.json
    listed = viewer.get(PLANS)
    assert listed.status_code == 200
    assert [item["plan_version"] for item in listed.json["items"]] == [1]
    assert listed.json["page"]["total"] == 1
    again = analyst.post(PLANS, json=DRAFT)
    assert again.status_code == 409 and "not locked yet" in again.json["detail"]


def test_refusals_missing_and_invalid(app: Flask) -> None:
    trial(app)
    analyst, viewer, editor = (api_client(app, r) for r in (Role.ANALYST, Role.VIEWER, Role.EDITOR))
    before = records_of(app)
    for client in (viewer, editor):
        refused = client.post(PLANS, json=DRAFT)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before
    assert viewer.get("/api/v1/pilots/no-such-pilot/plans").status_code == 404
    assert viewer.get(f"{PLANS}/3").status_code == 404
    assert analyst.post("/api/v1/pilots/no-such-pilot/plans", json=DRAFT).status_code == 404
    invalid = analyst.post(PLANS, json={**DRAFT, "alpha": 2})
    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json["errors"]] == ["alpha"]
    unknown = analyst.post(
        PLANS, json={**DRAFT, "metrics": [{"metric": "nope", "role": "primary"}]}
    )
    assert unknown.status_code == 422
    assert [error["field"] for error in unknown.json["errors"]] == ["metrics"]
    assert records_of(app) == before
    bad_version = viewer.get(f"{PLANS}/0")
    assert bad_version.status_code == 422
    assert [error["field"] for error in bad_version.json["errors"]] == ["version"]


def test_editing_a_draft_needs_if_match_and_repeats_unchanged(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    url = analyst.post(PLANS, json=DRAFT).headers["Location"]
    change = {"estimand": "risk difference in take-up", "metrics": DRAFT["metrics"][:1]}
    assert analyst.put(url, json=change).status_code == 428
    changed = analyst.put(url, json=change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200, changed.json
    assert changed.headers["ETag"] == '"v2"'
    assert changed.json["estimand"] == change["estimand"]
    assert [m["metric"] for m in changed.json["metrics"]] == ["take-up"]
    repeated = analyst.put(url, json=change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v2"'
    stale = analyst.put(url, json={"estimand": "other"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v2"'
    invalid = analyst.put(url, json={"alpha": 0}, headers={"If-Match": '"v2"'})
    assert invalid.status_code == 422
    assert [error["field"] for error in invalid.json["errors"]] == ["alpha"]
    viewer = api_client(app, Role.VIEWER)
    before = records_of(app)
    refused = viewer.put(url, json={"estimand": "x"}, headers={"If-Match": '"v2"'})
    assert refused.status_code == 403
    assert records_of(app) == before
    assert analyst.put(f"{PLANS}/7", json={"estimand": "x"}).status_code == 404


def test_locking_stores_the_canonical_hash_and_freezes_the_version(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    analyst.post(PLANS, json=DRAFT)
    lock_url = f"{PLANS}/1/lock"
    viewer = api_client(app, Role.VIEWER)
    before = records_of(app)
    assert viewer.post(lock_url, json=None, headers={"If-Match": '"v1"'}).status_code == 403
    assert records_of(app) == before
    assert analyst.post(lock_url, json=None).status_code == 428
    assert analyst.post(lock_url, json=None, headers={"If-Match": '"v9"'}).status_code == 412
    locked = analyst.post(lock_url, json=None, headers={"If-Match": '"v1"'})
    assert locked.status_code == 200
    assert locked.json["locked"] is True and locked.headers["ETag"] == '"v2"'
    with app_session(app) as session:
        plan = plans.get_plan(session=session, pilot_slug="letter-trial", version=1)
        expected = plans.plan_hash(session=session, pilot_slug="letter-trial", plan=plan)
    assert locked.json["lock_hash"] == expected
    assert viewer.get(f"{PLANS}/1").json["lock_hash"] == expected
    again = analyst.post(lock_url, json=None, headers={"If-Match": '"v2"'})
    assert again.status_code == 409 and "already locked" in again.json["detail"]
    frozen = analyst.put(f"{PLANS}/1", json={"estimand": "new"}, headers={"If-Match": '"v2"'})
    assert frozen.status_code == 409 and "amend" in frozen.json["detail"]
    assert (
        analyst.post(f"{PLANS}/5/lock", json=None, headers={"If-Match": '"v1"'}).status_code == 404
    )


def test_a_draft_without_a_primary_metric_cannot_be_locked(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    analyst.post(PLANS, json={**DRAFT, "metrics": DRAFT["metrics"][1:]})
    refused = analyst.post(f"{PLANS}/1/lock", json=None, headers={"If-Match": '"v1"'})
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json["errors"]] == ["metrics"]
    assert api_client(app, Role.VIEWER).get(f"{PLANS}/1").json["locked"] is False


def test_amending_a_locked_plan_writes_the_next_version_with_its_reason(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    first = locked_v1(app, analyst)
    no_reason = analyst.post(PLANS, json={**DRAFT, "alpha": 0.01})
    assert no_reason.status_code == 422
    assert [error["field"] for error in no_reason.json["errors"]] == ["amendment_reason"]
    amended = analyst.post(
        PLANS, json={**DRAFT, "alpha": 0.01, "amendment_reason": "Two more councils joined"}
    )
    assert amended.status_code == 201
    assert amended.headers["Location"] == f"{PLANS}/2"
    assert amended.json["plan_version"] == 2 and amended.json["alpha"] == 0.01
    assert amended.json["amendment_reason"] == "Two more councils joined"
    assert amended.json["locked"] is False
    listed = analyst.get(PLANS).json["items"]
    assert [item["plan_version"] for item in listed] == [1, 2]
    assert listed[0] == {**first}  # the locked version is untouched
