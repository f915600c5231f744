"""The audit trail read back: who changed a record, when, and what from and to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, SQLModel, col, func, select

from tracker import models
from tracker.models import AuditEvent, Iteration, Pilot, Policy
from tracker.models.enums import Role
from tracker.services.actors import ROLE_RANK, Actor
from tracker.services.errors import NotAllowed, NotFound

HISTORY_LIMIT = 500

# Every kind of record people edit, by the entity type its audit events carry (its table name).
AUDITED: dict[str, type[SQLModel]] = {
    table.__tablename__: table  # type: ignore[misc]
    for table in (
        models.Policy,
        models.StageDecision,
        models.UserNeed,
        models.Hypothesis,
        models.Metric,
        models.Pilot,
        models.AnalysisPlan,
        models.Iteration,
        models.Arm,
        models.ArmResult,
        models.Dataset,
        models.Decision,
        models.Engagement,
        models.AnalysisRun,
        models.User,
    )
}


# Events about people and their API tokens name who changed whose role or made which token:
# only admins, who manage users, read them (as on the web's history pages).
ADMIN_ONLY_TYPES = frozenset({"user", "api_token"})


@dataclass(frozen=True)
class AuditFilters:
    """Which events to list; empty fields match every event."""

    entity_type: str = ""
    entity_id: int | None = None
    actor_label: str = ""


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, and how many match in all."""

    total: int
    events: list[AuditEvent]


@dataclass(frozen=True)
class RecordRef:
    """A record named for a history page: what it is, what to call it, and where it lives."""

    entity_type: str
    entity_id: int
    title: str
    policy_slug: str | None
    pilot_slug: str | None


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


def describe_record(*, session: Session, entity_type: str, entity_id: int) -> RecordRef:
    """Name a record and find the policy and pilot it belongs to, for its history page.

    A deleted record (none can be deleted today, but an import could in future) still has a
    history: it is then named from its entity type alone.
    """
    table = AUDITED.get(entity_type)
    if table is None:
        raise NotFound("record type", entity_type)
    record = session.get(table, entity_id)
    if record is None:
        if not record_history(session=session, entity_type=entity_type, entity_id=entity_id):
            raise NotFound(entity_type.replace("_", " "), entity_id)
        label = f"{entity_type.replace('_', ' ').capitalize()} {entity_id}"
        return RecordRef(entity_type, entity_id, f"{label} (no longer exists)", None, None)
    pilot = _pilot_of(session, record)
    policy = session.get(Policy, pilot.policy_id) if pilot else _policy_of(session, record)
    return RecordRef(
        entity_type=entity_type,
        entity_id=entity_id,
        title=_title(session, record),
        policy_slug=policy.slug if policy else None,
        pilot_slug=pilot.slug if pilot else None,
    )


def _title(session: Session, record: SQLModel) -> str:
    kind = str(getattr(record, "__tablename__", "record")).replace("_", " ")
    for name in ("title", "name", "email", "key"):
        value = getattr(record, name, None)
        if value:
            return f"{kind.capitalize()}: {value}"
    if isinstance(record, models.StageDecision):
        return f"Stage decision {record.sequence}: to {record.to_stage.value}"
    if isinstance(record, models.AnalysisPlan):
        return f"Analysis plan version {record.plan_version}"
    if isinstance(record, Iteration):
        return f"Iteration v{record.number}"
    iteration = _iteration_of(session, record)
    if iteration is not None:
        return f"{kind.capitalize()} of iteration v{iteration.number}"
    return f"{kind.capitalize()} {getattr(record, 'id', '')}"


def _iteration_of(session: Session, record: SQLModel) -> Iteration | None:
    if isinstance(record, Iteration):
        return record
    iteration_id = getattr(record, "iteration_id", None)
    if iteration_id is None:
        arm_id = getattr(record, "arm_id", None)
        arm = session.get(models.Arm, arm_id) if arm_id is not None else None
        iteration_id = arm.iteration_id if arm else None
    return session.get(Iteration, iteration_id) if iteration_id is not None else None


def _pilot_of(session: Session, record: SQLModel) -> Pilot | None:
    if isinstance(record, Pilot):
        return record
    pilot_id = getattr(record, "pilot_id", None)
    if pilot_id is None and not isinstance(record, models.Engagement):
        iteration = _iteration_of(session, record)
        pilot_id = iteration.pilot_id if iteration else None
    return session.get(Pilot, pilot_id) if pilot_id is not None else None


def _policy_of(session: Session, record: SQLModel) -> Policy | None:
    if isinstance(record, Policy):
        return record
    policy_id = getattr(record, "policy_id", None)
    return session.get(Policy, policy_id) if policy_id is not None else None


def list_audit_events(
    *, session: Session, actor: Actor, filters: AuditFilters, limit: int, offset: int
) -> AuditPage:
    """The audit trail across every record, newest first, paged in the database.

    Anyone signed in may read it, except events about users and API tokens, which only admins
    see: for anyone else they are left out, and asking for that entity type is NotAllowed.
    """
    is_admin = ROLE_RANK[actor.role] >= ROLE_RANK[Role.ADMIN]
    if filters.entity_type in ADMIN_ONLY_TYPES and not is_admin:
        raise NotAllowed(
            f"{actor.label} has the {actor.role.value} role; only admins read the history of "
            f"{filters.entity_type.replace('_', ' ')} records"
        )
    conditions = []
    if filters.entity_type:
        conditions.append(col(AuditEvent.entity_type) == filters.entity_type)
    elif not is_admin:
        conditions.append(col(AuditEvent.entity_type).not_in(ADMIN_ONLY_TYPES))
    if filters.entity_id is not None:
        conditions.append(col(AuditEvent.entity_id) == filters.entity_id)
    if filters.actor_label:
        conditions.append(col(AuditEvent.actor_label) == filters.actor_label)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    events = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return AuditPage(total=total, events=list(events))
