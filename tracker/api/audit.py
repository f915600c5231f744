"""/api/v1/audit-events: the audit trail, read-only, for reporting and assurance tools.

Every change any service makes is recorded once, as it happens; this lists those records
(newest first) so another system can follow who changed what without scraping history pages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from tracker.api.auth import api_actor
from tracker.api.pagination import PageInfo, PageQuery, page_info
from tracker.api.paths import MAX_ID
from tracker.api.problems import Problem
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models.enums import AuditAction
from tracker.services.history import AuditFilters, list_audit_events

TAG = Tag(name="Audit events", description="Who changed which record, when, from what to what")


class AuditEventOut(BaseModel):
    """One change to one record; `before` and `after` hold the changed fields only."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: UtcDatetime
    actor_label: str = Field(description="Who made the change (an email, or a system process)")
    action: AuditAction
    entity_type: str = Field(description="The kind of record (policy, pilot, analysis_plan, …)")
    entity_id: int
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEventList(BaseModel):
    items: list[AuditEventOut]
    page: PageInfo


class AuditQuery(PageQuery):
    """Filters: each one given narrows the list."""

    offset: int = Field(default=0, ge=0, le=MAX_ID, description="How many items to skip")
    entity_type: str = Field(
        default="",
        max_length=60,
        pattern=r"^[a-z_]*$",
        description="Only this kind of record, e.g. `policy`",
    )
    entity_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Only the record with this id"
    )
    actor: str = Field(
        default="",
        max_length=200,
        pattern=r"^[^\x00]*$",  # PostgreSQL text cannot hold NUL
        description="Only changes by this actor (their email, exactly)",
    )


def register(api: APIBlueprint) -> None:
    """Add the audit trail's operation to the API blueprint."""

    @api.get(
        "/audit-events", tags=[TAG], responses={200: AuditEventList, 403: Problem, 422: Problem}
    )
    def list_events(query: AuditQuery) -> Response:
        """Recorded changes, newest first. Events about users and API tokens are shown to
        admins only (asking for those entity types otherwise is 403)."""
        found = list_audit_events(
            session=get_session(),
            actor=api_actor(),
            filters=AuditFilters(
                entity_type=query.entity_type.strip(),
                entity_id=query.entity_id,
                actor_label=query.actor.strip(),
            ),
            limit=query.limit,
            offset=query.offset,
        )
        body = AuditEventList(
            items=[AuditEventOut.model_validate(event) for event in found.events],
            page=page_info(found.total, query),
        )
        return jsonify(body.model_dump(mode="json"))
