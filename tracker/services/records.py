"""The write path every service shares: validate, insert or update with a version check, audit.

Keeping this in one place is what makes "every change writes an AuditEvent" and "a stale edit
is a Conflict" true for every noun rather than for the ones someone remembered.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel

from tracker.models import AuditEvent
from tracker.models.base import Tracked, utcnow
from tracker.models.enums import AuditAction
from tracker.services.actors import Actor, require_write
from tracker.services.errors import (
    Conflict,
    FieldError,
    NotFound,
    StaleVersion,
    ValidationFailed,
)

Schema = TypeVar("Schema", bound=BaseModel)
Record = TypeVar("Record", bound=SQLModel)

# Columns that change on every write, hold bulk data (file bytes, result rows) or secrets:
# kept out of the audit trail.
UNAUDITED = frozenset({"created_at", "updated_at", "version", "content", "password_hash", "rows"})


def validated(schema: type[Schema], data: Schema | dict[str, Any]) -> Schema:
    """Parse input into a schema, turning pydantic's errors into ValidationFailed by field."""
    if isinstance(data, schema):
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(
            [
                FieldError(".".join(str(part) for part in issue["loc"]) or "input", issue["msg"])
                for issue in error.errors()
            ]
        ) from None


def id_of(record: SQLModel) -> int:
    """The primary key of a stored record (every record a service hands out has been flushed)."""
    value = getattr(record, "id", None)
    if value is None:
        raise RuntimeError(f"{type(record).__name__} has not been flushed, so it has no id yet")
    return int(value)


def entity_type(record: SQLModel) -> str:
    """The table name doubles as the audit trail's and the permission table's noun."""
    return str(record.__tablename__)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(record: SQLModel) -> dict[str, Any]:
    """The record's audited columns as JSON-ready values."""
    fields = type(record).model_fields
    return snapshot_of(type(record), {name: getattr(record, name) for name in fields})


def snapshot_of(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """What `snapshot` gives for a row of `model` held as a dict (bulk paths build no objects)."""
    return {name: _plain(values.get(name)) for name in model.model_fields if name not in UNAUDITED}


def audit(
    session: Session,
    *,
    actor: Actor,
    action: AuditAction,
    record: SQLModel,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str,
) -> None:
    """Append one AuditEvent for a change to `record`."""
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            actor_label=actor.label[:200],
            action=action,
            entity_type=entity_type(record),
            entity_id=int(getattr(record, "id", 0) or 0),
            summary=summary[:500],
            before=before,
            after=after,
        )
    )


def insert(session: Session, *, actor: Actor, record: Record, summary: str) -> Record:
    """Add a new record (after the role check) and audit its creation."""
    require_write(actor, entity_type(record))
    session.add(record)
    session.flush()
    audit(
        session,
        actor=actor,
        action=AuditAction.CREATE,
        record=record,
        before=None,
        after=snapshot(record),
        summary=summary,
    )
    return record


def check_version(record: SQLModel, expected_version: int | None) -> None:
    """Raise Conflict when the caller edited an older version than the one stored."""
    current = int(getattr(record, "version", 1))
    if expected_version is not None and expected_version != current:
        raise StaleVersion(
            f"This {entity_type(record).replace('_', ' ')} was changed by someone else "
            f"(you edited version {expected_version}, it is now version {current}). "
            "Review their changes before saving yours.",
            current={**snapshot(record), "version": current},
        )


def update(
    session: Session,
    *,
    actor: Actor,
    record: Record,
    changes: dict[str, Any],
    expected_version: int | None,
    summary: str,
) -> Record:
    """Apply `changes` if the version matches; audit only the fields that really changed.

    `expected_version=None` is for trusted bulk paths (the importer), which take the stored
    version as read in the same transaction.
    """
    require_write(actor, entity_type(record))
    check_version(record, expected_version)
    _refuse_nulls(record, changes)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(record, name)
        if old != value:
            before[name] = _plain(old)
            after[name] = _plain(value)
            setattr(record, name, value)
    if not after:
        return record
    record.version = int(getattr(record, "version", 1)) + 1
    record.updated_at = utcnow()
    flush_versioned(session, record)
    audit(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        record=record,
        before=before,
        after=after,
        summary=summary,
    )
    return record


def _refuse_nulls(record: SQLModel, changes: dict[str, Any]) -> None:
    """An Update schema's None means "no value", which a NOT NULL column cannot hold: say so
    field by field, rather than let the database fail the whole transaction."""
    columns = record.__table__.c  # type: ignore[attr-defined]
    problems = [
        FieldError(name, "cannot be empty; leave it out to keep the current value")
        for name, value in changes.items()
        if value is None and name in columns and not columns[name].nullable
    ]
    if problems:
        raise ValidationFailed(problems)


def bump_version(session: Session, record: Tracked) -> None:
    """Count a change made outside the record's own columns (its links) as a new version.

    A need's metrics, a pilot's hypotheses and a plan's metrics live in link tables, but a form
    that showed the old links is as stale as one that showed an old title.
    """
    record.version += 1
    record.updated_at = utcnow()
    flush_versioned(session, record)


def flush_versioned(session: Session, record: SQLModel) -> None:
    """Write a changed record, or raise StaleVersion if another process saved it first.

    The UPDATE carries `WHERE version = <the version read>` (models.base.Tracked), so a write
    that landed after this transaction read the record matches no row; the caller's
    transaction must then be rolled back, which every service caller does on a ServiceError.
    """
    session.add(record)
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion(
            f"This {entity_type(record).replace('_', ' ')} was changed by someone else while "
            "your change was being saved, so yours was not saved. Open it again and reapply "
            "your change to the current version."
        ) from None


def changes_of(data: BaseModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a caller actually set on an Update schema (unset means 'leave as is')."""
    return {name: getattr(data, name) for name in data.model_fields_set if name not in exclude}


def one_or_not_found(session: Session, statement: Any, entity: str, key: object) -> Any:
    """The single row a select finds, or NotFound naming what was looked for."""
    row = session.exec(statement).first()
    if row is None:
        raise NotFound(entity, key)
    return row


def unique_or_conflict(session: Session, statement: Any, message: str) -> None:
    """Raise Conflict when a row already matches: friendlier than the database's IntegrityError."""
    if session.exec(statement).first() is not None:
        raise Conflict(message)
