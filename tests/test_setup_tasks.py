"""The pilot set-up task list: each task's status follows from what is recorded, without Flask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from tests import factories
from tracker.models import (
    AnalysisPlan,
    Arm,
    Hypothesis,
    Iteration,
    Metric,
    Pilot,
    PlanMetric,
    Policy,
)
from tracker.models.enums import Direction, MetricKind, MetricRole, PilotDesign, Role
from tracker.services.errors import NotFound
from tracker.services.overviews import ArmView, IterationView, PilotOverview, PlanView
from tracker.services.setup_tasks import TaskStatus, get_setup_tasks, setup_tasks

LOCKED = datetime(2025, 1, 6, tzinfo=UTC)
METRIC = Metric(
    id=1, key="take-up", name="Take-up", kind=MetricKind.BINARY, direction=Direction.INCREASE
)
HYPOTHESIS = Hypothesis(id=1, key="h", we_believe="a", for_users="b", will="c", policy_id=1)


def pilot(design: PilotDesign = PilotDesign.INDIVIDUAL_RCT, **fields: object) -> Pilot:
    return Pilot(id=1, slug="trial", title="Trial", design=design, policy_id=1, **fields)


def overview(the_pilot: Pilot | None = None) -> PilotOverview:
    """A pilot with nothing set up but its design."""
    policy = Policy(id=1, slug="policy", title="Policy", team="Team", problem_statement="Why")
    return PilotOverview(
        pilot=the_pilot or pilot(), policy=policy, metrics=[], hypotheses=[], plans=[]
    )


def plan(version: int, *, locked: bool, with_metric: bool = True) -> PlanView:
    record = AnalysisPlan(
        id=version, pilot_id=1, plan_version=version, locked_at=LOCKED if locked else None
    )
    links = [(PlanMetric(plan_id=version, metric_id=1, role=MetricRole.PRIMARY), METRIC)]
    return PlanView(record, links if with_metric else [])


def iteration(*arms: tuple[str, bool]) -> IterationView:
    return IterationView(
        Iteration(id=1, number=1, pilot_id=1),
        [ArmView(Arm(name=name, is_control=control, allocation=0.5), {}) for name, control in arms],
        None,
    )


def statuses(view: PilotOverview, policy_hypotheses: int = 0) -> dict[str, TaskStatus]:
    return {
        task.key: task.status for task in setup_tasks(view, policy_hypotheses=policy_hypotheses)
    }


def test_a_new_pilot_has_every_task_to_do_in_order() -> None:
    tasks = setup_tasks(overview(), policy_hypotheses=0)
    assert [(task.title, task.status) for task in tasks] == [
        ("Describe the design", TaskStatus.INCOMPLETE),
        ("Link hypotheses", TaskStatus.CANNOT_START),
        ("Define metrics", TaskStatus.NOT_STARTED),
        ("Write the analysis plan", TaskStatus.CANNOT_START),
        ("Lock the analysis plan", TaskStatus.CANNOT_START),
        ("Set up the first iteration", TaskStatus.NOT_STARTED),
        ("Add arms", TaskStatus.CANNOT_START),
    ]
    assert tasks[0].hint == (
        "Still to give: the population, the planned sample size, the unit of randomisation"
    )
    assert {task.key: task.role for task in tasks}["plan"] is Role.ANALYST
    assert {task.key: task.role for task in tasks}["arms"] is Role.EDITOR


def test_the_design_is_complete_when_its_details_are_given() -> None:
    described = pilot(population="Parents", planned_sample_size=100, unit_of_randomisation="Pupil")
    assert statuses(overview(described))["design"] is TaskStatus.COMPLETED
    # A before-and-after study assigns nothing, so it needs no unit of randomisation.
    before_after = pilot(PilotDesign.BEFORE_AFTER, population="Parents", planned_sample_size=100)
    assert statuses(overview(before_after))["design"] is TaskStatus.COMPLETED
    blank_population = pilot(population="  ", planned_sample_size=100, unit_of_randomisation="P")
    assert statuses(overview(blank_population))["design"] is TaskStatus.INCOMPLETE


def test_hypotheses_can_be_linked_once_the_policy_has_some() -> None:
    assert statuses(overview(), policy_hypotheses=2)["hypotheses"] is TaskStatus.NOT_STARTED
    linked = replace(overview(), hypotheses=[HYPOTHESIS])
    assert statuses(linked, policy_hypotheses=2)["hypotheses"] is TaskStatus.COMPLETED


@pytest.mark.parametrize(
    ("plans", "plan_status", "lock_status"),
    [
        ([], TaskStatus.NOT_STARTED, TaskStatus.CANNOT_START),
        ([plan(1, locked=False, with_metric=False)], TaskStatus.INCOMPLETE, TaskStatus.NOT_STARTED),
        ([plan(1, locked=False)], TaskStatus.COMPLETED, TaskStatus.NOT_STARTED),
        ([plan(1, locked=True)], TaskStatus.COMPLETED, TaskStatus.COMPLETED),
        (
            [plan(1, locked=True), plan(2, locked=False)],
            TaskStatus.COMPLETED,
            TaskStatus.INCOMPLETE,
        ),
    ],
)
def test_the_plan_is_written_then_locked(
    plans: list[PlanView], plan_status: TaskStatus, lock_status: TaskStatus
) -> None:
    view = replace(overview(), metrics=[METRIC], plans=plans)
    found = statuses(view)
    assert (found["metrics"], found["plan"], found["lock"]) == (
        TaskStatus.COMPLETED,
        plan_status,
        lock_status,
    )


@pytest.mark.parametrize(
    ("design", "arms", "expected"),
    [
        (PilotDesign.INDIVIDUAL_RCT, (), TaskStatus.NOT_STARTED),
        (PilotDesign.INDIVIDUAL_RCT, (("Control", True),), TaskStatus.INCOMPLETE),
        (PilotDesign.INDIVIDUAL_RCT, (("A", False), ("B", False)), TaskStatus.INCOMPLETE),
        (PilotDesign.INDIVIDUAL_RCT, (("Control", True), ("Letter", False)), TaskStatus.COMPLETED),
        (PilotDesign.BEFORE_AFTER, (("Everyone", False),), TaskStatus.COMPLETED),
    ],
)
def test_arms_need_a_control_and_another_in_comparative_designs(
    design: PilotDesign, arms: tuple[tuple[str, bool], ...], expected: TaskStatus
) -> None:
    view = replace(overview(pilot(design)), iterations=[iteration(*arms)])
    found = statuses(view)
    assert (found["iteration"], found["arms"]) == (TaskStatus.COMPLETED, expected)


def test_the_tasks_are_read_from_the_database(session: Session) -> None:
    factories.make_trial(session)  # a policy with metrics, a pilot, v1 with control + treatment
    factories.make_hypothesis(session)
    factories.make_plan(session, metrics=[("take-up", MetricRole.PRIMARY)])
    session.commit()
    view, tasks = get_setup_tasks(session=session, slug="letter-trial")
    assert view.pilot.slug == "letter-trial"
    assert {task.key: task.status for task in tasks} == {
        "design": TaskStatus.INCOMPLETE,
        "hypotheses": TaskStatus.NOT_STARTED,
        "metrics": TaskStatus.COMPLETED,
        "plan": TaskStatus.COMPLETED,
        "lock": TaskStatus.NOT_STARTED,
        "iteration": TaskStatus.COMPLETED,
        "arms": TaskStatus.COMPLETED,
    }
    with pytest.raises(NotFound):
        get_setup_tasks(session=session, slug="no-such-pilot")
