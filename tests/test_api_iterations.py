"""/api/v1/pilots/{slug}/iterations and their arms: pages, 201 + Location, ETag and If-Match,
problem+json naming fields, and roles refused without writing anything."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import seed
from tracker.models.enums import Role

PILOT = "/api/v1/pilots/letter-trial"
V1 = f"{PILOT}/iterations/1"
V2 = f"{PILOT}/iterations/2"


def trial_with_empty_v2(session: Session) -> None:
    """The factories' trial (v1 with arms "control" and "new letter") and a v2 without arms."""
    factories.make_trial(session)
    factories.make_iteration(session, number=2, what_changed="Shorter letter")


def fields_of(response: Any) -> set[str]:
    return {error["field"] for error in response.json["errors"]}


def test_lists_and_reads_iterations_with_their_arms(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    viewer = api_client(app)
    listed = viewer.get(f"{PILOT}/iterations")
    assert listed.status_code == 200
    assert [item["number"] for item in listed.json["items"]] == [1, 2]
    assert listed.json["items"][1]["what_changed"] == "Shorter letter"
    first = viewer.get(f"{PILOT}/iterations?limit=1").json
    assert [item["number"] for item in first["items"]] == [1]
    assert first["page"] == {"total": 2, "limit": 1, "offset": 0, "next_offset": 1}

    read = viewer.get(V1)
    assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
    assert read.json["number"] == 1 and read.json["status"] == "planned"
    arms = read.json["arms"]
    assert [(arm["name"], arm["is_control"], arm["allocation"]) for arm in arms] == [
        ("control", True, 0.5),
        ("new letter", False, 0.5),
    ]
    assert arms[0]["version"] == 1 and arms[0]["created_at"].endswith("+00:00")
    assert viewer.get(V2).json["arms"] == []

    for missing in ("/api/v1/pilots/no-such-pilot/iterations", f"{PILOT}/iterations/9"):
        response = viewer.get(missing)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    bad = viewer.get(f"{PILOT}/iterations/0")
    assert bad.status_code == 422 and fields_of(bad) == {"number"}
    bad_page = viewer.get(f"{PILOT}/iterations?limit=0")
    assert bad_page.status_code == 422 and fields_of(bad_page) == {"limit"}


NEW_ITERATION = {
    "number": 3,
    "title": "Version 3",
    "what_changed": "Added a text message",
    "why": "Letters alone were not read",
    "start_date": "2025-03-01",
}


def test_creates_an_iteration_and_refuses_a_viewer(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    before = records_of(app)
    refused = viewer.post(f"{PILOT}/iterations", json=NEW_ITERATION)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before

    created = editor.post(f"{PILOT}/iterations", json=NEW_ITERATION)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{PILOT}/iterations/3"
    assert created.headers["ETag"] == '"v1"'
    assert created.json["arms"] == [] and created.json["start_date"] == "2025-03-01"
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.json["why"] == NEW_ITERATION["why"]

    again = editor.post(f"{PILOT}/iterations", json=NEW_ITERATION)
    assert again.status_code == 409 and "already has an iteration 3" in again.json["detail"]
    invalid = editor.post(
        f"{PILOT}/iterations",
        json={**NEW_ITERATION, "number": 0, "end_date": "2025-01-01", "status": "someday"},
    )
    assert invalid.status_code == 422
    assert fields_of(invalid) >= {"number", "end_date", "status"}
    # Beyond what an integer column holds: refused by name, not a database error.
    huge = editor.post(f"{PILOT}/iterations", json={**NEW_ITERATION, "number": 2**31})
    assert huge.status_code == 422 and fields_of(huge) == {"number"}
    assert viewer.get(f"{PILOT}/iterations/{2**31}").status_code == 422
    unknown = editor.post("/api/v1/pilots/no-such-pilot/iterations", json=NEW_ITERATION)
    assert unknown.status_code == 404


def test_a_new_iteration_can_start_with_an_earlier_ones_arms(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    before = records_of(app)
    refused = viewer.post(f"{PILOT}/iterations?copy_arms_from=1", json=NEW_ITERATION)
    assert refused.status_code == 403
    no_source = editor.post(f"{PILOT}/iterations?copy_arms_from=9", json=NEW_ITERATION)
    assert no_source.status_code == 422 and fields_of(no_source) == {"copy_arms_from"}
    assert records_of(app) == before
    copied = editor.post(f"{PILOT}/iterations?copy_arms_from=1", json=NEW_ITERATION)
    assert copied.status_code == 201
    assert [(arm["name"], arm["is_control"], arm["allocation"]) for arm in copied.json["arms"]] == [
        ("control", True, 0.5),
        ("new letter", False, 0.5),
    ]
    assert len(editor.get(f"{V1}/arms").json["items"]) == 2  # the source keeps its own arms
    unknown = editor.post(
        "/api/v1/pilots/no-such-pilot/iterations?copy_arms_from=1", json=NEW_ITERATION
    )
    assert unknown.status_code == 404


def test_changing_an_iteration_needs_if_match(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    change = {"status": "running", "start_date": "2025-02-03"}
    assert editor.put(V1, json=change).status_code == 428
    changed = editor.put(V1, json=change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert changed.json["status"] == "running" and len(changed.json["arms"]) == 2
    # The same PUT again is idempotent: nothing to change, so it succeeds unchanged.
    repeated = editor.put(V1, json=change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v2"'
    stale = editor.put(V1, json={"title": "Another"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v2"'
    assert editor.get(V1).json["title"] == "Version 1"

    # The service checks the edited iteration as a whole: its end may not precede its start.
    backwards = editor.put(V1, json={"end_date": "2025-01-01"}, headers={"If-Match": '"v2"'})
    assert backwards.status_code == 422 and fields_of(backwards) == {"end_date"}
    too_long = editor.put(V1, json={"title": "x" * 201}, headers={"If-Match": '"v2"'})
    assert too_long.status_code == 422 and fields_of(too_long) == {"title"}

    before = records_of(app)
    refused = viewer.put(V1, json={"title": "Viewer's"}, headers={"If-Match": '"v2"'})
    assert refused.status_code == 403 and records_of(app) == before
    # A viewer is refused even when the change would be no change at all.
    assert viewer.put(V1, json=change, headers={"If-Match": '"v2"'}).status_code == 403
    missing = editor.put(f"{PILOT}/iterations/9", json=change, headers={"If-Match": '"v1"'})
    assert missing.status_code == 404


def test_arms_are_listed_read_and_added_by_name(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    listed = viewer.get(f"{V1}/arms")
    assert listed.status_code == 200
    assert [arm["name"] for arm in listed.json["items"]] == ["control", "new letter"]
    assert listed.json["page"]["total"] == 2
    spaced = viewer.get(f"{V1}/arms/new%20letter")
    assert spaced.status_code == 200 and spaced.json["name"] == "new letter"
    assert spaced.headers["ETag"] == '"v1"'
    assert viewer.get(f"{V1}/arms/nobody").status_code == 404
    assert viewer.get(f"{PILOT}/iterations/9/arms").status_code == 404

    arm = {"name": "Letter A/B, (plain)", "allocation": 0.4, "description": "Plain English"}
    before = records_of(app)
    assert viewer.post(f"{V2}/arms", json=arm).status_code == 403
    assert records_of(app) == before
    created = editor.post(f"{V2}/arms", json=arm)
    assert created.status_code == 201 and created.headers["ETag"] == '"v1"'
    assert created.headers["Location"] == f"{V2}/arms/Letter%20A%2FB%2C%20%28plain%29"
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.json["description"] == "Plain English"
    # Unencoded, the slash still reaches the arm: arm routes take the rest of the path.
    assert viewer.get(f"{V2}/arms/Letter A/B, (plain)").json["name"] == arm["name"]

    assert editor.post(f"{V2}/arms", json=arm).status_code == 409
    control = {"name": "control", "is_control": True, "allocation": 0.5}
    assert editor.post(f"{V2}/arms", json=control).status_code == 201
    second_control = editor.post(f"{V2}/arms", json={**control, "name": "other control"})
    assert second_control.status_code == 409 and "control arm" in second_control.json["detail"]
    too_much = editor.post(f"{V2}/arms", json={"name": "third", "allocation": 0.2})
    assert too_much.status_code == 422 and fields_of(too_much) == {"allocation"}
    invalid = editor.post(f"{V2}/arms", json={"name": "", "allocation": 0})
    assert invalid.status_code == 422 and fields_of(invalid) == {"name", "allocation"}
    assert editor.post(f"{PILOT}/iterations/9/arms", json=control).status_code == 404


def test_changing_an_arm_needs_if_match_and_a_rename_moves_it(app: Flask) -> None:
    seed(app, trial_with_empty_v2)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    url = f"{V1}/arms/new%20letter"
    change = {"description": "Shorter, plainer letter"}
    assert editor.put(url, json=change).status_code == 428
    changed = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert changed.json["description"] == change["description"]
    repeated = editor.put(url, json=change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v2"'
    stale = editor.put(url, json={"allocation": 0.4}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v2"'

    too_much = editor.put(url, json={"allocation": 0.6}, headers={"If-Match": '"v2"'})
    assert too_much.status_code == 422 and fields_of(too_much) == {"allocation"}
    taken = editor.put(url, json={"name": "control"}, headers={"If-Match": '"v2"'})
    assert taken.status_code == 409
    second_control = editor.put(url, json={"is_control": True}, headers={"If-Match": '"v2"'})
    assert second_control.status_code == 409

    before = records_of(app)
    refused = viewer.put(url, json={"description": "Viewer's"}, headers={"If-Match": '"v2"'})
    assert refused.status_code == 403 and records_of(app) == before

    renamed = editor.put(url, json={"name": "Letter B/2"}, headers={"If-Match": '"v2"'})
    assert renamed.status_code == 200 and renamed.json["name"] == "Letter B/2"
    assert viewer.get(url).status_code == 404
    assert viewer.get(f"{V1}/arms/Letter%20B%2F2").json["version"] == 3
    missing = editor.put(f"{V1}/arms/nobody", json=change, headers={"If-Match": '"v1"'})
    assert missing.status_code == 404
