"""Test data made through the services, so every record is valid by construction (STYLE.md §5).

Each `make_*` takes the session and the acting Actor first, then keyword overrides of the
fields that matter to a test; everything else gets a plain, valid default.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from tracker.models import (
    AnalysisPlan,
    Arm,
    AuditEvent,
    Engagement,
    Hypothesis,
    Iteration,
    Metric,
    Pilot,
    Policy,
    User,
    UserNeed,
)
from tracker.models.enums import (
    Direction,
    EngagementGroup,
    EngagementMethod,
    MetricKind,
    MetricRole,
    PilotDesign,
    PolicyStage,
    Role,
)
from tracker.services import (
    engagements,
    hypotheses,
    iterations,
    metrics,
    pilots,
    plans,
    policies,
    results,
    user_needs,
    users,
)
from tracker.services.actors import Actor

VIEWER = Actor(label="viewer@example.gov.uk", role=Role.VIEWER)
EDITOR = Actor(label="editor@example.gov.uk", role=Role.EDITOR)
ANALYST = Actor(label="analyst@example.gov.uk", role=Role.ANALYST)
ADMIN = Actor(label="admin@example.gov.uk", role=Role.ADMIN)

FIRST_DAY = date(2025, 1, 6)
PASSWORD = "correct horse battery"


def policy_data(slug: str = "school-meals", **fields: Any) -> dict[str, Any]:
    """The fields of a valid PolicyCreate."""
    return {
        "slug": slug,
        "title": f"Policy {slug}",
        "team": "Test and Learn Unit",
        "problem_statement": "Too few eligible families take up free school meals.",
        **fields,
    }


def decision_data(to_stage: PolicyStage = PolicyStage.IDEA, **fields: Any) -> dict[str, Any]:
    """The fields of a valid StageDecisionCreate."""
    return {
        "to_stage": to_stage,
        "rationale": f"Ready for {to_stage.value}",
        "decided_by": "Programme board",
        "decided_on": FIRST_DAY,
        **fields,
    }


def make_policy(
    session: Session,
    actor: Actor = EDITOR,
    *,
    slug: str = "school-meals",
    stage: PolicyStage = PolicyStage.IDEA,
    skip_reason: str | None = None,
    decided_on: date = FIRST_DAY,
    **fields: Any,
) -> Policy:
    """A policy recorded at `stage` (a stage past idea gets a skip reason unless one is given)."""
    if stage is not PolicyStage.IDEA and skip_reason is None:
        skip_reason = "Carried over from an earlier programme"
    return policies.create_policy(
        session=session,
        actor=actor,
        data=policy_data(slug, **fields),
        first_decision=decision_data(stage, skip_reason=skip_reason, decided_on=decided_on),
    )


def make_metric(
    session: Session,
    actor: Actor = ANALYST,
    *,
    policy_slug: str = "school-meals",
    key: str = "take-up",
    kind: MetricKind | str = MetricKind.BINARY,
    **fields: Any,
) -> Metric:
    """An outcome metric of a policy."""
    data = {
        "key": key,
        "name": key.replace("-", " ").capitalize(),
        "kind": kind,
        "direction": Direction.INCREASE,
        **fields,
    }
    return metrics.create_metric(session=session, actor=actor, policy_slug=policy_slug, data=data)


def make_user_need(
    session: Session,
    actor: Actor = EDITOR,
    *,
    policy_slug: str = "school-meals",
    key: str = "know-eligibility",
    metric_keys: list[str] | None = None,
    **fields: Any,
) -> UserNeed:
    """A user need, linked to the policy's metrics named by key."""
    data = {
        "key": key,
        "as_a": "parent on a low income",
        "i_need": "to know my child is eligible",
        "so_that": "they get a free lunch",
        "metric_keys": metric_keys or [],
        **fields,
    }
    return user_needs.create_user_need(
        session=session, actor=actor, policy_slug=policy_slug, data=data
    )


def make_hypothesis(
    session: Session,
    actor: Actor = EDITOR,
    *,
    policy_slug: str = "school-meals",
    key: str = "letters-work",
    measured_by: str | None = None,
    **fields: Any,
) -> Hypothesis:
    """A hypothesis, optionally measured by one of the policy's metrics."""
    data = {
        "key": key,
        "we_believe": "a simpler letter",
        "for_users": "eligible parents",
        "will": "raise take-up",
        "measured_by": measured_by,
        **fields,
    }
    return hypotheses.create_hypothesis(
        session=session, actor=actor, policy_slug=policy_slug, data=data
    )


def make_pilot(
    session: Session,
    actor: Actor = EDITOR,
    *,
    policy_slug: str = "school-meals",
    slug: str = "letter-trial",
    hypothesis_keys: list[str] | None = None,
    **fields: Any,
) -> Pilot:
    """A pilot of a policy, linked to the hypotheses it tests."""
    data = {
        "slug": slug,
        "title": f"Pilot {slug}",
        "design": PilotDesign.INDIVIDUAL_RCT,
        "hypothesis_keys": hypothesis_keys or [],
        **fields,
    }
    return pilots.create_pilot(session=session, actor=actor, policy_slug=policy_slug, data=data)


