"""Entering per-arm results by hand and recording an iteration's decision.

Results are entered one metric at a time, every arm of the iteration on one page (the forms are
in outcome_forms). The page saves all arms or none, and an arm left blank keeps its result.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlmodel import Session

from tracker.db import get_session
from tracker.models import Decision, Iteration, Metric, Pilot
from tracker.models.enums import ResultSource
from tracker.services import datasets, iterations, keyed, results
from tracker.services.actors import WRITE_ROLE
from tracker.services.errors import Conflict, FieldError, ValidationFailed
from tracker.services.pilots import get_pilot
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import (
    Saved,
    conflict_rows,
    edit_page,
    expected_version,
    save,
    save_changes,
)
from tracker.web.history import history_url
from tracker.web.outcome_forms import (
    KIND_INTROS,
    KIND_STATS,
    ArmConflict,
    ArmRow,
    DecisionForm,
    arm_conflict_rows,
    arm_problem,
    parse_row,
    prefill,
    readable_conflict_row,
    results_form_for,
    unchanged,
)
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("outcomes", __name__)

ITERATION = f"/pilots/<{SLUG_ROUTE}:slug>/iterations/<int:number>"


def _load(slug: str, number: int) -> tuple[Pilot, Iteration]:
    db_session = get_session()
    pilot = get_pilot(session=db_session, slug=checked(slug))
    iteration = iterations.get_iteration(session=db_session, pilot_slug=pilot.slug, number=number)
    return pilot, iteration


def _rows(db_session: Session, pilot: Pilot, iteration: Iteration, metric: Metric) -> list[ArmRow]:
    saved = {
        result.arm_id: result
        for result in results.list_results(session=db_session, iteration=iteration)
        if result.metric_id == metric.id
    }
    files = {
        dataset.id: dataset.filename
        for dataset in datasets.list_datasets(
            session=db_session, pilot_slug=pilot.slug, number=iteration.number
        )
    }
    rows = []
    for arm in iterations.list_arms(session=db_session, iteration=iteration):
        existing = saved.get(arm.id or 0)
        dataset = None
        if existing is not None and existing.source is ResultSource.DATASET:
            filename = files.get(existing.dataset_id or 0)
            dataset = f"the dataset {filename}" if filename else "an uploaded dataset"
        rows.append(ArmRow(arm, KIND_STATS[metric.kind], existing, dataset))
    return rows


@blueprint.get(f"{ITERATION}/results")
@require_role(WRITE_ROLE["arm_result"])
def results_index(slug: str, number: int) -> str:
    """The policy's metrics, each with how many arms have results and a link to enter them."""
    db_session = get_session()
    pilot, iteration = _load(slug, number)
    metrics = keyed.list_keyed(db_session, Metric, "policy_id", pilot.policy_id)
    arms = iterations.list_arms(session=db_session, iteration=iteration)
    entered: dict[int, int] = {}
    for result in results.list_results(session=db_session, iteration=iteration):
        entered[result.metric_id] = entered.get(result.metric_id, 0) + 1
    return render_template(
        "outcomes/results_index.html",
        pilot=pilot,
        iteration=iteration,
        metrics=metrics,
        arms=arms,
        entered=entered,
    )


