"""Iteration results pages: every comparison with its method and health, and the forest plot.

The page reads a stored AnalysisRun (the latest covering the iteration, or `?run=<id>`), so its
numbers are exactly those `tracker analyse --json` printed for that run. Re-running keeps every
earlier run; the page lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlmodel import Session, col, or_, select
from werkzeug.wrappers import Response as BaseResponse

from tracker.charts import figure_json
from tracker.charts.forest import ForestPoint, forest_figure
from tracker.db import get_session
from tracker.io.csv_export import csv_text
from tracker.models import AnalysisRun, Metric
from tracker.services.actors import WRITE_ROLE
from tracker.services.iterations import get_iteration
from tracker.services.pilots import get_pilot
from tracker.web.auth import current_actor, require_role
from tracker.web.effect_format import effect_unit, shown_value
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("results", __name__)

BASE = f"/pilots/<{SLUG_ROUTE}:slug>/iterations/<int:number>/results-analysis"

CSV_HEADER = (
    "metric",
    "arm",
    "baseline",
    "method",
    "scale",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "relative_lift",
    "n_control",
    "n_arm",
    "role",
    "exploratory",
    "health",
)


@dataclass
class MetricResults:
    """One metric's arm-versus-control rows, with the forest plot of them."""

    key: str
    name: str
    kind: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unit(self) -> str:
        first = self.rows[0]
        return effect_unit(first["scale"], first["method"], self.kind)

    def figure_json(self) -> str:
        scale = self.rows[0]["scale"]
        points = [
            ForestPoint(
                row["arm"],
                *(
                    shown_value(row[key], scale, self.kind)
                    for key in ("estimate", "ci_low", "ci_high")
                ),
            )
            for row in self.rows
        ]
        return figure_json(forest_figure(points, scale=scale, axis_title=self.unit))


def iteration_rows(run: AnalysisRun, number: int) -> list[dict[str, Any]]:
    """The run's arm-versus-control rows of one iteration."""
    return [
        row
        for row in run.rows
        if row.get("comparison") == "arm_vs_control" and row.get("iteration") == number
    ]


def runs_for(session: Session, pilot_id: int, number: int) -> list[AnalysisRun]:
    """Every stored run covering this iteration (pilot-wide or this iteration), newest first."""
    return list(
        session.exec(
            select(AnalysisRun)
            .where(
                AnalysisRun.pilot_id == pilot_id,
                or_(
                    col(AnalysisRun.iteration_number).is_(None),
                    AnalysisRun.iteration_number == number,
                ),
            )
            .order_by(col(AnalysisRun.id).desc())
        ).all()
    )


def _chosen_run(runs: list[AnalysisRun]) -> AnalysisRun | None:
    wanted = request.args.get("run", type=int)
    if wanted is None:
        return runs[0] if runs else None
    matches = [run for run in runs if run.id == wanted]
    if not matches:
        abort(404)
    return matches[0]


def _metrics(session: Session, policy_id: int, rows: list[dict[str, Any]]) -> list[MetricResults]:
    metrics = {
        m.key: m for m in session.exec(select(Metric).where(Metric.policy_id == policy_id)).all()
    }
    grouped: dict[str, MetricResults] = {}
    for row in rows:
        key = row["metric"]
        metric = metrics.get(key)
        grouped.setdefault(
            key,
            MetricResults(
                key, (metric.name or key) if metric else key, metric.kind if metric else ""
            ),
        ).rows.append(row)
    return list(grouped.values())


@blueprint.get(BASE)
def iteration_results(slug: str, number: int) -> str:
    """Every arm against control on every metric of one iteration, from a stored run."""
    session = get_session()
    pilot = get_pilot(session=session, slug=checked(slug))
    iteration = get_iteration(session=session, pilot_slug=pilot.slug, number=number)
    runs = runs_for(session, pilot.id or 0, number)
    run = _chosen_run(runs)
    metrics = _metrics(session, pilot.policy_id, iteration_rows(run, number)) if run else []
    return render_template(
        "results/iteration.html",
        pilot=pilot,
        iteration=iteration,
        run=run,
        runs=runs,
        metrics=metrics,
    )


@blueprint.get(BASE + ".csv")
def iteration_results_csv(slug: str, number: int) -> Response:
    """The page's table as CSV, at full precision, text cells neutralised against formulas."""
    session = get_session()
    pilot = get_pilot(session=session, slug=checked(slug))
    get_iteration(session=session, pilot_slug=pilot.slug, number=number)
    run = _chosen_run(runs_for(session, pilot.id or 0, number))
    if run is None:
        abort(404)
    body = csv_text(
        CSV_HEADER,
        (
            (
                row["metric"],
                row["arm"],
                row["baseline"],
                row["method"],
                row["scale"],
                row["estimate"],
                row["ci_low"],
                row["ci_high"],
                row["p_value"],
                row["p_adjusted"],
                row["relative_lift"],
                row["n"][0] if row["n"] else None,
                row["n"][-1] if row["n"] else None,
                row.get("role"),
                "exploratory" if row["exploratory"] else "confirmatory",
                "; ".join(f["message"] for f in row.get("health") or []),
            )
            for row in iteration_rows(run, number)
        ),
    )
    filename = f"{pilot.slug}-v{number}-results-run-{run.id}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.route(BASE + "/run", methods=["GET", "POST"])
@require_role(WRITE_ROLE["analysis_run"])
def run(slug: str, number: int) -> BaseResponse | str:
    """Run the analysis of this iteration (again), keeping the run beside the earlier ones.

    GET asks to confirm; the results page's own button posts straight here.
    """
    from tracker.services.analysis import run_analysis  # loads the statistics libraries

    session = get_session()
    if request.method == "GET":
        pilot = get_pilot(session=session, slug=checked(slug))
        iteration = get_iteration(session=session, pilot_slug=pilot.slug, number=number)
        return render_template("results/run.html", pilot=pilot, iteration=iteration)
    stored = run_analysis(
        session=session, actor=current_actor(), pilot_slug=checked(slug), iteration=number
    )
    session.commit()
    return redirect(
        url_for(".iteration_results", slug=slug, number=number, run=stored.id), code=303
    )
