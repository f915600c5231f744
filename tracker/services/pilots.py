"""Pilots: which hypotheses they test, how they are designed, and where they have got to."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from tracker.models import Hypothesis, Pilot, PilotCreate, PilotHypothesis, PilotUpdate, Policy
from tracker.models.enums import AuditAction
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.policies import get_policy


def get_pilot(*, session: Session, slug: str) -> Pilot:
    """The pilot with this slug, or NotFound."""
    pilot: Pilot = records.one_or_not_found(
        session, select(Pilot).where(Pilot.slug == slug), "pilot", slug
    )
    return pilot


def list_pilots(*, session: Session, policy_slug: str | None = None) -> list[Pilot]:
    """Pilots of one policy, or of the whole portfolio, oldest first."""
    statement = select(Pilot).order_by(col(Pilot.id))
    if policy_slug is not None:
        policy = get_policy(session=session, slug=policy_slug)
        statement = statement.where(Pilot.policy_id == policy.id)
    return list(session.exec(statement))


def hypothesis_keys_of(*, session: Session, pilot: Pilot) -> list[str]:
    """Keys of the hypotheses a pilot tests."""
    return list(
        session.exec(
            select(Hypothesis.key)
            .join(PilotHypothesis, col(PilotHypothesis.hypothesis_id) == col(Hypothesis.id))
            .where(PilotHypothesis.pilot_id == pilot.id)
            .order_by(col(Hypothesis.id))
        )
    )


def _link_hypotheses(session: Session, actor: Actor, pilot: Pilot, keys: list[str]) -> bool:
    """Replace the hypotheses a pilot tests, auditing the change; True if they changed.

    The links are a set read back in hypothesis order: the same keys in another order are no
    change.
    """
    before = hypothesis_keys_of(session=session, pilot=pilot)
    if sorted(before) == sorted(keys):
        return False
    ids = keyed.ids_for_keys(
        session, Hypothesis, "policy_id", pilot.policy_id, keys, "hypothesis_keys"
    )
    session.exec(delete(PilotHypothesis).where(col(PilotHypothesis.pilot_id) == pilot.id))
    session.add_all(PilotHypothesis(pilot_id=records.id_of(pilot), hypothesis_id=h) for h in ids)
    session.flush()
    records.audit(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        record=pilot,
        before={"hypothesis_keys": before},
        after={"hypothesis_keys": keys},
        summary=f"Linked hypotheses of pilot {pilot.slug}",
    )
    return True


def create_pilot(
    *, session: Session, actor: Actor, policy_slug: str, data: PilotCreate | dict[str, Any]
) -> Pilot:
    """Set up a pilot of a policy, linked to the hypotheses it tests."""
    pilot_data = records.validated(PilotCreate, data)
    policy: Policy = get_policy(session=session, slug=policy_slug)
    records.unique_or_conflict(
        session,
        select(Pilot).where(Pilot.slug == pilot_data.slug),
        f"a pilot with the slug {pilot_data.slug!r} already exists",
    )
    # Check the keys before inserting, so a rejected pilot leaves nothing behind in the session.
    keyed.ids_for_keys(
        session, Hypothesis, "policy_id", policy.id, pilot_data.hypothesis_keys, "hypothesis_keys"
    )
    pilot = records.insert(
        session,
        actor=actor,
        record=Pilot(
            **pilot_data.model_dump(exclude={"hypothesis_keys"}), policy_id=records.id_of(policy)
        ),
        summary=f"{policy.slug}: set up pilot {pilot_data.title}",
    )
    _link_hypotheses(session, actor, pilot, pilot_data.hypothesis_keys)
    return pilot


def update_pilot(
    *,
    session: Session,
    actor: Actor,
    slug: str,
    data: PilotUpdate | dict[str, Any],
    expected_version: int | None,
) -> Pilot:
    """Edit a pilot's design, status or dates, or the hypotheses it tests."""
    changes = records.validated(PilotUpdate, data)
    pilot = get_pilot(session=session, slug=slug)
    values = records.changes_of(changes, exclude=frozenset({"hypothesis_keys"}))
    # Validate the edited pilot as a whole, so cross-field rules (dates in order) still hold.
    records.validated(PilotCreate, {**pilot.model_dump(), **values})
    version = pilot.version
    records.update(
        session,
        actor=actor,
        record=pilot,
        changes=values,
        expected_version=expected_version,
        summary=f"Edited pilot {pilot.title}",
    )
    relinked = changes.hypothesis_keys is not None and _link_hypotheses(
        session, actor, pilot, changes.hypothesis_keys
    )
    if relinked and pilot.version == version:
        records.bump_version(session, pilot)
    return pilot
