"""API rate limits: how many requests a caller made in the current fixed window.

The count lives in the database (`api_rate_window`), not in process memory, so every gunicorn
worker and every app server behind a load balancer adds to the same number. Each request is
one atomic `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits`: two workers
counting the same caller at the same moment cannot both read 5 and both write 6. The caller
commits, as with every service, and should do so at once so the count is seen by the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Insert, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from tracker.models.base import utcnow
from tracker.models.site import ApiRateWindow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RateLimitState:
    """Where a caller stands in the current window, after counting this request."""

    limit: int
    hits: int
    reset_after_seconds: int  # whole seconds until the window ends, at least 1

    @property
    def remaining(self) -> int:
        """Requests left in this window (never negative)."""
        return max(self.limit - self.hits, 0)

    @property
    def allowed(self) -> bool:
        """Whether this request is within the limit."""
        return self.hits <= self.limit


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window holding `now`: whole multiples of the window since 1970.

    Whole seconds only, so every process computes exactly the same key for the same window.
    """
    elapsed = math.floor((now - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=elapsed - elapsed % window_seconds)


def _increment(session: Session, bucket: str, start: datetime) -> int:
    """Add one hit to (bucket, start), creating the row at 1; the hits after this request."""
    row = {"bucket": bucket, "window_start": start, "hits": 1}
    key = [col(ApiRateWindow.bucket), col(ApiRateWindow.window_start)]
    add_one = {"hits": col(ApiRateWindow.hits) + 1}
    dialect = session.get_bind().dialect.name
    upsert: Insert
    if dialect == "postgresql":
        upsert = postgresql.insert(ApiRateWindow).values(row)
        upsert = upsert.on_conflict_do_update(index_elements=key, set_=add_one)
    elif dialect == "sqlite":
        upsert = sqlite.insert(ApiRateWindow).values(row)
        upsert = upsert.on_conflict_do_update(index_elements=key, set_=add_one)
    else:
        raise RuntimeError(f"API rate limits need SQLite or PostgreSQL, not {dialect}")
    hits: int = session.execute(upsert.returning(col(ApiRateWindow.hits))).scalar_one()
    return hits


def count_request(
    *,
    session: Session,
    bucket: str,
    limit: int,
    window_seconds: int,
    clock: Callable[[], datetime] = utcnow,
) -> RateLimitState:
    """Count one request by `bucket` (e.g. "token:…" or "address:…") and say if it is allowed.

    `limit` requests are allowed per `window_seconds`-long fixed window. When this request opens
    the caller's new window, the caller's ended windows are deleted, so the table holds about
    one row per recent caller. Not committed: the caller commits.
    """
    now = clock()
    start = window_start(now, window_seconds)
    hits = _increment(session, bucket, start)
    if hits == 1:
        session.execute(
            delete(ApiRateWindow).where(
                col(ApiRateWindow.bucket) == bucket, col(ApiRateWindow.window_start) < start
            )
        )
    window_end = start + timedelta(seconds=window_seconds)
    reset_after = max(math.ceil((window_end - now).total_seconds()), 1)
    return RateLimitState(limit=limit, hits=hits, reset_after_seconds=reset_after)
