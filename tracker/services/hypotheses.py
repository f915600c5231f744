"""Hypotheses: "We believe that <change> for <users> will <outcome>, measured by <metric>"."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from tracker.models import Hypothesis, HypothesisCreate, HypothesisUpdate, Metric, Policy
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.policies import get_policy


def list_hypotheses(*, session: Session, policy_slug: str) -> list[Hypothesis]:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.list_keyed(session, Hypothesis, "policy_id", policy.id)


def get_hypothesis(*, session: Session, policy_slug: str, key: str) -> Hypothesis:
    policy = get_policy(session=session, slug=policy_slug)
    return keyed.get_keyed(session, Hypothesis, "policy_id", policy.id, key)


def _metric_id(session: Session, policy: Policy, metric_key: str | None) -> int | None:
    if metric_key is None:
        return None
    return keyed.ids_for_keys(session, Metric, "policy_id", policy.id, [metric_key], "measured_by")[
        0
    ]


def create_hypothesis(
    *, session: Session, actor: Actor, policy_slug: str, data: HypothesisCreate | dict[str, Any]
) -> Hypothesis:
    """Record a hypothesis, optionally measured by one of the policy's metrics."""
    hypothesis = records.validated(HypothesisCreate, data)
    policy = get_policy(session=session, slug=policy_slug)
    keyed.ensure_new_key(session, Hypothesis, "policy_id", policy.id, hypothesis.key)
    return records.insert(
        session,
        actor=actor,
        record=Hypothesis(
            **hypothesis.model_dump(exclude={"measured_by"}),
            policy_id=records.id_of(policy),
            metric_id=_metric_id(session, policy, hypothesis.measured_by),
        ),
        summary=f"{policy.slug}: recorded hypothesis {hypothesis.key}",
    )


def update_hypothesis(
    *,
    session: Session,
    actor: Actor,
    policy_slug: str,
    key: str,
    data: HypothesisUpdate | dict[str, Any],
    expected_version: int | None,
) -> Hypothesis:
    """Edit a hypothesis or move its status (untested → testing → supported / refuted / …)."""
    changes = records.validated(HypothesisUpdate, data)
    policy = get_policy(session=session, slug=policy_slug)
    hypothesis = keyed.get_keyed(session, Hypothesis, "policy_id", policy.id, key)
    values = records.changes_of(changes, exclude=frozenset({"measured_by"}))
    if "measured_by" in changes.model_fields_set:
        values["metric_id"] = _metric_id(session, policy, changes.measured_by)
    return records.update(
        session,
        actor=actor,
        record=hypothesis,
        changes=values,
        expected_version=expected_version,
        summary=f"{policy_slug}: edited hypothesis {key}",
    )