@blueprint.route(f"{ITERATION}/results/<{SLUG_ROUTE}:key>", methods=["GET", "POST"])
@require_role(WRITE_ROLE["arm_result"])
def results_form(slug: str, number: int, key: str) -> ResponseReturnValue:
    """Every arm's figures on one metric, saved together or not at all."""
    db_session = get_session()
    pilot, iteration = _load(slug, number)
    metric = keyed.get_keyed(db_session, Metric, "policy_id", pilot.policy_id, checked(key))
    rows = _rows(db_session, pilot, iteration, metric)
    form = results_form_for(rows, metric)
    if not form.is_submitted():
        prefill(form, rows)
    saved: Saved[list[str]] = Saved()
    if form.validate_on_submit():
        parsed = [(row, parse_row(form, row)) for row in rows]
        if not form.errors:
            changes = [
                (row, values) for row, values in parsed if values and not unchanged(row, values)
            ]
            saved = save(form, lambda db: _write(db, pilot, iteration, metric, form, changes))
        if saved.result is not None:
            names = " and ".join(saved.result) if saved.result else ""
            flash(
                f"Saved {metric.name} results for {names}" if names else "No results changed",
                "outcomes",
            )
            return redirect(url_for(".results_index", slug=pilot.slug, number=iteration.number))
    conflict = saved.conflict if isinstance(saved.conflict, ArmConflict) else None
    if conflict is not None:
        form[conflict.row.name("version")].data = str((conflict.current or {}).get("version", ""))
    return render_template(
        "outcomes/results_form.html",
        form=form,
        pilot=pilot,
        iteration=iteration,
        metric=metric,
        rows=rows,
        kind_intro=KIND_INTROS[metric.kind],
        heading=f"{metric.name}: results by arm",
        caption=f"{pilot.title} – iteration {iteration.number}",
        back_url=url_for(".results_index", slug=pilot.slug, number=iteration.number),
        back_text="Back to the metrics of this iteration",
        submit_text="Save results",
        conflict=conflict,
        conflict_rows=arm_conflict_rows(form, conflict) if conflict else [],
        history_url=None,
        history_of=history_url,
    )


def _write(
    db_session: Session,
    pilot: Pilot,
    iteration: Iteration,
    metric: Metric,
    form: FlaskForm,
    changes: list[tuple[ArmRow, dict[str, Any]]],
) -> list[str]:
    """Record every changed arm; any service error names its arm and box, and undoes them all."""
    problems: list[FieldError] = []
    for row, values in changes:
        opened_at = expected_version(form[row.name("version")].data)
        try:
            results.record_result(
                session=db_session,
                actor=current_actor(),
                pilot_slug=pilot.slug,
                number=iteration.number,
                arm_name=row.arm.name,
                data={**values, "metric": metric.key},
                expected_version=opened_at,
            )
        except ValidationFailed as error:
            problems += [arm_problem(row, problem) for problem in error.errors]
        except Conflict as error:
            if error.current is None:
                raise
            raise ArmConflict(row, error, opened_at) from error
    if problems:
        raise ValidationFailed(problems)
    return [row.arm.name for row, _ in changes]


@blueprint.route(f"{ITERATION}/decision", methods=["GET", "POST"])
@require_role(WRITE_ROLE["decision"])
def decision(slug: str, number: int) -> ResponseReturnValue:
    """Record what was decided at the end of an iteration, or change it."""
    db_session = get_session()
    pilot, iteration = _load(slug, number)
    existing = results.get_decision(session=db_session, iteration=iteration)
    form = DecisionForm(obj=None if request.method == "POST" else existing)
    if not form.is_submitted():
        form.outcome.data = existing.outcome.value if existing else None
        form.version.data = str(existing.version) if existing else ""
    saved: Saved[Decision] = Saved()
    if form.validate_on_submit():
        saved = save_changes(
            form,
            results.record_decision,
            pilot_slug=pilot.slug,
            number=iteration.number,
            data={
                "outcome": form.outcome.data,
                "rationale": form.rationale.data,
                "decided_by": form.decided_by.data,
                "decided_on": form.decided_on.data,
            },
        )
        if saved.ok:
            return redirect(
                url_for("pilots.detail", slug=pilot.slug, _anchor=f"iteration-{iteration.number}")
            )
        if saved.conflict is not None:
            existing = results.get_decision(session=db_session, iteration=iteration)
    return edit_page(
        "outcomes/decision.html",
        form,
        saved,
        rows=lambda current: [
            readable_conflict_row(form, row) for row in conflict_rows(form, current)
        ],
        resave_replaces=True,
        pilot=pilot,
        iteration=iteration,
        heading="Change the decision" if existing else "Record the decision",
        caption=f"{pilot.title} – iteration {iteration.number}",
        back_url=url_for("pilots.detail", slug=pilot.slug, _anchor=f"iteration-{iteration.number}"),
        back_text=f"Back to {pilot.title}",
        submit_text="Save decision",
        history_url=history_url("decision", existing.id) if existing else None,
    )
