"""API rate limits: counted per token (or address) in the database, shared by every process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from tests.api_helpers import ApiClient, api_client, token_for
from tests.conftest import make_app
from tracker.api import rate_limit
from tracker.api.problems import PROBLEM_JSON
from tracker.db import get_engine
from tracker.models import ApiRateWindow
from tracker.models.enums import Role
from tracker.services.api_tokens import token_digest
from tracker.services.rate_limits import count_request, window_start

# Ten seconds into a minute: a 60-second window started at 09:00:00 and resets in 50 s.
START = datetime(2026, 11, 24, 9, 0, 10, tzinfo=UTC)
WINDOW = 60
LIST = "/api/v1/policies"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The API's rate-limit clock, under the test's control."""
    clock = Clock()
    monkeypatch.setattr(rate_limit, "utcnow", clock)
    return clock


def limited(app: Flask, limit: int = 3) -> Flask:
    app.config.update(API_RATE_LIMIT=limit, API_RATE_WINDOW_SECONDS=WINDOW)
    return app


def windows(app: Flask) -> list[tuple[str, datetime, int]]:
    """Every stored window as (bucket, start in UTC, hits), oldest first."""
    with Session(get_engine(app.config["DATABASE_URL"])) as session:
        rows = session.exec(select(ApiRateWindow).order_by(col(ApiRateWindow.window_start)))
        return [(r.bucket, r.window_start.replace(tzinfo=UTC), r.hits) for r in rows]


def rate_headers(response: TestResponse) -> tuple[str | None, ...]:
    """The response's RateLimit-Limit, -Remaining and -Reset headers."""
    return tuple(
        response.headers.get(f"RateLimit-{name}") for name in ("Limit", "Remaining", "Reset")
    )


