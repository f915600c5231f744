"""Installation-wide settings an admin changes in the web UI, and the API's request counters.

Both live in the database, not in process memory or on local disk, so every app process behind
a load balancer sees the same switch and counts the same requests.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.base import Tracked, timestamp_type

SETTING_KEY_MAX = 80
RATE_BUCKET_MAX = 100


class SiteSetting(Tracked, table=True):
    """One named setting (for example `open_api_reads`) with its JSON value."""

    __tablename__ = "site_setting"

    key: str = Field(max_length=SETTING_KEY_MAX, unique=True, index=True)
    value: object = Field(default=None, sa_type=sa.JSON)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class ApiRateWindow(SQLModel, table=True):
    """How many API requests one caller (a token, or an address without one) made in a window.

    A fixed window keyed by (bucket, window_start) is counted with one upsert per request;
    windows that have ended are deleted when their caller's next window opens.
    """

    __tablename__ = "api_rate_window"

    bucket: str = Field(max_length=RATE_BUCKET_MAX, primary_key=True)
    window_start: datetime = Field(sa_type=timestamp_type(), primary_key=True)
    hits: int = Field(default=0, ge=0)
