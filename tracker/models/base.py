"""What every table shares: a naming convention for constraints, timestamps and a version column.

Named constraints are what let Alembic drop or alter them later, on SQLite (batch mode rebuilds
tables) as on PostgreSQL; the version column is how a stale form is detected instead of silently
overwriting someone else's edit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationInfo
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The largest count any whole-number input may hold: far above any real sample, and inside
# PostgreSQL's INTEGER, so an absurd number is a field error, never a database crash.
LARGEST_WHOLE_NUMBER = 1_000_000_000
SLUG_MAX = 80
TITLE_MAX = 200


def slug_rule() -> dict[str, str]:
    """The slug pattern as pydantic 2 reads it.

    SQLModel's `Field(regex=...)` is the pydantic 1 spelling: pydantic 2 drops it without a word,
    which let "Bad Slug" through every Create schema. `pattern` has to travel in `schema_extra`.
    """
    return {"pattern": SLUG_PATTERN}


def ends_on_or_after(start_field: str) -> Callable[[date | None, ValidationInfo], date | None]:
    """A field validator: this end date may not fall before `start_field` (reported on the end)."""

    def check(value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get(start_field)
        if value is not None and start is not None and value < start:
            raise ValueError(f"must be on or after {start_field} ({start.isoformat()})")
        return value

    return check


def utcnow() -> datetime:
    """Timezone-aware now, so PostgreSQL and SQLite agree on what was stored."""
    return datetime.now(UTC)


def timestamp_type() -> sa.DateTime:
    return sa.DateTime(timezone=True)


class Tracked(SQLModel):
    """Columns on every record a person edits: id, timestamps and an optimistic-lock version."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=timestamp_type())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=timestamp_type())
    version: int = Field(default=1, ge=1)

    @declared_attr  # type: ignore[arg-type]
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805  (SQLAlchemy passes the class)
        """Every UPDATE says `WHERE version = <the version read>`.

        Comparing versions in Python (records.check_version) cannot see a write that commits
        between the read and the UPDATE — two app processes taking the same If-Match at once
        both passed it, and one update was lost (bench/two_writers.py found it). With the
        version as SQLAlchemy's version column, the later UPDATE matches no row and raises
        StaleDataError, which records turns into StaleVersion. The services still set the new
        version themselves (`version_id_generator` off), so a change that keeps the version
        (sign-in bookkeeping) stays cheap and never conflicts.
        """
        # Each table class has its own __table__; the mixin itself has none.
        table: sa.Table = cls.__table__  # type: ignore[attr-defined]
        return {"version_id_col": table.c.version, "version_id_generator": False}