def make_iteration(
    session: Session,
    actor: Actor = EDITOR,
    *,
    pilot_slug: str = "letter-trial",
    number: int = 1,
    **fields: Any,
) -> Iteration:
    """Iteration vN of a pilot."""
    data = {"number": number, "title": f"Version {number}", **fields}
    return iterations.create_iteration(
        session=session, actor=actor, pilot_slug=pilot_slug, data=data
    )


def make_iteration_with_arms(
    session: Session,
    actor: Actor = EDITOR,
    *,
    pilot_slug: str = "letter-trial",
    number: int = 1,
    arms: tuple[tuple[str, bool, float], ...] = (
        ("control", True, 0.5),
        ("new letter", False, 0.5),
    ),
) -> tuple[Iteration, list[Arm]]:
    """An iteration with arms given as (name, is_control, allocation)."""
    iteration = make_iteration(session, actor, pilot_slug=pilot_slug, number=number)
    made = [
        iterations.create_arm(
            session=session,
            actor=actor,
            pilot_slug=pilot_slug,
            number=number,
            data={"name": name, "is_control": is_control, "allocation": allocation},
        )
        for name, is_control, allocation in arms
    ]
    return iteration, made


def record_results(
    session: Session,
    per_arm: dict[str, dict[str, Any]],
    *,
    pilot_slug: str = "letter-trial",
    number: int = 1,
) -> None:
    """Per-arm results as an analyst types them: {arm name: {"metric": …, "n": …, …}}."""
    for arm_name, data in per_arm.items():
        results.record_result(
            session=session,
            actor=ANALYST,
            pilot_slug=pilot_slug,
            number=number,
            arm_name=arm_name,
            data=data,
        )


def make_trial(session: Session) -> tuple[Policy, Metric, Pilot]:
    """A policy with a binary and a continuous metric, a pilot, and v1 with control + treatment."""
    policy = make_policy(session)
    metric = make_metric(session, key="take-up", kind=MetricKind.BINARY)
    make_metric(session, key="days-to-claim", kind=MetricKind.CONTINUOUS)
    pilot = make_pilot(session)
    make_iteration_with_arms(session)
    return policy, metric, pilot


def make_plan(
    session: Session,
    actor: Actor = ANALYST,
    *,
    pilot_slug: str = "letter-trial",
    metrics: list[tuple[str, MetricRole]] | None = None,
    **fields: Any,
) -> AnalysisPlan:
    """The next analysis plan version; `metrics` are (key, role) pairs."""
    specs = [{"metric": key, "role": role, "test": ""} for key, role in (metrics or [])]
    data = {"estimand": "difference in take-up", "metrics": specs, **fields}
    return plans.create_plan(session=session, actor=actor, pilot_slug=pilot_slug, data=data)


def make_engagement(
    session: Session,
    actor: Actor = EDITOR,
    *,
    policy_slug: str = "school-meals",
    key: str = "parent-workshop",
    held_on: date = FIRST_DAY,
    **fields: Any,
) -> Engagement:
    """An entry in a policy's engagement log."""
    data = {
        "key": key,
        "group": EngagementGroup.USERS,
        "method": EngagementMethod.WORKSHOP,
        "held_on": held_on,
        "what_we_heard": "The letter was hard to follow.",
        **fields,
    }
    return engagements.create_engagement(
        session=session, actor=actor, policy_slug=policy_slug, data=data
    )


def make_user(
    session: Session,
    actor: Actor = ADMIN,
    *,
    email: str = "someone@example.gov.uk",
    role: Role = Role.EDITOR,
    password: str = PASSWORD,
    **fields: Any,
) -> User:
    """A user with a role and a password."""
    data = {"email": email, "display_name": "Someone", "role": role, **fields}
    return users.create_user(session=session, actor=actor, data=data, password=password)


def make_world(session: Session, *, with_user: bool = False) -> None:
    """One of every noun, so each writer has something to act on (users hash slowly: opt in)."""
    make_trial(session)
    make_user_need(session, metric_keys=["take-up"])
    make_hypothesis(session, measured_by="take-up")
    make_plan(session, metrics=[("take-up", MetricRole.PRIMARY)])
    make_engagement(session)
    if with_user:
        make_user(session)


def audit_count(session: Session) -> int:
    """How many AuditEvents exist, counting what is pending in the session."""
    session.flush()
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def audit_trail(session: Session, record: Any) -> list[AuditEvent]:
    """Every AuditEvent about one record, oldest first."""
    session.flush()
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == str(record.__tablename__),
                AuditEvent.entity_id == record.id,
            )
            .order_by(col(AuditEvent.id))
        )
    )
