"""The one-page pilot report: what a senior official needs to decide, cut to fit one A4 page.

Everything the page shows is gathered here, already shortened and capped, so the page cannot
overflow whatever the pilot holds: long texts end in "…" at a word boundary and long lists keep
their first (or, for iterations, latest) few items with a count of the rest ("and 3 more").
Results come only from the latest *stored* analysis run, as on the dashboard, so every number
printed can be reproduced with `tracker analyse`. No Flask here: the web page and the
`tracker report` command both call `get_pilot_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from sqlmodel import Session, col, select

from tracker.charts.learning import LearningPoint, learning_points
from tracker.models import AnalysisPlan, AnalysisRun, Metric, Pilot, Policy, UserNeed
from tracker.models.enums import HypothesisStatus
from tracker.services.headlines import Headline, facts_of, headline, latest_runs
from tracker.services.headlines import primary_metric_key as run_primary_metric
from tracker.services.overviews import PilotOverview, get_pilot_overview

T = TypeVar("T")

# How much of each part fits on the page beside everything else (checked by the browser test
# that prints every example pilot and counts one A4 page).
PROBLEM_CHARACTERS = 280
HYPOTHESIS_PART_CHARACTERS = 75
POPULATION_CHARACTERS = 130
NEED_CHARACTERS = 180
CHANGE_CHARACTERS = 130
RATIONALE_CHARACTERS = 130
MAX_HYPOTHESES = 3
MAX_NEEDS = 2
MAX_ITERATIONS = 4


def shorten(text: str, limit: int) -> str:
    """The text on one line, cut at a word boundary to at most `limit` characters with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if flat[limit - 1] != " " and space > limit // 2:  # the cut is inside a word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + "…"


@dataclass(frozen=True)
class Capped(Generic[T]):
    """The items the page shows and how many more there are ("and N more")."""

    shown: list[T]
    more: int = 0

    @classmethod
    def first(cls, items: Sequence[T], limit: int) -> Capped[T]:
        return cls(list(items[:limit]), max(0, len(items) - limit))

    @classmethod
    def last(cls, items: Sequence[T], limit: int) -> Capped[T]:
        """The latest `limit` items: what changed recently matters most to a decision."""
        start = max(0, len(items) - limit)
        return cls(list(items[start:]), start)


@dataclass(frozen=True)
class HypothesisLine:
    sentence: str
    status: HypothesisStatus


@dataclass(frozen=True)
class IterationLine:
    """One iteration: what changed, and the decision taken at its end (if any yet)."""

    number: int
    start: date | None
    end: date | None
    what_changed: str
    outcome: str | None
    decided_on: date | None
    rationale: str


@dataclass(frozen=True)
class LockedPlan:
    version: int
    lock_hash: str
    locked_at: datetime


@dataclass(frozen=True)
class ReportResults:
    """The latest stored run's headline on the primary metric, and the points of its chart.

    `points` are every arm-versus-control effect on that metric: across all iterations when
    there are several (a learning curve), else the one iteration's arms (a forest plot).
    """

    run: AnalysisRun
    metric: Metric
    headline: Headline | None
    points: list[LearningPoint]

    @property
    def iterations(self) -> list[int]:
        return sorted({point.iteration for point in self.points})

    @property
    def arms(self) -> list[str]:
        return list(dict.fromkeys(point.arm for point in self.points))


@dataclass(frozen=True)
class PilotReport:
    """Everything on the one-page report of a pilot."""

    pilot: Pilot
    policy: Policy
    problem: str
    hypotheses: Capped[HypothesisLine]
    needs: Capped[str]
    population: str
    actual_start: date | None
    actual_end: date | None
    results: ReportResults | None
    iterations: Capped[IterationLine]
    plan: LockedPlan | None
    source: str


def hypothesis_sentence(we_believe: str, for_users: str, will: str, measured_by: str | None) -> str:
    """ "We believe that … for … will …, measured by …." with each part shortened on its own,
    so the metric it is measured by is never the part cut off."""
    measured = f", measured by {measured_by}" if measured_by else ""
    change = shorten(we_believe, HYPOTHESIS_PART_CHARACTERS)
    users = shorten(for_users, HYPOTHESIS_PART_CHARACTERS)
    outcome = shorten(will, HYPOTHESIS_PART_CHARACTERS).rstrip(".")
    return f"We believe that {change} for {users} will {outcome}{measured}."


