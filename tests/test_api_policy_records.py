"""/api/v1/policies/{slug}/…: metrics, user needs, hypotheses, engagement and stage decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client, records_of
from tests.web_helpers import seed
from tracker.models.enums import PolicyStage, Role

POLICY = "/api/v1/policies/school-meals"


def _policy_with_a_pilot(session: Session) -> None:
    """school-meals with a metric `take-up` and pilot letter-trial v1, for records to name."""
    factories.make_policy(session)
    factories.make_metric(session, key="take-up")
    factories.make_pilot(session)
    factories.make_iteration(session)


@dataclass(frozen=True)
class Case:
    """One kind of keyed record, and what to send and expect for it."""

    section: str
    writer: Role  # the least role that may write it
    new: dict[str, Any]
    created: dict[str, Any]  # some of what the new record reads back as
    invalid: dict[str, Any]  # a create body, with the fields it is refused for
    invalid_fields: set[str]
    change: dict[str, Any]
    changed: dict[str, Any]
    bad_change: dict[str, Any]  # a change the service refuses, and the field it names
    bad_field: str

    @property
    def url(self) -> str:
        return f"{POLICY}/{self.section}"


CASES = [
    Case(
        section="metrics",
        writer=Role.ANALYST,
        new={
            "key": "days-to-claim",
            "name": "Days to claim",
            "kind": "count",
            "direction": "decrease",
        },
        created={"kind": "count", "direction": "decrease", "unit": ""},
        invalid={"key": "Bad Key", "name": "", "kind": "count", "direction": "up"},
        invalid_fields={"key", "name", "direction"},
        change={"name": "Days until a claim", "unit": "days"},
        changed={"name": "Days until a claim", "unit": "days", "kind": "count"},
        bad_change={"direction": None},
        bad_field="direction",
    ),
    Case(
        section="user-needs",
        writer=Role.EDITOR,
        new={
            "key": "know-eligibility",
            "as_a": "parent on a low income",
            "i_need": "to know my child is eligible",
            "so_that": "they get a free lunch",
            "metric_keys": ["take-up"],
        },
        created={"metric_keys": ["take-up"], "evidence_source": ""},
        invalid={"key": "know", "as_a": "", "i_need": "x", "so_that": "y", "metric_keys": ["no"]},
        invalid_fields={"as_a"},
        change={"evidence_source": "Interviews", "metric_keys": []},
        changed={"evidence_source": "Interviews", "metric_keys": []},
        bad_change={"metric_keys": ["no-such-metric"]},
        bad_field="metric_keys",
    ),
    Case(
        section="hypotheses",
        writer=Role.EDITOR,
        new={
            "key": "letters-work",
            "we_believe": "a simpler letter",
            "for_users": "eligible parents",
            "will": "raise take-up",
            "measured_by": "take-up",
        },
        created={"measured_by": "take-up", "status": "untested"},
        invalid={"key": "x", "we_believe": "", "for_users": "y", "will": "z", "status": "maybe"},
        invalid_fields={"we_believe", "status"},
        change={"status": "testing", "measured_by": None},
        changed={"status": "testing", "measured_by": None},
        bad_change={"measured_by": "no-such-metric"},
        bad_field="measured_by",
    ),
    Case(
        section="engagement",
        writer=Role.EDITOR,
        new={
            "key": "parent-workshop",
            "group": "users",
            "method": "workshop",
            "held_on": "2026-01-10",
            "what_we_heard": "The letter was hard to follow.",
            "pilot": "letter-trial",
            "iteration": 1,
        },
        created={"pilot": "letter-trial", "iteration": 1, "participants": None},
        invalid={
            "key": "x",
            "group": "users",
            "method": "workshop",
            "held_on": "someday",
            "what_we_heard": "y",
            "participants": -1,
        },
        invalid_fields={"held_on", "participants"},
        change={"what_changed": "We rewrote the letter.", "pilot": None, "iteration": None},
        changed={"what_changed": "We rewrote the letter.", "pilot": None, "iteration": None},
        bad_change={"pilot": "letter-trial", "iteration": 7},
        bad_field="iteration",
    ),
]


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    return {error["field"] for error in response.json["errors"]}


@pytest.mark.parametrize("case", CASES, ids=[case.section for case in CASES])
def test_create_list_and_read(app: Flask, case: Case) -> None:
    seed(app, _policy_with_a_pilot)
    writer, viewer = api_client(app, case.writer), api_client(app, Role.VIEWER)
    below = [viewer] if case.writer is Role.EDITOR else [viewer, api_client(app, Role.EDITOR)]
    before = records_of(app)
    for client in below:
        refused = client.post(case.url, json=case.new)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before

    created = writer.post(case.url, json=case.new)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == f"{case.url}/{case.new['key']}"
    assert created.headers["ETag"] == '"v1"' and created.json["version"] == 1
    assert created.json["key"] == case.new["key"]
    assert {name: created.json[name] for name in case.created} == case.created
    read = viewer.get(created.headers["Location"])
    assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
    assert read.json == created.json
    listed = viewer.get(case.url)
    assert listed.status_code == 200
    # Oldest first: the new record is last (metrics start with the seeded `take-up`).
    assert listed.json["items"][-1] == created.json
    total = len(listed.json["items"])
    assert listed.json["page"] == {"total": total, "limit": 20, "offset": 0, "next_offset": None}
    assert [item["key"] for item in viewer.get(f"{case.url}?offset={total - 1}").json["items"]] == [
        case.new["key"]
    ]

    before = records_of(app)
    again = writer.post(case.url, json=case.new)
    assert again.status_code == 409 and "already exists" in again.json["detail"]
    assert _fields(writer.post(case.url, json=case.invalid)) == case.invalid_fields
    assert writer.post("/api/v1/policies/no-such/x", json=case.new).status_code == 404
    assert writer.post(case.url.replace("school-meals", "nope"), json=case.new).status_code == 404
    assert records_of(app) == before
    assert viewer.get(f"{case.url}/no-such-key").status_code == 404
    assert viewer.get(case.url.replace("school-meals", "nope")).status_code == 404
    assert _fields(viewer.get(f"{case.url}?limit=0")) == {"limit"}


@pytest.mark.parametrize("case", CASES, ids=[case.section for case in CASES])
def test_changes_need_if_match_and_a_stale_one_is_refused(app: Flask, case: Case) -> None:
    seed(app, _policy_with_a_pilot)
    writer, viewer = api_client(app, case.writer), api_client(app, Role.VIEWER)
    url = writer.post(case.url, json=case.new).headers["Location"]
    missing = writer.put(url, json=case.change)
    assert missing.status_code == 428 and missing.mimetype == "application/problem+json"
    changed = writer.put(url, json=case.change, headers={"If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert {name: changed.json[name] for name in case.changed} == case.changed
    assert viewer.get(url).json == changed.json
    # The same PUT again is idempotent: nothing to change, so it succeeds unchanged.
    repeated = writer.put(url, json=case.change, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 200 and repeated.json == changed.json
    assert writer.put(url, json={}).headers["ETag"] == '"v2"'
    stale = writer.put(url, json=case.new | case.created, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v2"'

    before = records_of(app)
    refused = viewer.put(url, json=case.new, headers={"If-Match": '"v2"'})
    assert refused.status_code == 403
    assert _fields(writer.put(url, json=case.bad_change, headers={"If-Match": '"v2"'})) == {
        case.bad_field
    }
    assert writer.put(f"{case.url}/no-such-key", json=case.change).status_code == 404
    assert records_of(app) == before
    assert viewer.get(url).json == changed.json


def test_a_need_relinked_to_the_same_metrics_in_another_order_is_unchanged(app: Flask) -> None:
    def two_metrics(session: Session) -> None:
        _policy_with_a_pilot(session)
        factories.make_metric(session, key="days-to-claim")

    seed(app, two_metrics)
    editor = api_client(app, Role.EDITOR)
    need = {**CASES[1].new, "metric_keys": ["take-up", "days-to-claim"]}
    url = editor.post(f"{POLICY}/user-needs", json=need).headers["Location"]
    same = editor.put(url, json={"metric_keys": ["days-to-claim", "take-up"]})
    assert same.status_code == 200 and same.headers["ETag"] == '"v1"'
    fewer = editor.put(url, json={"metric_keys": ["take-up"]}, headers={"If-Match": '"v1"'})
    assert fewer.headers["ETag"] == '"v2"' and fewer.json["metric_keys"] == ["take-up"]


def test_an_engagement_tied_by_half_a_pair_is_refused_not_taken_as_unchanged(app: Flask) -> None:
    seed(app, _policy_with_a_pilot)
    editor = api_client(app, Role.EDITOR)
    url = editor.post(f"{POLICY}/engagement", json=CASES[3].new).headers["Location"]
    half = editor.put(url, json={"pilot": "letter-trial"}, headers={"If-Match": '"v1"'})
    assert _fields(half) == {"iteration"}
    both = editor.put(url, json={"pilot": "letter-trial", "iteration": 1})
    assert both.status_code == 200 and both.headers["ETag"] == '"v1"'


DISCOVERY = {
    "to_stage": "discovery",
    "rationale": "User research shows the problem is real",
    "evidence": ["Interviews with 12 parents"],
    "decided_by": "Programme board",
    "decided_on": "2026-02-01",
}


def test_stage_decisions_move_the_policy_with_if_match(app: Flask) -> None:
    seed(app, _policy_with_a_pilot)
    editor, viewer = api_client(app, Role.EDITOR), api_client(app, Role.VIEWER)
    url = f"{POLICY}/stage-decisions"
    history = viewer.get(url)
    assert history.status_code == 200 and history.json["page"]["total"] == 1
    first = history.json["items"][0]
    assert first["sequence"] == 1 and first["from_stage"] is None and first["to_stage"] == "idea"

    before = records_of(app)
    refused = viewer.post(url, json=DISCOVERY, headers={"If-Match": '"v1"'})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert editor.post(url, json=DISCOVERY).status_code == 428
    stale = editor.post(url, json=DISCOVERY, headers={"If-Match": '"v9"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"v1"'
    skipping = {**DISCOVERY, "to_stage": "live"}
    assert _fields(editor.post(url, json=skipping, headers={"If-Match": '"v1"'})) == {"skip_reason"}
    assert _fields(editor.post(url, json={**DISCOVERY, "rationale": ""})) == {"rationale"}
    assert _fields(
        editor.post(url, json={**DISCOVERY, "to_stage": "idea"}, headers={"If-Match": '"v1"'})
    ) == {"to_stage", "skip_reason"}
    elsewhere = editor.post(
        url.replace("school-meals", "nope"), json=DISCOVERY, headers={"If-Match": '"v1"'}
    )
    assert elsewhere.status_code == 404
    assert records_of(app) == before

    moved = editor.post(url, json=DISCOVERY, headers={"If-Match": '"v1"'})
    assert moved.status_code == 201, moved.json
    assert moved.headers["Location"] == f"{url}/2"
    assert moved.json["policy"]["stage"] == "discovery" and moved.json["policy"]["version"] == 2
    decision = moved.json["decision"]
    assert decision["sequence"] == 2 and decision["from_stage"] == "idea"
    assert decision["evidence"] == DISCOVERY["evidence"]
    assert viewer.get(moved.headers["Location"]).json == decision
    assert viewer.get(POLICY).json["stage"] == PolicyStage.DISCOVERY.value
    # Sending the same decision again names the version it read: now stale, so nothing doubles.
    repeated = editor.post(url, json=DISCOVERY, headers={"If-Match": '"v1"'})
    assert repeated.status_code == 412
    earlier = {**DISCOVERY, "to_stage": "alpha", "decided_on": "2026-01-01"}
    assert _fields(editor.post(url, json=earlier, headers={"If-Match": '"v2"'})) == {"decided_on"}
    listed = viewer.get(f"{url}?limit=1&offset=1").json
    assert [item["sequence"] for item in listed["items"]] == [2]
    assert [item["to_stage"] for item in viewer.get(url).json["items"]] == ["idea", "discovery"]
    assert viewer.get(f"{url}/3").status_code == 404
    assert viewer.get(url.replace("school-meals", "nope")).status_code == 404
    assert _fields(viewer.get(f"{url}/0")) == {"sequence"}


def test_policy_record_operations_are_documented(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for section, create in [
        ("metrics", "MetricCreate"),
        ("user-needs", "UserNeedCreate"),
        ("hypotheses", "HypothesisCreate"),
        ("engagement", "EngagementCreate"),
    ]:
        base = f"/api/v1/policies/{{slug}}/{section}"
        assert set(paths[base]) == {"get", "post"}
        assert set(paths[f"{base}/{{key}}"]) == {"get", "put"}
        body = paths[base]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].endswith(f"/{create}")
        assert "412" in paths[f"{base}/{{key}}"]["put"]["responses"]
    decisions = paths["/api/v1/policies/{slug}/stage-decisions"]
    assert set(decisions) == {"get", "post"} and "428" in decisions["post"]["responses"]


def test_an_absurd_stage_decision_number_is_a_field_error(app: Flask) -> None:
    viewer = api_client(app, Role.VIEWER)
    huge = viewer.get(f"/api/v1/policies/any-policy/stage-decisions/{2**70}")
    assert huge.status_code == 422 and huge.json["errors"][0]["field"] == "sequence"
