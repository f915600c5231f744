"""Read models for pages: a policy or a pilot with everything shown about it, in few queries.

Pages and the API read through these instead of walking relationships lazily, so the number of
queries per page stays fixed however large the portfolio grows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from tracker.models import (
    AnalysisPlan,
    Arm,
    ArmResult,
    Dataset,
    Decision,
    Engagement,
    Hypothesis,
    Iteration,
    Metric,
    Pilot,
    PilotHypothesis,
    PlanMetric,
    Policy,
    StageDecision,
    User,
    UserNeed,
    UserNeedMetric,
)
from tracker.services.errors import NotFound


@dataclass(frozen=True)
class PolicySummary:
    """A row of the portfolio list."""

    policy: Policy
    pilot_count: int


@dataclass(frozen=True)
class UserNeedView:
    need: UserNeed
    metrics: list[Metric]


@dataclass(frozen=True)
class PolicyOverview:
    """Everything the policy page shows."""

    policy: Policy
    stage_history: list[StageDecision]
    metrics: list[Metric]
    user_needs: list[UserNeedView]
    hypotheses: list[Hypothesis]
    engagements: list[Engagement]
    pilots: list[Pilot]

    def metric_by_id(self) -> dict[int, Metric]:
        return {metric.id: metric for metric in self.metrics if metric.id is not None}


@dataclass(frozen=True)
class ArmView:
    arm: Arm
    results: dict[int, ArmResult]  # by metric id


@dataclass(frozen=True)
class IterationView:
    iteration: Iteration
    arms: list[ArmView]
    decision: Decision | None


@dataclass(frozen=True)
class PlanView:
    plan: AnalysisPlan
    metrics: list[tuple[PlanMetric, Metric]]


@dataclass(frozen=True)
class PilotOverview:
    """Everything the pilot page shows: its policy, metrics, plans and iterations with results."""

    pilot: Pilot
    policy: Policy
    metrics: list[Metric]
    hypotheses: list[Hypothesis]
    plans: list[PlanView]
    iterations: list[IterationView] = field(default_factory=list)

    def reported_metrics(self) -> list[Metric]:
        """Metrics with at least one result in this pilot, in the policy's order."""
        reported = {
            metric_id for view in self.iterations for arm in view.arms for metric_id in arm.results
        }
        return [metric for metric in self.metrics if metric.id in reported]


def list_policy_summaries(*, session: Session) -> list[PolicySummary]:
    """Every policy, by title, with its number of pilots (two queries in all)."""
    policies = session.exec(select(Policy).order_by(col(Policy.title))).all()
    counts: dict[int, int] = defaultdict(int)
    for policy_id in session.exec(select(Pilot.policy_id)).all():
        counts[policy_id] += 1
    return [PolicySummary(policy, counts[policy.id or 0]) for policy in policies]


def _policy_by_slug(session: Session, slug: str) -> Policy:
    policy = session.exec(select(Policy).where(Policy.slug == slug)).first()
    if policy is None:
        raise NotFound("policy", slug)
    return policy


def get_policy_overview(*, session: Session, slug: str) -> PolicyOverview:
    """The policy with its history, metrics, needs (with their metrics), hypotheses and pilots."""
    policy = _policy_by_slug(session, slug)
    metrics = list(
        session.exec(select(Metric).where(Metric.policy_id == policy.id).order_by(col(Metric.id)))
    )
    metric_by_id = {metric.id: metric for metric in metrics}
    needs = session.exec(
        select(UserNeed).where(UserNeed.policy_id == policy.id).order_by(col(UserNeed.id))
    ).all()
    links = session.exec(
        select(UserNeedMetric)
        .where(col(UserNeedMetric.user_need_id).in_([n.id for n in needs]))
        # Metric order, as everywhere else; unordered, PostgreSQL returns insertion order.
        .order_by(col(UserNeedMetric.metric_id))
    ).all()
    metrics_of_need: dict[int, list[Metric]] = defaultdict(list)
    for link in links:
        metrics_of_need[link.user_need_id].append(metric_by_id[link.metric_id])
    return PolicyOverview(
        policy=policy,
        stage_history=list(
            session.exec(
                select(StageDecision)
                .where(StageDecision.policy_id == policy.id)
                .order_by(col(StageDecision.sequence))
            )
        ),
        metrics=metrics,
        user_needs=[UserNeedView(need, metrics_of_need[need.id or 0]) for need in needs],
        hypotheses=list(
            session.exec(
                select(Hypothesis)
                .where(Hypothesis.policy_id == policy.id)
                .order_by(col(Hypothesis.id))
            )
        ),
        engagements=list(
            session.exec(
                select(Engagement)
                .where(Engagement.policy_id == policy.id)
                .order_by(col(Engagement.held_on), col(Engagement.id))
            )
        ),
        pilots=list(
            session.exec(select(Pilot).where(Pilot.policy_id == policy.id).order_by(col(Pilot.id)))
        ),
    )