def test_the_request_over_the_limit_gets_429_with_retry_after(app: Flask, clock: Clock) -> None:
    caller = api_client(limited(app), Role.VIEWER)
    answers = [caller.get(LIST) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [rate_headers(a) for a in answers] == [("3", str(n), "50") for n in (2, 1, 0)]

    refused = caller.get(LIST)
    assert refused.status_code == 429
    assert refused.mimetype == PROBLEM_JSON
    assert refused.json["title"] == "Too many requests"
    assert refused.json["status"] == 429
    assert "3 API requests every 60 seconds" in refused.json["detail"]
    assert "Try again in 50 seconds" in refused.json["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    assert refused.headers["Retry-After"] == "50"
    assert rate_headers(refused) == ("3", "0", "50")

    clock.now = START + timedelta(seconds=49, milliseconds=500)
    assert caller.get(LIST).headers["Retry-After"] == "1"  # never 0: a client would not wait


def test_each_token_has_its_own_count(app: Flask, clock: Clock) -> None:
    first = api_client(limited(app), Role.VIEWER)
    for _ in range(4):
        first.get(LIST)
    assert first.get(LIST).status_code == 429
    second = api_client(app, Role.EDITOR)
    answer = second.get(LIST)
    assert answer.status_code == 200 and rate_headers(answer)[1] == "2"
    bucket = "token:" + token_digest(first.token)[:32]
    assert (bucket, START.replace(second=0), 5) in windows(app)  # refusals are counted too


def test_the_next_window_allows_again_and_drops_the_ended_one(app: Flask, clock: Clock) -> None:
    caller = api_client(limited(app), Role.VIEWER)
    other = api_client(app, Role.EDITOR)
    other.get(LIST)
    for _ in range(4):
        caller.get(LIST)
    clock.now = START + timedelta(seconds=WINDOW)
    answer = caller.get(LIST)
    assert answer.status_code == 200 and rate_headers(answer) == ("3", "2", "50")
    stored = windows(app)
    mine = [row for row in stored if row[0] == "token:" + token_digest(caller.token)[:32]]
    assert mine == [(mine[0][0], START.replace(second=0) + timedelta(seconds=WINDOW), 1)]
    assert len(stored) == 2  # the other caller's window stays until its own next request


def test_two_app_processes_on_one_database_share_the_count(
    app: Flask, migrated_url: str, tmp_path: Path, clock: Clock
) -> None:
    token = token_for(limited(app), Role.VIEWER)
    second_worker = limited(make_app(migrated_url, tmp_path / "second-instance"))
    workers = [ApiClient(app.test_client(), token), ApiClient(second_worker.test_client(), token)]
    codes = [workers[n % 2].get(LIST).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_concurrent_requests_are_each_counted_once(migrated_url: str) -> None:
    """The upsert is atomic: no two workers read the same count and write the same next one."""
    engine = get_engine(migrated_url)

    def worker() -> None:
        for _ in range(10):
            with Session(engine) as session:
                count_request(
                    session=session, bucket="address:192.0.2.9", limit=100, window_seconds=3600
                )
                session.commit()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as session:
        assert sum(row.hits for row in session.exec(select(ApiRateWindow))) == 40


def test_callers_without_a_token_are_counted_by_address_and_failed_sign_ins_count(
    app: Flask, clock: Clock
) -> None:
    client = limited(app).test_client()
    here = {"REMOTE_ADDR": "192.0.2.1"}
    answers = [client.get(LIST, environ_base=here) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert rate_headers(answers[0]) == ("3", "2", "50")
    elsewhere = client.get(LIST, environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert elsewhere.status_code == 401 and rate_headers(elsewhere)[1] == "2"
    # Made-up tokens, a new one each time, count against their address: no dodging the limit,
    # and no new counter row per request.
    elsewhere_again = {"REMOTE_ADDR": "192.0.2.3"}
    wrong = [
        client.get(
            LIST, headers={"Authorization": f"Bearer tlt_made_up_{n}"}, environ_base=elsewhere_again
        )
        for n in range(4)
    ]
    assert [a.status_code for a in wrong] == [401, 401, 401, 429]
    assert {row[0] for row in windows(app)} == {
        "address:192.0.2.1",
        "address:192.0.2.2",
        "address:192.0.2.3",
    }


def test_a_limit_of_zero_turns_limiting_off(app: Flask, clock: Clock) -> None:
    caller = api_client(limited(app, limit=0), Role.VIEWER)
    answers = [caller.get(LIST) for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert all(rate_headers(a) == (None, None, None) for a in answers)
    assert windows(app) == []


def test_documents_and_web_pages_are_never_limited(app: Flask, clock: Clock) -> None:
    client = limited(app, limit=1).test_client()
    for path in ("/api/v1/openapi.json", "/api/v1/swagger", "/sign-in"):
        for _ in range(3):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert rate_headers(answer) == (None, None, None), path
    assert windows(app) == []


def test_the_document_names_429_on_every_operation(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    operations = [op for item in paths.values() for op in item.values() if "responses" in op]
    assert operations
    assert all("429" in op["responses"] for op in operations)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("API_RATE_LIMIT", "lots"), ("API_RATE_LIMIT", "-1"), ("API_RATE_WINDOW_SECONDS", "0")],
)
def test_nonsense_settings_stop_the_app_at_start(
    monkeypatch: pytest.MonkeyPatch, migrated_url: str, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.setenv(f"TRACKER_{variable}", value)
    with pytest.raises(ValueError, match=f"TRACKER_{variable}.*must be a whole number.*{value!r}"):
        make_app(migrated_url, tmp_path / "instance")


def test_settings_from_the_environment_are_numbers(
    monkeypatch: pytest.MonkeyPatch, migrated_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_API_RATE_LIMIT", "30")
    monkeypatch.setenv("TRACKER_API_RATE_WINDOW_SECONDS", " 10 ")
    app = make_app(migrated_url, tmp_path / "instance")
    assert (app.config["API_RATE_LIMIT"], app.config["API_RATE_WINDOW_SECONDS"]) == (30, 10)


def test_the_service_counts_with_one_upsert_per_request(session: Session) -> None:
    clock = Clock()

    def count(bucket: str = "token:a") -> tuple[int, int, int, bool]:
        state = count_request(
            session=session, bucket=bucket, limit=2, window_seconds=WINDOW, clock=clock
        )
        return state.hits, state.remaining, state.reset_after_seconds, state.allowed

    assert [count() for _ in range(3)] == [(1, 1, 50, True), (2, 0, 50, True), (3, 0, 50, False)]
    assert count("token:b") == (1, 1, 50, True)
    clock.now = START + timedelta(seconds=WINDOW + 5)
    assert count() == (1, 1, 45, True)
    session.commit()
    stored = session.exec(select(ApiRateWindow.bucket, ApiRateWindow.window_start)).all()
    opened = START.replace(second=0)
    assert sorted((b, s.replace(tzinfo=UTC)) for b, s in stored) == [
        ("token:a", opened + timedelta(seconds=WINDOW)),  # its ended window is gone
        ("token:b", opened),
    ]


def test_windows_are_whole_multiples_of_their_length() -> None:
    assert window_start(START, 60) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert window_start(START, 3600) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    # 09:00:10.999999 is 1_795_510_810.999999 s after 1970; 1_795_510_808 is a multiple of 7.
    assert window_start(START.replace(microsecond=999_999), 7) == datetime(
        2026, 11, 24, 9, 0, 8, tzinfo=UTC
    )
