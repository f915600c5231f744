"""Outcome metrics of a policy: what its pilots are judged on."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tracker.models import Metric, MetricCreate, MetricUpdate
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.policies import get_policy


def get_metric(*, session: Session, policy_slug: str, key: str) -> Metric:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.get_keyed(session, Metric, "policy_id", policy.id, key)


def list_metrics(*, session: Session, policy_slug: str) -> list[Metric]:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.list_keyed(session, Metric, "policy_id", policy.id)


def create_metric(
    *, session: Session, actor: Actor, policy_slug: str, data: MetricCreate | dict[str, Any]
) -> Metric:
    """Define an outcome metric for a policy (analysts define what counts as success)."""
    metric = records.validated(MetricCreate, data)
    policy = get_policy(session=session, slug=policy_slug)
    keyed.ensure_new_key(session, Metric, "policy_id", policy.id, metric.key)
    return records.insert(
        session,
        actor=actor,
        record=Metric(**metric.model_dump(), policy_id=records.id_of(policy)),
        summary=f"{policy.slug}: defined metric {metric.name}",
    )


def update_metric(
    *,
    session: Session,
    actor: Actor,
    policy_slug: str,
    key: str,
    data: MetricUpdate | dict[str, Any],
    expected_version: int | None,
) -> Metric:
    """Edit a metric; its kind is fixed because stored results depend on it."""
    changes = records.validated(MetricUpdate, data)
    metric = get_metric(session=session, policy_slug=policy_slug, key=key)
    return records.update(
        session,
        actor=actor,
        record=metric,
        changes=records.changes_of(changes),
        expected_version=expected_version,
        summary=f"{policy_slug}: edited metric {metric.name}",
    )
