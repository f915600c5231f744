"""Users and their roles. Passwords are stored only as salted scrypt hashes (werkzeug)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.models import User, UserCreate, UserUpdate
from tracker.services import records
from tracker.services.actors import Actor
from tracker.services.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 12


def get_user_by_email(*, session: Session, email: str) -> User:
    user: User = records.one_or_not_found(
        session, select(User).where(User.email == email.strip().lower()), "user", email
    )
    return user


def get_user(*, session: Session, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user: User = records.one_or_not_found(
        session, select(User).where(User.id == user_id), "user", user_id
    )
    return user


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def _password_hash(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.single(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    return generate_password_hash(password, method="scrypt")


def create_user(
    *, session: Session, actor: Actor, data: UserCreate | dict[str, Any], password: str
) -> User:
    """Add a user with a role; e-mail addresses are compared case-insensitively."""
    user_data = records.validated(UserCreate, data)
    email = user_data.email.strip().lower()
    if "@" not in email:
        raise ValidationFailed.single("email", "enter an email address like name@example.gov.uk")
    records.unique_or_conflict(
        session, select(User).where(User.email == email), f"a user with {email} already exists"
    )
    return records.insert(
        session,
        actor=actor,
        record=User(
            **user_data.model_dump(exclude={"email"}),
            email=email,
            password_hash=_password_hash(password),
        ),
        summary=f"Added user {email} ({user_data.role.value})",
    )


def update_user(
    *,
    session: Session,
    actor: Actor,
    email: str,
    data: UserUpdate | dict[str, Any],
    expected_version: int | None,
) -> User:
    changes = records.validated(UserUpdate, data)
    user = get_user_by_email(session=session, email=email)
    return records.update(
        session,
        actor=actor,
        record=user,
        changes=records.changes_of(changes),
        expected_version=expected_version,
        summary=f"Edited user {user.email}",
    )


def verify_password(user: User, password: str) -> bool:
    """True when the password matches the stored hash of an active user."""
    return bool(user.is_active and user.password_hash) and check_password_hash(
        user.password_hash or "", password
    )
