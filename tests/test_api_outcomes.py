"""/api/v1 per-arm results and iteration decisions: PUT creates (201) or replaces (200, with
If-Match), a repeat changes nothing, and each refusal is a problem+json that writes nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import seed
from tracker.models.enums import Role

V1 = "/api/v1/pilots/letter-trial/iterations/1"
CONTROL_TAKE_UP = f"{V1}/arms/control/results/take-up"
NEW_LETTER_DAYS = f"{V1}/arms/new%20letter/results/days-to-claim"


def fields_of(response: Any) -> set[str]:
    return {error["field"] for error in response.json["errors"]}


def test_a_result_is_created_repeated_and_replaced_with_if_match(app: Flask) -> None:
    seed(app, factories.make_trial)
    analyst = api_client(app, Role.ANALYST)
    first = {"n": 200, "successes": 50, "note": "From the March extract"}
    assert analyst.get(CONTROL_TAKE_UP).status_code == 404  # nothing entered yet

    created = analyst.put(CONTROL_TAKE_UP, json=first)
    assert created.status_code == 201 and created.headers["ETag"] == '"v1"'
    assert created.headers["Location"] == CONTROL_TAKE_UP
    assert created.json == {
        **created.json,
        "arm": "control",
        "metric": "take-up",
        "n": 200,
        "successes": 50,
        "mean": None,
        "source": "summary",
        "version": 1,
    }
    # The same numbers again (the metric may be named in the body when it matches): unchanged.
    repeated = analyst.put(CONTROL_TAKE_UP, json={**first, "metric": "take-up"})
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v1"'

    second = {"n": 210, "successes": 55}
    assert analyst.put(CONTROL_TAKE_UP, json=second).status_code == 428
    stale = analyst.put(CONTROL_TAKE_UP, json=second, headers={"If-Match": '"v7"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v1"'
    replaced = analyst.put(CONTROL_TAKE_UP, json=second, headers={"If-Match": '"v1"'})
    assert replaced.status_code == 200 and replaced.headers["ETag"] == '"v2"'
    assert replaced.json["n"] == 210 and replaced.json["note"] == ""
    read = api_client(app, Role.VIEWER).get(CONTROL_TAKE_UP)
    assert read.status_code == 200 and read.json["successes"] == 55


def test_results_of_an_arm_with_a_space_and_the_iteration_list(app: Flask) -> None:
    seed(app, factories.make_trial)
    analyst, viewer = api_client(app, Role.ANALYST), api_client(app, Role.VIEWER)
    assert analyst.put(CONTROL_TAKE_UP, json={"n": 100, "successes": 20}).status_code == 201
    # A continuous result given as sums: the service turns them into mean and sd.
    sums = analyst.put(NEW_LETTER_DAYS, json={"n": 4, "sum": 40.0, "sum_of_squares": 412.0})
    assert sums.status_code == 201
    assert sums.headers["Location"] == NEW_LETTER_DAYS
    assert sums.json["mean"] == 10.0 and abs(sums.json["sd"] - 2.0) < 1e-12
    again = analyst.put(NEW_LETTER_DAYS, json={"n": 4, "sum": 40.0, "sum_of_squares": 412.0})
    assert again.status_code == 200 and again.json["version"] == 1

    listed = viewer.get(f"{V1}/results")
    assert listed.status_code == 200
    assert [(r["arm"], r["metric"], r["n"]) for r in listed.json["items"]] == [
        ("control", "take-up", 100),
        ("new letter", "days-to-claim", 4),
    ]
    assert listed.json["page"]["total"] == 2
    page = viewer.get(f"{V1}/results?limit=1&offset=1").json
    assert [r["arm"] for r in page["items"]] == ["new letter"]
    assert page["page"]["next_offset"] is None
    assert viewer.get("/api/v1/pilots/letter-trial/iterations/9/results").status_code == 404


def test_bad_results_are_refused_naming_the_field_and_writing_nothing(app: Flask) -> None:
    seed(app, factories.make_trial)
    analyst = api_client(app, Role.ANALYST)
    others = [api_client(app, Role.VIEWER), api_client(app, Role.EDITOR)]
    before = records_of(app)
    for other_role in others:  # results are the analysts' numbers
        refused = other_role.put(CONTROL_TAKE_UP, json={"n": 10, "successes": 1})
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    wrong_kind = analyst.put(CONTROL_TAKE_UP, json={"n": 10, "mean": 2.0})
    assert wrong_kind.status_code == 422 and fields_of(wrong_kind) == {"successes", "mean"}
    too_many = analyst.put(CONTROL_TAKE_UP, json={"n": 10, "successes": 11})
    assert too_many.status_code == 422 and fields_of(too_many) == {"successes"}
    negative = analyst.put(CONTROL_TAKE_UP, json={"n": -1, "successes": 0})
    assert negative.status_code == 422 and fields_of(negative) == {"n"}
    huge = analyst.put(CONTROL_TAKE_UP, json={"n": 2**31, "successes": 2**31})
    assert huge.status_code == 422 and fields_of(huge) == {"n", "successes"}
    other = analyst.put(CONTROL_TAKE_UP, json={"n": 10, "successes": 1, "metric": "days-to-claim"})
    assert other.status_code == 422 and fields_of(other) == {"metric"}
    for missing in (
        f"{V1}/arms/nobody/results/take-up",
        f"{V1}/arms/control/results/no-such-metric",
        "/api/v1/pilots/letter-trial/iterations/9/arms/control/results/take-up",
    ):
        response = analyst.put(missing, json={"n": 10, "successes": 1})
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    bad_key = analyst.put(f"{V1}/arms/control/results/Not A Key", json={"n": 1, "successes": 1})
    assert bad_key.status_code == 422 and fields_of(bad_key) == {"metric"}
    assert records_of(app) == before


DECISION = {
    "outcome": "scale",
    "rationale": "Take-up rose by 5 points",
    "decided_by": "Programme board",
    "decided_on": "2025-04-01",
}


def test_the_decision_is_recorded_repeated_and_revised(app: Flask) -> None:
    seed(app, factories.make_trial)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    url = f"{V1}/decision"
    none_yet = viewer.get(url)
    assert none_yet.status_code == 404 and none_yet.mimetype == "application/problem+json"

    before = records_of(app)
    assert viewer.put(url, json=DECISION).status_code == 403
    assert records_of(app) == before
    recorded = editor.put(url, json=DECISION)
    assert recorded.status_code == 201 and recorded.headers["Location"] == url
    assert recorded.headers["ETag"] == '"v1"' and recorded.json["outcome"] == "scale"
    read = viewer.get(url)
    assert read.status_code == 200 and read.json["decided_on"] == "2025-04-01"
    repeated = editor.put(url, json=DECISION)
    assert repeated.status_code == 200 and repeated.headers["ETag"] == '"v1"'

    revised = {**DECISION, "outcome": "adapt", "rationale": "Only in two councils"}
    assert editor.put(url, json=revised).status_code == 428
    stale = editor.put(url, json=revised, headers={"If-Match": '"v0"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v1"'
    changed = editor.put(url, json=revised, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert viewer.get(url).json["outcome"] == "adapt"

    before = records_of(app)
    refused = viewer.put(url, json=DECISION, headers={"If-Match": '"v2"'})
    assert refused.status_code == 403 and records_of(app) == before
    invalid = editor.put(url, json={**DECISION, "outcome": "maybe", "rationale": ""})
    assert invalid.status_code == 422 and fields_of(invalid) == {"outcome", "rationale"}
    missing = editor.put("/api/v1/pilots/letter-trial/iterations/9/decision", json=DECISION)
    assert missing.status_code == 404
    assert viewer.get("/api/v1/pilots/no-such-pilot/iterations/1/decision").status_code == 404
