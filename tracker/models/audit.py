"""The audit trail: who changed what, when, from what to what. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.base import timestamp_type, utcnow
from tracker.models.enums import AuditAction, enum_column_type


class AuditEvent(SQLModel, table=True):
    """One change to one record; `before`/`after` hold the changed fields only."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=timestamp_type(), index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_label: str = Field(max_length=200)
    action: AuditAction = Field(sa_type=enum_column_type(AuditAction, "audit_action"))
    entity_type: str = Field(max_length=60)
    entity_id: int
    summary: str = Field(default="", max_length=500)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
