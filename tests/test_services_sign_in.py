"""The sign-in service without Flask: passwords checked, failures counted, accounts locked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from tests import factories
from tracker.services.sign_in import FAILURE_WINDOW, LOCK_DURATION, MAX_FAILURES, Outcome, sign_in

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
EMAIL = "someone@example.gov.uk"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _attempt(session: Session, clock: Clock, password: str, email: str = EMAIL) -> Outcome:
    return sign_in(session=session, email=email, password=password, clock=clock).outcome


def test_right_password_signs_in_and_records_when(session: Session) -> None:
    factories.make_user(session)
    clock = Clock()
    result = sign_in(
        session=session, email=" SomeOne@Example.gov.uk ", password=factories.PASSWORD, clock=clock
    )
    assert result.outcome is Outcome.SIGNED_IN
    assert result.user is not None and result.user.email == EMAIL
    assert result.user.last_sign_in_at == START


def test_unknown_email_and_wrong_password_look_the_same(session: Session) -> None:
    factories.make_user(session)
    clock = Clock()
    assert _attempt(session, clock, "wrong password!") is Outcome.INVALID
    assert _attempt(session, clock, factories.PASSWORD, "nobody@example.gov.uk") is Outcome.INVALID


def test_inactive_user_cannot_sign_in(session: Session) -> None:
    factories.make_user(session, is_active=False)
    assert _attempt(session, Clock(), factories.PASSWORD) is Outcome.INVALID


def test_five_failures_lock_the_account_even_for_the_right_password(session: Session) -> None:
    user = factories.make_user(session)
    clock = Clock()
    outcomes = [_attempt(session, clock, f"wrong {n}") for n in range(MAX_FAILURES)]
    assert outcomes == [Outcome.INVALID] * (MAX_FAILURES - 1) + [Outcome.LOCKED]
    assert user.locked_until == START + LOCK_DURATION
    clock.now = START + LOCK_DURATION - timedelta(seconds=1)
    assert _attempt(session, clock, factories.PASSWORD) is Outcome.LOCKED


def test_lock_expires_after_its_duration(session: Session) -> None:
    factories.make_user(session)
    clock = Clock()
    for n in range(MAX_FAILURES):
        _attempt(session, clock, f"wrong {n}")
    clock.now = START + LOCK_DURATION
    assert _attempt(session, clock, factories.PASSWORD) is Outcome.SIGNED_IN


def test_after_a_lock_expires_one_wrong_password_does_not_relock(session: Session) -> None:
    factories.make_user(session)
    clock = Clock()
    for n in range(MAX_FAILURES):
        _attempt(session, clock, f"wrong {n}")
    clock.now = START + LOCK_DURATION
    assert _attempt(session, clock, "wrong again") is Outcome.INVALID
    assert _attempt(session, clock, factories.PASSWORD) is Outcome.SIGNED_IN


def test_success_resets_the_count(session: Session) -> None:
    user = factories.make_user(session)
    clock = Clock()
    for n in range(MAX_FAILURES - 1):
        _attempt(session, clock, f"wrong {n}")
    assert _attempt(session, clock, factories.PASSWORD) is Outcome.SIGNED_IN
    assert user.failed_sign_ins == 0
    for n in range(MAX_FAILURES - 1):
        assert _attempt(session, clock, f"wrong {n}") is Outcome.INVALID


def test_failures_spread_over_more_than_the_window_do_not_lock(session: Session) -> None:
    factories.make_user(session)
    clock = Clock()
    for n in range(MAX_FAILURES - 1):
        _attempt(session, clock, f"wrong {n}")
    clock.now = START + FAILURE_WINDOW + timedelta(seconds=1)
    assert _attempt(session, clock, "wrong again") is Outcome.INVALID
    assert _attempt(session, clock, factories.PASSWORD) is Outcome.SIGNED_IN


def test_sign_in_bookkeeping_is_audited_without_passwords(session: Session) -> None:
    user = factories.make_user(session)
    clock = Clock()
    _attempt(session, clock, "wrong password!")
    _attempt(session, clock, factories.PASSWORD)
    trail = factories.audit_trail(session, user)
    assert [event.summary for event in trail[1:]] == [
        f"Failed sign-in for {EMAIL}",
        f"{EMAIL} signed in",
    ]
    for event in trail:
        text = repr(event.before) + repr(event.after)
        assert "password" not in text and "scrypt" not in text
        assert factories.PASSWORD not in text and "wrong password!" not in text
