"""Who was engaged, how, and what changed because of it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.base import LARGEST_WHOLE_NUMBER, SLUG_MAX, Tracked, slug_rule
from tracker.models.enums import EngagementGroup, EngagementMethod, enum_column_type


class EngagementBase(SQLModel):
    key: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule())
    group: EngagementGroup = Field(sa_type=enum_column_type(EngagementGroup, "engagement_group"))
    method: EngagementMethod = Field(
        sa_type=enum_column_type(EngagementMethod, "engagement_method")
    )
    held_on: date
    participants: int | None = Field(default=None, ge=0, le=LARGEST_WHOLE_NUMBER)
    what_we_heard: str = Field(min_length=1, sa_type=sa.Text)
    what_changed: str = Field(default="", sa_type=sa.Text)


class Engagement(EngagementBase, Tracked, table=True):
    """An entry in a policy's engagement log, optionally tied to one iteration of a pilot."""

    __table_args__ = (sa.UniqueConstraint("policy_id", "key"),)

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)
    iteration_id: int | None = Field(default=None, foreign_key="iteration.id", ondelete="SET NULL")


class EngagementCreate(EngagementBase):
    """`pilot` (slug) and `iteration` (number) together tie the entry to an iteration."""

    pilot: str | None = None
    iteration: int | None = Field(default=None, ge=1, le=LARGEST_WHOLE_NUMBER)


class EngagementUpdate(SQLModel):
    """Changes to an entry; setting `pilot` and `iteration` (both, or both None) re-ties it."""

    group: EngagementGroup | None = None
    method: EngagementMethod | None = None
    held_on: date | None = None
    participants: int | None = Field(default=None, ge=0, le=LARGEST_WHOLE_NUMBER)
    what_we_heard: str | None = Field(default=None, min_length=1)
    what_changed: str | None = None
    pilot: str | None = None
    iteration: int | None = Field(default=None, ge=1, le=LARGEST_WHOLE_NUMBER)
