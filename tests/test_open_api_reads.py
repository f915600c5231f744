"""Open API reads (issue 7): without a token, published work only, and only while switched on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.api_helpers import ApiClient, api_client, records_of
from tests.web_helpers import seed
from tracker.api.open_reads import NEVER_OPEN, OPEN_READS
from tracker.models.enums import DecisionOutcome, MetricRole, Role
from tracker.services import results, site_settings
from tracker.services.actors import Actor

API = "/api/v1"
OPEN = "open-policy"
CLOSED = "closed-policy"


def _policy_with_a_pilot(session: Session, slug: str, pilot: str, *, published: bool) -> None:
    """A policy with one of each record under it, and a pilot with v1, results and a decision."""
    factories.make_policy(session, slug=slug, published=published)
    factories.make_metric(session, policy_slug=slug)
    factories.make_user_need(session, policy_slug=slug, metric_keys=["take-up"])
    factories.make_hypothesis(session, policy_slug=slug, measured_by="take-up")
    factories.make_engagement(session, policy_slug=slug)
    factories.make_pilot(session, policy_slug=slug, slug=pilot, hypothesis_keys=["letters-work"])
    factories.make_iteration_with_arms(session, pilot_slug=pilot)
    factories.record_results(
        session,
        {
            "control": {"metric": "take-up", "n": 100, "successes": 40},
            "new letter": {"metric": "take-up", "n": 100, "successes": 52},
        },
        pilot_slug=pilot,
    )
    factories.make_plan(session, pilot_slug=pilot, metrics=[("take-up", MetricRole.PRIMARY)])
    results.record_decision(
        session=session,
        actor=factories.EDITOR,
        pilot_slug=pilot,
        number=1,
        data={
            "outcome": DecisionOutcome.SCALE,
            "rationale": "It worked",
            "decided_by": "Programme board",
            "decided_on": factories.FIRST_DAY,
        },
    )


def _portfolio(session: Session) -> None:
    """One published and one unpublished policy, each with a pilot that has an analysis run."""
    from tracker.services.analysis import run_analysis

    _policy_with_a_pilot(session, OPEN, "open-pilot", published=True)
    _policy_with_a_pilot(session, CLOSED, "closed-pilot", published=False)
    for pilot in ("open-pilot", "closed-pilot"):
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug=pilot)


def _switch(session: Session, on: bool) -> None:
    row = site_settings.get_setting(session=session, key=site_settings.OPEN_API_READS)
    site_settings.change_setting(
        session=session,
        actor=Actor.system("test set-up"),
        key=site_settings.OPEN_API_READS,
        value=on,
        expected_version=row.version if row else 0,
    )


@pytest.fixture
def portfolio(app: Flask) -> Flask:
    """The app with both policies and open reads switched on."""
    seed(app, _portfolio)
    seed(app, lambda session: _switch(session, True))
    return app


def _run_ids(reader: ApiClient) -> dict[str, int]:
    """The id of each pilot's analysis run, read as a token holder would."""
    return {
        pilot: reader.get(f"{API}/pilots/{pilot}/analyses").get_json()["items"][0]["id"]
        for pilot in ("open-pilot", "closed-pilot")
    }


def _reads(policy: str, pilot: str, run_id: int) -> list[str]:
    """Every open read operation on one policy, its pilot and its analysis run."""
    base, arm = f"{API}/policies/{policy}", f"{API}/pilots/{pilot}/iterations/1/arms/control"
    return [
        base,
        f"{base}/stage-decisions",
        f"{base}/stage-decisions/1",
        f"{base}/metrics",
        f"{base}/metrics/take-up",
        f"{base}/user-needs",
        f"{base}/user-needs/know-eligibility",
        f"{base}/hypotheses",
        f"{base}/hypotheses/letters-work",
        f"{base}/engagement",
        f"{base}/engagement/parent-workshop",
        f"{API}/pilots/{pilot}",
        f"{API}/pilots/{pilot}/iterations",
        f"{API}/pilots/{pilot}/iterations/1",
        f"{API}/pilots/{pilot}/iterations/1/arms",
        arm,
        f"{arm}/results/take-up",
        f"{API}/pilots/{pilot}/iterations/1/results",
        f"{API}/pilots/{pilot}/iterations/1/decision",
        f"{API}/pilots/{pilot}/plans",
        f"{API}/pilots/{pilot}/plans/1",
        f"{API}/pilots/{pilot}/analyses",
        f"{API}/analyses/{run_id}",
    ]


def _stored(app: Flask) -> dict[str, Any]:
    """Every record, leaving out the API's request counters (every request counts)."""
    return {table: rows for table, rows in records_of(app).items() if table != "api_rate_window"}


def _unauthenticated(client: FlaskClient) -> tuple[int, dict[str, Any], str | None]:
    """What a request without a token gets when open reads are off: the reference 401."""
    response = client.get(f"{API}/audit-events")
    return response.status_code, response.get_json(), response.headers.get("WWW-Authenticate")


def _same_401(client: FlaskClient, response: Any) -> None:
    assert (
        response.status_code,
        response.get_json(),
        response.headers.get("WWW-Authenticate"),
    ) == (_unauthenticated(client)), response.request.path
    assert response.mimetype == "application/problem+json"


def test_every_read_operation_is_open_or_closed_on_purpose(app: Flask) -> None:
    """A new read operation fails here until someone decides whether it is open."""
    reads = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api_v1.") and "GET" in (rule.methods or ())
    }
    assert not set(OPEN_READS) & set(NEVER_OPEN)
    assert reads == set(OPEN_READS) | set(NEVER_OPEN), (
        f"undecided: {sorted(reads - set(OPEN_READS) - set(NEVER_OPEN))}, "
        f"gone: {sorted((set(OPEN_READS) | set(NEVER_OPEN)) - reads)}"
    )


