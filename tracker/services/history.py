"""The audit trail read back: who changed a record, when, and what from and to."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker.models import AuditEvent

HISTORY_LIMIT = 500


def record_history(
    *, session: Session, entity_type: str, entity_id: int, limit: int = HISTORY_LIMIT
) -> list[AuditEvent]:
    """A record's audit events, newest first (bounded, so a busy record's page stays fast)."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        )
    )
