"""Pilot learning pages: effects across iterations, their tests, and the sequential view.

The numbers come from the pilot's latest stored whole-pilot AnalysisRun when there is one
(exactly what `tracker analyse` stored), otherwise they are computed live by the comparison
service without storing anything; the page says which.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import Blueprint, render_template
from sqlmodel import Session, col, select

from tracker.charts import figure_json
from tracker.charts import learning as charts
from tracker.db import get_session
from tracker.models import AnalysisRun, Metric
from tracker.services.overviews import PilotOverview, get_pilot_overview
from tracker.web.effect_format import axis_unit, shown_value
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("learning", __name__)


@dataclass(frozen=True)
class MetricLearning:
    """One metric's learning curve, its across-iteration tests and (if planned) sequential view."""

    metric: Metric
    points: list[charts.LearningPoint]
    across: list[dict[str, Any]]
    figure_json: str | None
    sequential_json: str | None


@dataclass(frozen=True)
class Source:
    """Where the numbers came from: a stored run (with its id and date) or a live computation."""

    run: AnalysisRun | None
    rows: list[dict[str, Any]]


def _source(session: Session, overview: PilotOverview) -> Source:
    run = session.exec(
        select(AnalysisRun)
        .where(AnalysisRun.pilot_id == overview.pilot.id)
        .where(col(AnalysisRun.iteration_number).is_(None))
        .order_by(col(AnalysisRun.id).desc())
    ).first()
    if run is not None:
        return Source(run=run, rows=list(run.rows))
    # Imported here: the statistics libraries load only when a page needs them.
    from tracker.services.analysis_inputs import read_pilot_inputs
    from tracker.services.comparisons import compare_pilot

    inputs = read_pilot_inputs(session=session, pilot_slug=overview.pilot.slug)
    return Source(run=None, rows=[row.as_dict() for row in compare_pilot(inputs)])


def _latest_locked_plan(overview: PilotOverview) -> Any:
    locked = [view.plan for view in overview.plans if view.plan.locked_at is not None]
    return max(locked, key=lambda plan: plan.plan_version) if locked else None


def _units(overview: PilotOverview) -> list[tuple[int, date | None, int]]:
    """(iteration, end or start date, units) — an arm's units are its largest n on any metric."""
    result = []
    for view in overview.iterations:
        units = sum(
            max((result.n for result in arm.results.values()), default=0) for arm in view.arms
        )
        iteration = view.iteration
        result.append((iteration.number, iteration.end_date or iteration.start_date, units))
    return result


def _as_shown(point: charts.LearningPoint, kind: str) -> charts.LearningPoint:
    """The point in the unit the tables show (percentage points for proportions)."""
    return replace(
        point,
        estimate=shown_value(point.estimate, point.scale, kind),
        ci_low=shown_value(point.ci_low, point.scale, kind),
        ci_high=shown_value(point.ci_high, point.scale, kind),
    )


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/learning")
def pilot_learning(slug: str) -> str:
    """How the pilot has learned across iterations (read-only; every signed-in user)."""
    session = get_session()
    overview = get_pilot_overview(session=session, slug=checked(slug))
    source = _source(session, overview)
    plan = _latest_locked_plan(overview)
    sequential = bool(plan is not None and plan.sequential)
    what_changed = {
        view.iteration.number: view.iteration.what_changed for view in overview.iterations
    }
    points = charts.learning_points(source.rows, what_changed)
    metrics = []
    for metric in overview.metrics:
        mine = points.get(metric.key, [])
        if not mine:
            continue
        drawn = [_as_shown(point, metric.kind) for point in mine]
        sequential_points = [point for point in drawn if point.mode == "sequential"]
        title = f"{metric.name}: effect against control"
        unit = axis_unit(mine[0].scale, mine[0].method, metric.kind)
        metrics.append(
            MetricLearning(
                metric=metric,
                points=mine,
                across=[dict(row) for row in charts.across_rows(source.rows, metric.key)],
                figure_json=figure_json(
                    charts.learning_curve_figure(title, drawn, axis_title=unit)
                ),
                sequential_json=figure_json(
                    charts.learning_curve_figure(
                        title,
                        sequential_points,
                        axis_title=unit,
                        interval_name="always-valid interval",
                    )
                )
                if sequential and sequential_points
                else None,
            )
        )
    samples = charts.sample_points(_units(overview))
    decisions = [
        (view.decision.decided_on, f"v{view.iteration.number}: {view.decision.outcome.value}")
        for view in overview.iterations
        if view.decision is not None
    ]
    return render_template(
        "learning/pilot.html",
        overview=overview,
        pilot=overview.pilot,
        source=source,
        plan=plan,
        sequential=sequential,
        metrics=metrics,
        samples=samples,
        sample_json=figure_json(
            charts.cumulative_sample_figure(samples, overview.pilot.planned_sample_size, decisions)
        )
        if samples
        else None,
    )
