"""Personal API tokens: made and revoked by their owner, checked on every API request.

A token is shown once, when it is made, and only its SHA-256 is kept. A token has no role of
its own: `authenticate` hands back its owner, and the caller acts with the owner's role as it is
now. Tokens are private to their owner: another person's token id is "not found" rather than
"not allowed", so ids reveal nothing. The caller commits, as with every service.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import ApiToken, User
from tracker.models.api_token import TOKEN_NAME_MAX, TOKEN_PREFIX_LENGTH
from tracker.models.base import utcnow
from tracker.models.enums import AuditAction
from tracker.services import records
from tracker.services.actors import Actor
from tracker.services.errors import NotFound, ServiceError, ValidationFailed

TOKEN_MARKER = "tlt_"  # noqa: S105  (a marker that says what a string is, not a secret)
# A real token is "tlt_" and 43 characters; anything far longer is refused before hashing.
LONGEST_TOKEN = 200
# Recording every use would write to the database on every API request; once a minute is
# plenty to tell a person whether a token is still in use.
LAST_USED_EVERY = timedelta(minutes=1)


def token_digest(plaintext: str) -> str:
    """The SHA-256 hex digest stored in place of a token.

    A token holds 256 random bits, so there is nothing to guess from a dictionary and a fast,
    unsalted hash is safe; being deterministic, it can be looked up by an index.
    """
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _owner_id(actor: Actor) -> int:
    """The actor's user id: tokens belong to people, never to the CLI or the importer."""
    if actor.user_id is None:
        raise ServiceError(f"{actor.label} is not a person, so it cannot have API tokens")
    return actor.user_id


def _audited(token: ApiToken) -> dict[str, Any]:
    """What the audit trail may say about a token: never the token nor its hash."""
    return {
        "user_id": token.user_id,
        "name": token.name,
        "token_prefix": token.token_prefix,
        "expires_at": records._plain(token.expires_at),
    }


def create_token(
    session: Session,
    actor: Actor,
    name: str,
    expires_at: datetime | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[ApiToken, str]:
    """Make a token for the actor themself; returns the record and the only copy of the token.

    `name` says what the token is for (1 to 100 characters); `expires_at`, if given, must be in
    the future. The plaintext is not stored, logged or audited anywhere.
    """
    owner_id = _owner_id(actor)
    name = name.strip()
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        raise ValidationFailed.single(
            "name", f"say what the token is for in 1 to {TOKEN_NAME_MAX} characters"
        )
    expires_at = _aware(expires_at)
    if expires_at is not None and expires_at <= clock():
        raise ValidationFailed.single("expires_at", "the expiry date must be in the future")
    plaintext = TOKEN_MARKER + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner_id,
        name=name,
        token_prefix=plaintext[:TOKEN_PREFIX_LENGTH],
        token_hash=token_digest(plaintext),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    records.audit(
        session,
        actor=actor,
        action=AuditAction.CREATE,
        record=token,
        before=None,
        after=_audited(token),
        summary=f"{actor.label} made API token {token.token_prefix}… ({name})",
    )
    return token, plaintext


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The actor's own tokens, revoked ones too, newest first (a system actor has none)."""
    if actor.user_id is None:
        return []
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == actor.user_id)
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        )
    )


def revoke_token(
    session: Session,
    actor: Actor,
    token_id: int,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> ApiToken:
    """Stop one of the actor's own tokens working, for good; revoking it again changes nothing.

    Someone else's token is NotFound, exactly as a token that does not exist.
    """
    token = session.exec(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == actor.user_id)
    ).first()
    if token is None or actor.user_id is None:
        raise NotFound("api token", token_id)
    if token.revoked_at is not None:
        return token
    now = clock()
    token.revoked_at = now
    token.version += 1
    token.updated_at = now
    session.add(token)
    session.flush()
    records.audit(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        record=token,
        before={"revoked_at": None},
        after={"revoked_at": records._plain(now)},
        summary=f"{actor.label} revoked API token {token.token_prefix}… ({token.name})",
    )
    return token


def is_known(session: Session, plaintext: str) -> bool:
    """Whether a token was ever made here (revoked and expired ones too).

    The rate limiter counts a known token on its own and anything else by address, so made-up
    tokens can neither dodge the limit nor add a row to the counters per request.
    """
    if not plaintext.startswith(TOKEN_MARKER) or len(plaintext) > LONGEST_TOKEN:
        return False
    found = session.exec(
        select(ApiToken.id).where(ApiToken.token_hash == token_digest(plaintext))
    ).first()
    return found is not None


def is_active(token: ApiToken, now: datetime) -> bool:
    """Whether the token would be accepted at `now` (its owner aside): not revoked or expired."""
    expires_at = _aware(token.expires_at)
    return token.revoked_at is None and (expires_at is None or now < expires_at)


def authenticate(
    session: Session,
    plaintext: str,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> User | None:
    """The active user whose live token this is, or None for anything else.

    None when the token is unknown, revoked or expired, or its owner is deactivated. On success
    the token's `last_used_at` is set, at most once a minute (flushed; the caller commits). The
    caller builds `Actor.for_user(user)`, so the request has the owner's role as it is now.
    """
    if not plaintext.startswith(TOKEN_MARKER) or len(plaintext) > LONGEST_TOKEN:
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_digest(plaintext))
    ).first()
    now = clock()
    if token is None or not is_active(token, now):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    last_used = _aware(token.last_used_at)
    if last_used is None or now - last_used >= LAST_USED_EVERY:
        token.last_used_at = now
        session.add(token)
        session.flush()
    return user
