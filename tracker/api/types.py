"""Field types the API shares, so every response says the same thing the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def _utc_text(moment: datetime) -> str:
    """RFC 3339 with its offset: SQLite hands back stored UTC times without one."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


UtcDatetime = Annotated[datetime, PlainSerializer(_utc_text, return_type=str, when_used="json")]
