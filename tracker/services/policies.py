"""Policies and their stage history: a stage changes only through a recorded StageDecision."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from tracker.models import Policy, PolicyCreate, PolicyUpdate, StageDecision, StageDecisionCreate
from tracker.models.enums import STAGE_ORDER, PolicyStage
from tracker.models.policy import THEORY_OF_CHANGE_PARTS
from tracker.services import records
from tracker.services.actors import Actor
from tracker.services.errors import FieldError, ValidationFailed


def get_policy(*, session: Session, slug: str) -> Policy:
    """The policy with this slug, or NotFound."""
    policy: Policy = records.one_or_not_found(
        session, select(Policy).where(Policy.slug == slug), "policy", slug
    )
    return policy


def list_policies(*, session: Session) -> list[Policy]:
    """Every policy, by title."""
    return list(session.exec(select(Policy).order_by(col(Policy.title))))


def _check_theory_of_change(theory: dict[str, list[str]]) -> None:
    unknown = sorted(set(theory) - set(THEORY_OF_CHANGE_PARTS))
    if unknown:
        raise ValidationFailed.single(
            "theory_of_change",
            f"unknown part(s) {', '.join(unknown)}; expected {', '.join(THEORY_OF_CHANGE_PARTS)}",
        )


def is_skip(from_stage: PolicyStage | None, to_stage: PolicyStage) -> bool:
    """True when a move is not the single next step (a first record counts from `idea`)."""
    if from_stage is None:
        return to_stage is not PolicyStage.IDEA
    return STAGE_ORDER.index(to_stage) != STAGE_ORDER.index(from_stage) + 1


def _check_decision(
    decision: StageDecisionCreate, from_stage: PolicyStage | None, previous: StageDecision | None
) -> None:
    """A move must change the stage, explain any jump, and not pre-date the previous move."""
    problems: list[FieldError] = []
    if from_stage is not None and decision.to_stage is from_stage:
        problems.append(FieldError("to_stage", f"the policy is already at {from_stage.value}"))
    if is_skip(from_stage, decision.to_stage) and not (decision.skip_reason or "").strip():
        start = from_stage.value if from_stage else "nothing (a new record)"
        problems.append(
            FieldError(
                "skip_reason",
                f"moving from {start} to {decision.to_stage.value} skips or reverses stages; "
                "say why",
            )
        )
    if not decision.rationale.strip():
        problems.append(FieldError("rationale", "give the rationale for this decision"))
    if previous is not None and decision.decided_on < previous.decided_on:
        problems.append(
            FieldError(
                "decided_on",
                f"must be on or after the previous decision ({previous.decided_on.isoformat()})",
            )
        )
    if problems:
        raise ValidationFailed(problems)


def _append_decision(
    session: Session,
    actor: Actor,
    policy: Policy,
    decision: StageDecisionCreate,
    from_stage: PolicyStage | None,
    sequence: int,
) -> StageDecision:
    return records.insert(
        session,
        actor=actor,
        record=StageDecision(
            **decision.model_dump(),
            policy_id=records.id_of(policy),
            sequence=sequence,
            from_stage=from_stage,
            recorded_by_id=actor.user_id,
        ),
        summary=f"{policy.slug}: {from_stage.value if from_stage else 'new'} → "
        f"{decision.to_stage.value}",
    )


def create_policy(
    *,
    session: Session,
    actor: Actor,
    data: PolicyCreate | dict[str, Any],
    first_decision: StageDecisionCreate | dict[str, Any],
) -> Policy:
    """Record a policy at the stage of its first decision (starting past `idea` needs a reason)."""
    policy_data = records.validated(PolicyCreate, data)
    decision = records.validated(StageDecisionCreate, first_decision)
    _check_theory_of_change(policy_data.theory_of_change)
    _check_decision(decision, None, None)
    records.unique_or_conflict(
        session,
        select(Policy).where(Policy.slug == policy_data.slug),
        f"a policy with the slug {policy_data.slug!r} already exists",
    )
    policy = records.insert(
        session,
        actor=actor,
        record=Policy(**policy_data.model_dump(exclude={"stage"}), stage=decision.to_stage),
        summary=f"Recorded policy {policy_data.title}",
    )
    _append_decision(session, actor, policy, decision, None, 1)
    return policy


def update_policy(
    *,
    session: Session,
    actor: Actor,
    slug: str,
    data: PolicyUpdate | dict[str, Any],
    expected_version: int | None,
) -> Policy:
    """Change a policy's description; its stage moves only through decide_stage."""
    changes = records.validated(PolicyUpdate, data)
    if changes.theory_of_change is not None:
        _check_theory_of_change(changes.theory_of_change)
    policy = get_policy(session=session, slug=slug)
    return records.update(
        session,
        actor=actor,
        record=policy,
        changes=records.changes_of(changes),
        expected_version=expected_version,
        summary=f"Edited policy {policy.title}",
    )


def stage_history(*, session: Session, slug: str) -> list[StageDecision]:
    """A policy's stage decisions, oldest first."""
    policy = get_policy(session=session, slug=slug)
    return list(
        session.exec(
            select(StageDecision)
            .where(StageDecision.policy_id == policy.id)
            .order_by(col(StageDecision.sequence))
        )
    )


def decide_stage(
    *,
    session: Session,
    actor: Actor,
    slug: str,
    data: StageDecisionCreate | dict[str, Any],
    expected_version: int | None,
) -> StageDecision:
    """Move a policy to a new stage, recording who decided, why and on what evidence."""
    decision = records.validated(StageDecisionCreate, data)
    policy = get_policy(session=session, slug=slug)
    records.check_version(policy, expected_version)
    previous = session.exec(
        select(StageDecision)
        .where(StageDecision.policy_id == policy.id)
        .order_by(col(StageDecision.sequence).desc())
    ).first()
    _check_decision(decision, policy.stage, previous)
    count = session.exec(
        select(func.count()).select_from(StageDecision).where(StageDecision.policy_id == policy.id)
    ).one()
    recorded = _append_decision(session, actor, policy, decision, policy.stage, count + 1)
    records.update(
        session,
        actor=actor,
        record=policy,
        changes={"stage": decision.to_stage},
        expected_version=None,
        summary=f"Stage of {policy.title} moved to {decision.to_stage.value}",
    )
    return recorded
