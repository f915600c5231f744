"""Optimistic locking and the audit trail, checked the same way for every noun a person edits.

Each entry of UPDATERS edits one record of the world `make_world` builds; `{}` as the change
reads the record back without writing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from tracker.models.enums import AuditAction
from tracker.services import (
    engagements,
    hypotheses,
    iterations,
    metrics,
    pilots,
    plans,
    policies,
    user_needs,
    users,
)
from tracker.services.errors import Conflict

from .factories import ADMIN, audit_count, audit_trail, make_world

Updater = Callable[[Session, dict[str, Any], int | None], Any]
UPDATERS: dict[str, tuple[Updater, str, Any]] = {
    "policy": (
        lambda s, d, v: policies.update_policy(
            session=s, actor=ADMIN, slug="school-meals", data=d, expected_version=v
        ),
        "title",
        "Universal school meals",
    ),
    "metric": (
        lambda s, d, v: metrics.update_metric(
            session=s,
            actor=ADMIN,
            policy_slug="school-meals",
            key="take-up",
            data=d,
            expected_version=v,
        ),
        "unit",
        "pupils",
    ),
    "user_need": (
        lambda s, d, v: user_needs.update_user_need(
            session=s,
            actor=ADMIN,
            policy_slug="school-meals",
            key="know-eligibility",
            data=d,
            expected_version=v,
        ),
        "so_that",
        "they eat well",
    ),
    "hypothesis": (
        lambda s, d, v: hypotheses.update_hypothesis(
            session=s,
            actor=ADMIN,
            policy_slug="school-meals",
            key="letters-work",
            data=d,
            expected_version=v,
        ),
        "status",
        "testing",
    ),
    "pilot": (
        lambda s, d, v: pilots.update_pilot(
            session=s, actor=ADMIN, slug="letter-trial", data=d, expected_version=v
        ),
        "place",
        "Leeds",
    ),
    "iteration": (
        lambda s, d, v: iterations.update_iteration(
            session=s,
            actor=ADMIN,
            pilot_slug="letter-trial",
            number=1,
            data=d,
            expected_version=v,
        ),
        "why",
        "Letters were ignored",
    ),
    "arm": (
        lambda s, d, v: iterations.update_arm(
            session=s,
            actor=ADMIN,
            pilot_slug="letter-trial",
            number=1,
            name="control",
            data=d,
            expected_version=v,
        ),
        "description",
        "Business as usual",
    ),
    "analysis_plan": (
        lambda s, d, v: plans.update_plan(
            session=s,
            actor=ADMIN,
            pilot_slug="letter-trial",
            version=1,
            data=d,
            expected_version=v,
        ),
        "alpha",
        0.01,
    ),
    "engagement": (
        lambda s, d, v: engagements.update_engagement(
            session=s,
            actor=ADMIN,
            policy_slug="school-meals",
            key="parent-workshop",
            data=d,
            expected_version=v,
        ),
        "participants",
        12,
    ),
    "user": (
        lambda s, d, v: users.update_user(
            session=s, actor=ADMIN, email="someone@example.gov.uk", data=d, expected_version=v
        ),
        "display_name",
        "Someone Else",
    ),
}


def plain(value: Any) -> Any:
    """Enums are audited by value."""
    return getattr(value, "value", value)


@pytest.mark.parametrize("entity", sorted(UPDATERS))
def test_create_and_update_are_audited_with_changed_fields_only(
    session: Session, entity: str
) -> None:
    make_world(session, with_user=entity == "user")
    update, field, value = UPDATERS[entity]
    record = update(session, {}, None)
    created = audit_trail(session, record)[0]  # links to metrics or hypotheses may follow
    assert created.action is AuditAction.CREATE
    assert (created.entity_type, created.entity_id) == (entity, record.id)
    assert created.actor_label.endswith("@example.gov.uk")
    assert created.before is None
    assert created.after is not None
    assert created.after["id"] == record.id
    assert created.after[field] == plain(getattr(record, field))
    assert not {"created_at", "updated_at", "version", "password_hash"} & set(created.after)
    old_value = plain(getattr(record, field))
    count = audit_count(session)

    record = update(session, {field: value}, 1)

    assert record.version == 2
    assert plain(getattr(update(session, {}, None), field)) == value
    assert audit_count(session) == count + 1
    event = audit_trail(session, record)[-1]
    assert event.action is AuditAction.UPDATE
    assert (event.entity_type, event.entity_id) == (entity, record.id)
    assert event.actor_label == ADMIN.label
    assert (event.before, event.after) == ({field: old_value}, {field: value})


@pytest.mark.parametrize("entity", sorted(UPDATERS))
def test_no_op_and_stale_updates_write_nothing(session: Session, entity: str) -> None:
    make_world(session, with_user=entity == "user")
    update, field, value = UPDATERS[entity]
    current = getattr(update(session, {}, None), field)
    count = audit_count(session)

    assert update(session, {field: current}, 1).version == 1
    assert audit_count(session) == count

    update(session, {field: value}, 1)
    with pytest.raises(Conflict, match="version 1, it is now version 2") as raised:
        update(session, {field: current}, 1)
    assert raised.value.current is not None
    assert raised.value.current[field] == value
    assert plain(getattr(update(session, {}, None), field)) == value
    assert audit_count(session) == count + 1
