"""Personal API tokens: how a data pipeline acts as the person who made the token.

Only a SHA-256 of the token is stored, never the token: a leaked database or backup gives no
one a working token. The first few characters are kept in the clear so a person can tell their
tokens apart in a list. A token carries no role of its own: each request acts with its owner's
role as it is at that moment, so a demoted or deactivated person's tokens lose rights at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from tracker.models.base import Tracked, timestamp_type

TOKEN_NAME_MAX = 100
TOKEN_PREFIX_LENGTH = 12


class ApiToken(Tracked, table=True):
    """One person's token for the JSON API; revoked tokens are kept, so the list shows them."""

    __tablename__ = "api_token"

    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    name: str = Field(min_length=1, max_length=TOKEN_NAME_MAX)
    token_prefix: str = Field(max_length=TOKEN_PREFIX_LENGTH)
    # SHA-256 hex of the whole token: a token is 256 random bits, so a fast hash is enough
    # (no dictionary to guess from), and an exact-match index can find it.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    last_used_at: datetime | None = Field(default=None, sa_type=timestamp_type())
    revoked_at: datetime | None = Field(default=None, sa_type=timestamp_type())
    expires_at: datetime | None = Field(default=None, sa_type=timestamp_type())