def get_pilot_overview(*, session: Session, slug: str) -> PilotOverview:
    """The pilot with its policy's metrics, its hypotheses, plan versions and iterations."""
    pilot = session.exec(select(Pilot).where(Pilot.slug == slug)).first()
    if pilot is None:
        raise NotFound("pilot", slug)
    policy = session.get_one(Policy, pilot.policy_id)
    metrics = list(
        session.exec(select(Metric).where(Metric.policy_id == policy.id).order_by(col(Metric.id)))
    )
    metric_by_id = {metric.id: metric for metric in metrics}
    hypotheses = list(
        session.exec(
            select(Hypothesis)
            .join(PilotHypothesis, col(PilotHypothesis.hypothesis_id) == col(Hypothesis.id))
            .where(PilotHypothesis.pilot_id == pilot.id)
            .order_by(col(Hypothesis.id))
        )
    )
    plans = session.exec(
        select(AnalysisPlan)
        .where(AnalysisPlan.pilot_id == pilot.id)
        .order_by(col(AnalysisPlan.plan_version))
    ).all()
    plan_metrics: dict[int, list[tuple[PlanMetric, Metric]]] = defaultdict(list)
    for link in session.exec(
        select(PlanMetric)
        .where(col(PlanMetric.plan_id).in_([plan.id for plan in plans]))
        .order_by(col(PlanMetric.metric_id))  # as plan_metric_specs reads them
    ):
        plan_metrics[link.plan_id].append((link, metric_by_id[link.metric_id]))
    return PilotOverview(
        pilot=pilot,
        policy=policy,
        metrics=metrics,
        hypotheses=hypotheses,
        plans=[PlanView(plan, plan_metrics[plan.id or 0]) for plan in plans],
        iterations=_iteration_views(session, pilot),
    )


def _iteration_views(session: Session, pilot: Pilot) -> list[IterationView]:
    """Iterations in order with arms, results and decisions: four queries whatever the size."""
    iterations = session.exec(
        select(Iteration).where(Iteration.pilot_id == pilot.id).order_by(col(Iteration.number))
    ).all()
    iteration_ids = [iteration.id for iteration in iterations]
    arms = session.exec(
        select(Arm).where(col(Arm.iteration_id).in_(iteration_ids)).order_by(col(Arm.id))
    ).all()
    results: dict[int, dict[int, ArmResult]] = defaultdict(dict)
    for result in session.exec(
        select(ArmResult).where(col(ArmResult.arm_id).in_([arm.id for arm in arms]))
    ):
        results[result.arm_id][result.metric_id] = result
    decisions = {
        decision.iteration_id: decision
        for decision in session.exec(
            select(Decision).where(col(Decision.iteration_id).in_(iteration_ids))
        )
    }
    arms_of: dict[int, list[ArmView]] = defaultdict(list)
    for arm in arms:
        arms_of[arm.iteration_id].append(ArmView(arm, results[arm.id or 0]))
    return [
        IterationView(
            iteration=iteration,
            arms=arms_of[iteration.id or 0],
            decision=decisions.get(iteration.id or 0),
        )
        for iteration in iterations
    ]


def pilot_datasets(
    *, session: Session, pilot_id: int
) -> dict[int, list[tuple[Dataset, str | None]]]:
    """A pilot's datasets by iteration id, oldest first, without their bytes, each with its
    uploader's display name (None if not recorded): one query for all the pilot's iterations."""
    rows = session.exec(
        select(Dataset, User.display_name)
        .options(defer(Dataset.content))  # type: ignore[arg-type]
        .join(Iteration, col(Iteration.id) == col(Dataset.iteration_id))
        .outerjoin(User, col(User.id) == col(Dataset.uploaded_by_id))
        .where(Iteration.pilot_id == pilot_id)
        .order_by(col(Dataset.id))
    )
    by_iteration: dict[int, list[tuple[Dataset, str | None]]] = defaultdict(list)
    for dataset, uploaded_by in rows:
        by_iteration[dataset.iteration_id].append((dataset, uploaded_by))
    return by_iteration
