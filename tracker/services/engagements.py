"""The engagement log: who was engaged, how, what we heard and what changed because of it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tracker.models import Engagement, EngagementCreate, EngagementUpdate, Iteration, Pilot, Policy
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.errors import ValidationFailed
from tracker.services.policies import get_policy


def list_engagements(*, session: Session, policy_slug: str) -> list[Engagement]:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.list_keyed(session, Engagement, "policy_id", policy.id)


def iterations_named(*, session: Session, iteration_ids: list[int]) -> dict[int, tuple[str, int]]:
    """(pilot slug, iteration number) of each iteration id: one query for a whole log's ties."""
    rows = session.exec(
        select(Iteration.id, Pilot.slug, Iteration.number)
        .join(Pilot)
        .where(col(Iteration.id).in_(iteration_ids))
    )
    return {iteration_id or 0: (slug, number) for iteration_id, slug, number in rows}


def _iteration_id(
    session: Session, policy: Policy, pilot_slug: str | None, number: int | None
) -> int | None:
    """The iteration an entry is tied to; both pilot and number, of this policy, or neither."""
    if pilot_slug is None and number is None:
        return None
    if pilot_slug is None or number is None:
        raise ValidationFailed.single(
            "iteration", "give both the pilot and the iteration number, or neither"
        )
    iteration_id = session.exec(
        select(Iteration.id)
        .join(Pilot)
        .where(Pilot.slug == pilot_slug, Pilot.policy_id == policy.id, Iteration.number == number)
    ).first()
    if iteration_id is None:
        raise ValidationFailed.single(
            "iteration", f"pilot {pilot_slug!r} of this policy has no iteration {number}"
        )
    return iteration_id


def create_engagement(
    *, session: Session, actor: Actor, policy_slug: str, data: EngagementCreate | dict[str, Any]
) -> Engagement:
    """Log an engagement with the public, staff, experts or users."""
    entry = records.validated(EngagementCreate, data)
    policy = get_policy(session=session, slug=policy_slug)
    keyed.ensure_new_key(session, Engagement, "policy_id", policy.id, entry.key)
    return records.insert(
        session,
        actor=actor,
        record=Engagement(
            **entry.model_dump(exclude={"pilot", "iteration"}),
            policy_id=records.id_of(policy),
            iteration_id=_iteration_id(session, policy, entry.pilot, entry.iteration),
        ),
        summary=f"{policy.slug}: logged engagement {entry.key}",
    )


def update_engagement(
    *,
    session: Session,
    actor: Actor,
    policy_slug: str,
    key: str,
    data: EngagementUpdate | dict[str, Any],
    expected_version: int | None,
) -> Engagement:
    changes = records.validated(EngagementUpdate, data)
    policy = get_policy(session=session, slug=policy_slug)
    entry = keyed.get_keyed(session, Engagement, "policy_id", policy.id, key)
    values = records.changes_of(changes, exclude=frozenset({"pilot", "iteration"}))
    if {"pilot", "iteration"} & changes.model_fields_set:
        values["iteration_id"] = _iteration_id(session, policy, changes.pilot, changes.iteration)
    return records.update(
        session,
        actor=actor,
        record=entry,
        changes=values,
        expected_version=expected_version,
        summary=f"{policy_slug}: edited engagement {key}",
    )