def need_sentence(need: UserNeed) -> str:
    """ "As a …, I need …, so that …." """
    return shorten(
        f"As a {need.as_a.strip()}, I need {need.i_need.strip()}, so that "
        f"{need.so_that.strip().rstrip('.')}.",
        NEED_CHARACTERS,
    )


def latest_locked_plan(overview: PilotOverview) -> LockedPlan | None:
    """The highest locked plan version, whose hash later runs are checked against."""
    locked = [
        view.plan
        for view in overview.plans
        if view.plan.locked_at is not None and view.plan.lock_hash
    ]
    if not locked:
        return None
    plan: AnalysisPlan = max(locked, key=lambda plan: plan.plan_version)
    assert plan.locked_at is not None and plan.lock_hash is not None  # filtered above
    return LockedPlan(plan.plan_version, plan.lock_hash, plan.locked_at)


def iteration_lines(overview: PilotOverview) -> list[IterationLine]:
    """Every iteration in order, its change and decision shortened for the page."""
    lines = []
    for view in overview.iterations:
        iteration, decision = view.iteration, view.decision
        lines.append(
            IterationLine(
                number=iteration.number,
                start=iteration.start_date,
                end=iteration.end_date,
                what_changed=shorten(iteration.what_changed, CHANGE_CHARACTERS),
                outcome=decision.outcome.value if decision else None,
                decided_on=decision.decided_on if decision else None,
                rationale=shorten(decision.rationale, RATIONALE_CHARACTERS) if decision else "",
            )
        )
    return lines


def report_results(session: Session, overview: PilotOverview) -> ReportResults | None:
    """The latest stored run's primary metric: its headline and its chart's points."""
    run = latest_runs(session, [overview.pilot.id or 0]).get(overview.pilot.id or 0)
    if run is None:
        return None
    metrics = {metric.key: metric for metric in overview.metrics}
    key = run_primary_metric(run.rows, list(metrics))
    if key is None or key not in metrics:
        return None
    metric = metrics[key]
    what_changed = {
        view.iteration.number: view.iteration.what_changed for view in overview.iterations
    }
    points = learning_points(run.rows, what_changed).get(key, [])
    return ReportResults(
        run=run,
        metric=metric,
        headline=headline(run.rows, facts_of(metric), run_id=run.id),
        points=[point for point in points if point.estimate is not None],
    )


def _needs(session: Session, policy: Policy) -> list[UserNeed]:
    return list(
        session.exec(
            select(UserNeed).where(UserNeed.policy_id == policy.id).order_by(col(UserNeed.id))
        )
    )


def get_pilot_report(*, session: Session, slug: str) -> PilotReport:
    """The report of the pilot with `slug` (raises NotFound for an unknown pilot)."""
    overview = get_pilot_overview(session=session, slug=slug)
    pilot = overview.pilot
    metric_names = {metric.id: metric.name for metric in overview.metrics}
    hypotheses = [
        HypothesisLine(
            hypothesis_sentence(
                item.we_believe, item.for_users, item.will, metric_names.get(item.metric_id)
            ),
            item.status,
        )
        for item in overview.hypotheses
    ]
    dated = [view.iteration for view in overview.iterations]
    starts = [iteration.start_date for iteration in dated if iteration.start_date]
    last_end = dated[-1].end_date if dated else None
    return PilotReport(
        pilot=pilot,
        policy=overview.policy,
        problem=shorten(overview.policy.problem_statement, PROBLEM_CHARACTERS),
        hypotheses=Capped.first(hypotheses, MAX_HYPOTHESES),
        needs=Capped.first(
            [need_sentence(need) for need in _needs(session, overview.policy)], MAX_NEEDS
        ),
        population=shorten(pilot.population, POPULATION_CHARACTERS),
        actual_start=min(starts) if starts else None,
        actual_end=last_end,
        results=report_results(session, overview),
        iterations=Capped.last(iteration_lines(overview), MAX_ITERATIONS),
        plan=latest_locked_plan(overview),
        source=shorten(pilot.citation, 200),
    )