def test_switched_off_every_read_needs_a_token(app: Flask) -> None:
    seed(app, _portfolio)
    runs = _run_ids(api_client(app))
    client = app.test_client()
    for path in (
        f"{API}/policies",
        f"{API}/pilots",
        *_reads(OPEN, "open-pilot", runs["open-pilot"]),
    ):
        _same_401(client, client.get(path))
    # Switched on and off again: closed again.
    seed(app, lambda session: _switch(session, True))
    assert client.get(f"{API}/policies/{OPEN}").status_code == 200
    seed(app, lambda session: _switch(session, False))
    _same_401(client, client.get(f"{API}/policies/{OPEN}"))


def test_published_work_is_readable_without_a_token(portfolio: Flask) -> None:
    client, reader = portfolio.test_client(), api_client(portfolio)
    runs = _run_ids(reader)
    for path in _reads(OPEN, "open-pilot", runs["open-pilot"]):
        anonymous = client.get(path)
        assert anonymous.status_code == 200, (path, anonymous.get_json())
        if "/analyses" not in path:  # the run list leaves out who ran each analysis
            assert anonymous.get_json() == reader.get(path).get_json(), path
        assert client.head(path).status_code == 200, path
    policy = client.get(f"{API}/policies/{OPEN}").get_json()
    assert policy["published"] is True
    document = client.get(f"{API}/analyses/{runs['open-pilot']}").get_json()
    assert document["pilot"] == "open-pilot" and document["comparisons"]
    listed = client.get(f"{API}/pilots/open-pilot/analyses").get_json()["items"]
    assert [run["actor_label"] for run in listed] == [""]
    assert (
        reader.get(f"{API}/pilots/open-pilot/analyses").get_json()["items"][0]["actor_label"]
        == factories.ANALYST.label
    )


def test_unpublished_and_unknown_work_answers_as_if_there_were_no_token(
    portfolio: Flask,
) -> None:
    reader = api_client(portfolio)
    runs = _run_ids(reader)
    client = portfolio.test_client()
    for path in _reads(CLOSED, "closed-pilot", runs["closed-pilot"]):
        _same_401(client, client.get(path))
    for path in _reads("no-such-policy", "no-such-pilot", 999_999):
        _same_401(client, client.get(path))
    for path in (f"{API}/analyses/abc", f"{API}/analyses/0", f"{API}/analyses/{10**30}"):
        _same_401(client, client.get(path))
    # A token holder still sees the unpublished policy.
    assert reader.get(f"{API}/policies/{CLOSED}").status_code == 200


def test_lists_hold_only_published_work_with_their_totals(portfolio: Flask) -> None:
    client, reader = portfolio.test_client(), api_client(portfolio)
    policies = client.get(f"{API}/policies?limit=1").get_json()
    assert [p["slug"] for p in policies["items"]] == [OPEN]
    assert policies["page"] == {"total": 1, "limit": 1, "offset": 0, "next_offset": None}
    assert reader.get(f"{API}/policies?limit=1").get_json()["page"]["total"] == 2
    pilots = client.get(f"{API}/pilots").get_json()
    assert [p["slug"] for p in pilots["items"]] == ["open-pilot"]
    assert pilots["page"]["total"] == 1
    assert client.get(f"{API}/pilots?policy={CLOSED}").get_json()["page"]["total"] == 0
    assert reader.get(f"{API}/pilots").get_json()["page"]["total"] == 2


def test_writes_and_closed_reads_still_need_a_token(portfolio: Flask) -> None:
    client = portfolio.test_client()
    before = _stored(portfolio)
    writes = [
        client.post(f"{API}/policies", json={}),
        client.put(f"{API}/policies/{OPEN}", json={"title": "Taken over"}),
        client.post(f"{API}/pilots/open-pilot/analyses"),
        client.post(f"{API}/policies/{OPEN}/metrics", json={}),
        client.post(f"{API}/portfolio/import", json={}),
    ]
    for response in writes:
        _same_401(client, response)
    for path in (
        f"{API}/audit-events",
        f"{API}/pilots/open-pilot/iterations/1/datasets",
        f"{API}/pilots/open-pilot/iterations/1/datasets/1",
        f"{API}/portfolio/export",
    ):
        _same_401(client, client.get(path))
    assert _stored(portfolio) == before


def test_a_malformed_or_bad_token_is_not_an_open_read(portfolio: Flask) -> None:
    """Only a request with no Authorization header at all reads anonymously."""
    client = portfolio.test_client()
    path = f"{API}/policies/{OPEN}"
    _same_401(client, client.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"}))
    bad = client.get(path, headers={"Authorization": "Bearer tlt_not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["title"] == "Invalid token"


def test_the_openapi_document_describes_open_reads(app: Flask) -> None:
    description = app.test_client().get(f"{API}/openapi.json").get_json()["info"]["description"]
    assert "Open reads" in description and "/admin/settings" in description
    assert "Audit events, datasets, the portfolio export" in description


def test_published_is_part_of_a_policy_in_the_api(app: Flask) -> None:
    editor = api_client(app, Role.EDITOR)
    created = editor.post(
        f"{API}/policies",
        json={
            "policy": {**factories.policy_data("shown-policy"), "published": True},
            "first_decision": {
                **factories.decision_data(),
                "decided_on": factories.FIRST_DAY.isoformat(),
            },
        },
    )
    assert created.status_code == 201 and created.get_json()["published"] is True
    changed = editor.put(
        f"{API}/policies/shown-policy", json={"published": False}, headers={"If-Match": '"v1"'}
    )
    assert changed.status_code == 200 and changed.get_json()["published"] is False
