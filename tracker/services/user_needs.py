"""User needs ("As a …, I need …, so that …") and the metrics that show they are met."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, delete, select

from tracker.models import Metric, UserNeed, UserNeedCreate, UserNeedMetric, UserNeedUpdate
from tracker.models.enums import AuditAction
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.policies import get_policy


def list_user_needs(*, session: Session, policy_slug: str) -> list[UserNeed]:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.list_keyed(session, UserNeed, "policy_id", policy.id)


def get_user_need(*, session: Session, policy_slug: str, key: str) -> UserNeed:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.get_keyed(session, UserNeed, "policy_id", policy.id, key)


def metric_keys_of(*, session: Session, need: UserNeed) -> list[str]:
    """Keys of the metrics linked to a need, in link order."""
    return metric_keys_by_need(session=session, need_ids=[need.id or 0]).get(need.id or 0, [])


def metric_keys_by_need(*, session: Session, need_ids: list[int]) -> dict[int, list[str]]:
    """Each need's metric keys as `metric_keys_of` gives them, for many needs in one query."""
    rows = session.exec(
        select(UserNeedMetric.user_need_id, Metric.key)
        .join(UserNeedMetric, col(UserNeedMetric.metric_id) == col(Metric.id))
        .where(col(UserNeedMetric.user_need_id).in_(need_ids))
        .order_by(col(Metric.id))
    )
    keys: dict[int, list[str]] = defaultdict(list)
    for need_id, key in rows:
        keys[need_id].append(key)
    return keys


def _link_metrics(session: Session, actor: Actor, need: UserNeed, metric_keys: list[str]) -> bool:
    """Replace a need's metric links, auditing the change on the need; True if they changed.

    The links are a set read back in metric order, so the same keys in another order are no
    change (comparing lists would rewrite and audit them on every save).
    """
    before = metric_keys_of(session=session, need=need)
    if sorted(before) == sorted(metric_keys):
        return False
    metric_ids = keyed.ids_for_keys(
        session, Metric, "policy_id", need.policy_id, metric_keys, "metric_keys"
    )
    session.exec(delete(UserNeedMetric).where(col(UserNeedMetric.user_need_id) == need.id))
    session.add_all(
        UserNeedMetric(user_need_id=records.id_of(need), metric_id=m) for m in metric_ids
    )
    session.flush()
    records.audit(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        record=need,
        before={"metric_keys": before},
        after={"metric_keys": metric_keys},
        summary=f"Linked metrics of user need {need.key}",
    )
    return True


def create_user_need(
    *, session: Session, actor: Actor, policy_slug: str, data: UserNeedCreate | dict[str, Any]
) -> UserNeed:
    """Record a user need, linked to the policy's metrics named by key."""
    need_data = records.validated(UserNeedCreate, data)
    policy = get_policy(session=session, slug=policy_slug)
    keyed.ensure_new_key(session, UserNeed, "policy_id", policy.id, need_data.key)
    # Check the keys before inserting, so a rejected need leaves nothing behind in the session.
    keyed.ids_for_keys(
        session, Metric, "policy_id", policy.id, need_data.metric_keys, "metric_keys"
    )
    need = records.insert(
        session,
        actor=actor,
        record=UserNeed(
            **need_data.model_dump(exclude={"metric_keys"}), policy_id=records.id_of(policy)
        ),
        summary=f"{policy.slug}: recorded user need {need_data.key}",
    )
    _link_metrics(session, actor, need, need_data.metric_keys)
    return need


def update_user_need(
    *,
    session: Session,
    actor: Actor,
    policy_slug: str,
    key: str,
    data: UserNeedUpdate | dict[str, Any],
    expected_version: int | None,
) -> UserNeed:
    changes = records.validated(UserNeedUpdate, data)
    need = get_user_need(session=session, policy_slug=policy_slug, key=key)
    version = need.version
    records.update(
        session,
        actor=actor,
        record=need,
        changes=records.changes_of(changes, exclude=frozenset({"metric_keys"})),
        expected_version=expected_version,
        summary=f"{policy_slug}: edited user need {key}",
    )
    relinked = changes.metric_keys is not None and _link_metrics(
        session, actor, need, changes.metric_keys
    )
    if relinked and need.version == version:
        records.bump_version(session, need)
    return need
