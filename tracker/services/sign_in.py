"""Signing in: check a password, count failures, lock an account after too many.

An unknown address and a wrong password give the same outcome. A locked account has its own
outcome so callers and tests can tell, but the web page shows one message for both (naming the
lock as a possibility), so the page never reveals whether an address has an account.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.models import User
from tracker.models.base import utcnow
from tracker.models.enums import AuditAction
from tracker.services import records
from tracker.services.actors import Actor

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


@cache
def _dummy_hash() -> str:
    """Checked against when the address is unknown, so both paths cost one scrypt verification
    and response times do not reveal which addresses have accounts."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    """What happened; `user` is set only when the outcome is SIGNED_IN."""

    outcome: Outcome
    user: User | None = None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _record(session: Session, user: User, changes: dict[str, Any], summary: str) -> None:
    """Apply and audit bookkeeping changes (never the password or its hash)."""
    before = {name: records._plain(getattr(user, name)) for name in changes}
    for name, value in changes.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    records.audit(
        session,
        actor=Actor(label=user.email, role=user.role, user_id=user.id),
        action=AuditAction.UPDATE,
        record=user,
        before=before,
        after={name: records._plain(value) for name, value in changes.items()},
        summary=summary,
    )


def sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    clock: Callable[[], datetime] = utcnow,
) -> SignInResult:
    """Check an e-mail and password; lock the account after MAX_FAILURES within FAILURE_WINDOW.

    A locked account is refused even with the right password until LOCK_DURATION has passed;
    a successful sign-in clears the failure count. The caller commits.
    """
    now = clock()
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.is_active or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return SignInResult(Outcome.INVALID)
    locked_until = _aware(user.locked_until)
    if locked_until is not None and now < locked_until:
        return SignInResult(Outcome.LOCKED)
    if check_password_hash(user.password_hash, password):
        _record(
            session,
            user,
            {
                "failed_sign_ins": 0,
                "first_failed_sign_in_at": None,
                "locked_until": None,
                "last_sign_in_at": now,
            },
            f"{user.email} signed in",
        )
        return SignInResult(Outcome.SIGNED_IN, user)
    first = _aware(user.first_failed_sign_in_at)
    if first is None or now - first > FAILURE_WINDOW or locked_until is not None:
        failures, first = 1, now
    else:
        failures = user.failed_sign_ins + 1
    if failures >= MAX_FAILURES:
        _record(
            session,
            user,
            {
                "failed_sign_ins": 0,
                "first_failed_sign_in_at": None,
                "locked_until": now + LOCK_DURATION,
            },
            f"{user.email} locked after {failures} failed sign-ins",
        )
        return SignInResult(Outcome.LOCKED)
    _record(
        session,
        user,
        {"failed_sign_ins": failures, "first_failed_sign_in_at": first, "locked_until": None},
        f"Failed sign-in for {user.email}",
    )
    return SignInResult(Outcome.INVALID)
