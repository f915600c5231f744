"""A pilot's set-up as a task list: what is done, what is half done and what has to wait.

The statuses follow the GOV.UK task list pattern. They are worked out from what is recorded
(the pilot overview and how many hypotheses its policy has), so the list needs no state of its
own; the pages decide where each task links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, func, select

from tracker.models import Hypothesis
from tracker.models.enums import PilotDesign, Role
from tracker.services.overviews import PilotOverview, get_pilot_overview

# Designs that compare groups: their iterations need a control arm and at least one other.
COMPARATIVE_DESIGNS = frozenset(PilotDesign) - {PilotDesign.BEFORE_AFTER, PilotDesign.QUALITATIVE}
RANDOMISED_DESIGNS = frozenset(
    {
        PilotDesign.INDIVIDUAL_RCT,
        PilotDesign.CLUSTER_RCT,
        PilotDesign.STEPPED_WEDGE,
        PilotDesign.AB_TEST,
    }
)


class TaskStatus(StrEnum):
    COMPLETED = "Completed"
    INCOMPLETE = "Incomplete"
    NOT_STARTED = "Not yet started"
    CANNOT_START = "Cannot start yet"


@dataclass(frozen=True)
class SetupTask:
    """One task: a stable key the pages link by, its title, status, why, and who may do it."""

    key: str
    title: str
    status: TaskStatus
    hint: str
    role: Role = Role.EDITOR


def _design_task(overview: PilotOverview) -> SetupTask:
    pilot = overview.pilot
    needed = {
        "the population": bool(pilot.population.strip()),
        "the planned sample size": pilot.planned_sample_size is not None,
    }
    if pilot.design in RANDOMISED_DESIGNS:
        needed["the unit of randomisation"] = bool(pilot.unit_of_randomisation.strip())
    missing = [name for name, given in needed.items() if not given]
    if missing:
        hint = f"Still to give: {', '.join(missing)}"
        return SetupTask("design", "Describe the design", TaskStatus.INCOMPLETE, hint)
    hint = "Design, population, place and planned sample size"
    return SetupTask("design", "Describe the design", TaskStatus.COMPLETED, hint)


def _hypotheses_task(overview: PilotOverview, policy_hypotheses: int) -> SetupTask:
    title = "Link hypotheses"
    linked = len(overview.hypotheses)
    if linked:
        hint = f"Tests {linked} hypothes{'i' if linked == 1 else 'e'}s"
        return SetupTask("hypotheses", title, TaskStatus.COMPLETED, hint)
    if not policy_hypotheses:
        hint = "Add a hypothesis to the policy first"
        return SetupTask("hypotheses", title, TaskStatus.CANNOT_START, hint)
    hint = "Choose which of the policy's hypotheses this pilot tests"
    return SetupTask("hypotheses", title, TaskStatus.NOT_STARTED, hint)


def _metrics_task(overview: PilotOverview) -> SetupTask:
    count = len(overview.metrics)
    if count:
        hint = f"The policy has {count} metric{'' if count == 1 else 's'}"
        return SetupTask("metrics", "Define metrics", TaskStatus.COMPLETED, hint, Role.ANALYST)
    hint = "The outcomes the pilot will measure, defined on the policy"
    return SetupTask("metrics", "Define metrics", TaskStatus.NOT_STARTED, hint, Role.ANALYST)


def _plan_tasks(overview: PilotOverview) -> list[SetupTask]:
    write, lock = "Write the analysis plan", "Lock the analysis plan"
    if not overview.plans:
        if not overview.metrics:
            first = SetupTask(
                "plan", write, TaskStatus.CANNOT_START, "Define metrics first", Role.ANALYST
            )
        else:
            hint = "Metrics, estimand, significance level and tests, before any data"
            first = SetupTask("plan", write, TaskStatus.NOT_STARTED, hint, Role.ANALYST)
        waiting = SetupTask(
            "lock", lock, TaskStatus.CANNOT_START, "Write the analysis plan first", Role.ANALYST
        )
        return [first, waiting]
    latest = overview.plans[-1]
    version = latest.plan.plan_version
    if any(view.metrics for view in overview.plans):
        first = SetupTask(
            "plan", write, TaskStatus.COMPLETED, f"Version {version} written", Role.ANALYST
        )
    else:
        hint = "The plan names no metrics yet"
        first = SetupTask("plan", write, TaskStatus.INCOMPLETE, hint, Role.ANALYST)
    if latest.plan.locked_at is not None:
        status, hint = TaskStatus.COMPLETED, f"Version {version} is locked"
    elif any(view.plan.locked_at is not None for view in overview.plans):
        status, hint = TaskStatus.INCOMPLETE, f"Amended version {version} is not locked yet"
    else:
        status, hint = TaskStatus.NOT_STARTED, "Freeze the plan before the data comes in"
    return [first, SetupTask("lock", lock, status, hint, Role.ANALYST)]


def _iteration_tasks(overview: PilotOverview) -> list[SetupTask]:
    first_title, arms_title = "Set up the first iteration", "Add arms"
    if not overview.iterations:
        return [
            SetupTask(
                "iteration", first_title, TaskStatus.NOT_STARTED, "Dates, what it tries and why"
            ),
            SetupTask("arms", arms_title, TaskStatus.CANNOT_START, "Set up an iteration first"),
        ]
    count = len(overview.iterations)
    done = SetupTask(
        "iteration",
        first_title,
        TaskStatus.COMPLETED,
        f"{count} iteration{'' if count == 1 else 's'} recorded",
    )
    latest = overview.iterations[-1]
    number = latest.iteration.number
    arms = [view.arm for view in latest.arms]
    controls = sum(arm.is_control for arm in arms)
    if not arms:
        status, hint = TaskStatus.NOT_STARTED, f"Iteration {number} has no arms"
    elif overview.pilot.design in COMPARATIVE_DESIGNS and (len(arms) < 2 or controls != 1):
        status = TaskStatus.INCOMPLETE
        hint = f"Iteration {number} needs a control arm and at least one other"
    else:
        status = TaskStatus.COMPLETED
        hint = f"Iteration {number} has {len(arms)} arm{'' if len(arms) == 1 else 's'}"
    return [done, SetupTask("arms", arms_title, status, hint)]


def setup_tasks(overview: PilotOverview, *, policy_hypotheses: int) -> list[SetupTask]:
    """The set-up tasks of a pilot, in the order a team does them, each with its status.

    `policy_hypotheses` is how many hypotheses the pilot's policy has (linking needs one).
    """
    return [
        _design_task(overview),
        _hypotheses_task(overview, policy_hypotheses),
        _metrics_task(overview),
        *_plan_tasks(overview),
        *_iteration_tasks(overview),
    ]


def get_setup_tasks(*, session: Session, slug: str) -> tuple[PilotOverview, list[SetupTask]]:
    """The pilot's overview and its set-up tasks, read from the database."""
    overview = get_pilot_overview(session=session, slug=slug)
    count = session.exec(
        select(func.count())
        .select_from(Hypothesis)
        .where(Hypothesis.policy_id == overview.policy.id)
    ).one()
    return overview, setup_tasks(overview, policy_hypotheses=int(count))
