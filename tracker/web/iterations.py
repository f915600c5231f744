"""Creating and editing a pilot's iterations and their arms.

Arms are addressed by id in their edit links: a name may hold spaces or slashes, and a rename by
someone else would otherwise turn the second editor's save into "not found" instead of the
conflict panel that shows both versions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
)
from wtforms import BooleanField, HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from tracker.db import get_session
from tracker.models import Arm, Iteration, Pilot
from tracker.models.enums import IterationStatus
from tracker.services import iterations
from tracker.services.actors import WRITE_ROLE
from tracker.services.pilots import get_pilot
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import (
    ConflictRow,
    Saved,
    conflict_rows,
    edit_page,
    save,
    save_changes,
    save_new,
)
from tracker.web.fields import (
    GovDateField,
    TypedNumberField,
    WholeNumberField,
    at_least,
    long_text,
    short_text,
)
from tracker.web.history import history_url
from tracker.web.pilot_forms import (
    choice,
    friendly_date_order,
    labelled_rows,
    width,
)
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("iterations", __name__)

# Ids and numbers are integer columns: larger values in a URL are simply not found.
ID_ROUTE = "int(min=1, max=2147483647)"
ITERATION_ROUTE = f"/pilots/<{SLUG_ROUTE}:slug>/iterations/<{ID_ROUTE}:number>"
STATUS_CHOICES = [
    SelectChoice(IterationStatus.PLANNED.value, "Planned – not started"),
    SelectChoice(IterationStatus.RUNNING.value, "Running"),
    SelectChoice(IterationStatus.ANALYSING.value, "Analysing – finished, results being worked out"),
    SelectChoice(IterationStatus.COMPLETE.value, "Complete"),
]
SHARES_TOTAL = re.compile(r"add up to ([0-9.]+)")


class IterationForm(FlaskForm):  # type: ignore[misc]
    """An iteration: its number (fixed once created), what changed and why, dates and status."""

    number = WholeNumberField(
        "Iteration number",
        example="2",
        description="Iterations are numbered 1, 2, 3… in the order they run.",
        validators=[InputRequired("Enter the iteration number"), at_least(1)],
        render_kw={"params": {"inputmode": "numeric", "classes": "govuk-input--width-3"}},
    )
    title = short_text("Title", "Optional. A short name for this version, like Shorter letter.")
    what_changed = long_text(
        "What we changed", "What this iteration does differently from the last one."
    )
    why = long_text("Why we changed it", "What we learned that led to the change.")
    start_date = GovDateField("Start date", description="For example, 27 3 2025")
    end_date = GovDateField("End date", description="For example, 30 6 2025")
    status = choice(
        "Status",
        STATUS_CHOICES,
        "Where this iteration has got to.",
        required="Select the status",
        default=IterationStatus.PLANNED.value,
    )
    copy_arms = BooleanField(
        "Copy the arms of the previous iteration",
        widget=GovCheckboxInput(),
    )


class IterationEditForm(IterationForm):
    number = None  # type: ignore[assignment]  # fixed once created
    copy_arms = None
    version = HiddenField()


class PercentField(TypedNumberField):
    """A percentage typed as a number (50 or 33.3); the data is the percentage, or None."""

    def parsed(self, text: str) -> float:
        try:
            return float(text.removesuffix("%").strip())
        except ValueError as error:
            raise ValueError(f"{self.label.text} must be a number, like 50") from error

    def shown(self, value: Any) -> str:
        return percent_text(value)


def percent_text(value: float | None) -> str:
    """50.0 -> "50", 33.3 -> "33.3": what a person types, without float noise."""
    return "" if value is None else f"{round(value, 6):g}"


def share_in_range(form: Any, field: PercentField) -> None:
    if field.data is not None and not 0 < field.data <= 100:
        raise ValidationError(f"{field.label.text} must be more than 0 and no more than 100")


class ArmForm(FlaskForm):  # type: ignore[misc]
    """An arm: its name, what its units get, its planned share (a percentage) and if control."""

    name = short_text(
        "Name",
        "For example, Control or New letter.",
        required="Enter the arm's name",
        render_kw=width(20),
    )
    description = long_text("Description", "Optional. What units in this arm get.", rows=3)
    allocation = PercentField(
        "Planned share",
        description="The percentage of units planned for this arm, like 50 for half. "
        "The shares of an iteration's arms cannot add up to more than 100.",
        validators=[InputRequired("Enter the planned share"), share_in_range],
        render_kw={
            "params": {
                "inputmode": "decimal",
                "classes": "govuk-input--width-5",
                "suffix": {"text": "%"},
            }
        },
    )
    is_control = BooleanField(
        "This is the control arm",
        description="The comparison group, usually business as usual. An iteration has one.",
        widget=GovCheckboxInput(),
    )


class ArmEditForm(ArmForm):
    version = HiddenField()


def _pilot_and_iteration(slug: str, number: int) -> tuple[Pilot, Iteration]:
    db_session = get_session()
    pilot = get_pilot(session=db_session, slug=checked(slug))
    return pilot, iterations.get_iteration(session=db_session, pilot_slug=pilot.slug, number=number)


def _back(pilot: Pilot, number: int | None = None) -> str:
    anchor = f"iteration-{number}" if number is not None else "iterations"
    return url_for("pilots.detail", slug=pilot.slug, _anchor=anchor)


def _iteration_data(form: IterationForm) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": form.title.data or "",
        "what_changed": form.what_changed.data or "",
        "why": form.why.data or "",
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "status": form.status.data,
    }
    if form.number is not None:
        data["number"] = form.number.data
    return data


def _create_iteration(form: IterationForm, pilot: Pilot, source: Iteration | None) -> Any:
    """The write for a new iteration: the iteration, then the copied arms if asked for."""

    def write(db: Any) -> Iteration:
        actor = current_actor()
        iteration = iterations.create_iteration(
            session=db, actor=actor, pilot_slug=pilot.slug, data=_iteration_data(form)
        )
        if source is not None and form.copy_arms is not None and form.copy_arms.data:
            for arm in iterations.list_arms(session=db, iteration=source):
                iterations.create_arm(
                    session=db,
                    actor=actor,
                    pilot_slug=pilot.slug,
                    number=iteration.number,
                    data=arm.model_dump(
                        include={"name", "is_control", "allocation", "description"}
                    ),
                )
        return iteration

    return write


@blueprint.route(f"/pilots/<{SLUG_ROUTE}:slug>/iterations/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["iteration"])
def new(slug: str) -> ResponseReturnValue:
    """Start the next iteration of a pilot, optionally with the last iteration's arms."""
    db_session = get_session()
    pilot = get_pilot(session=db_session, slug=checked(slug))
    existing = iterations.list_iterations(session=db_session, pilot_slug=pilot.slug)
    latest = existing[-1] if existing else None
    latest_arms = iterations.list_arms(session=db_session, iteration=latest) if latest else []
    form = IterationForm()
    if latest is None or not latest_arms:
        del form.copy_arms
        form.copy_arms = None
    else:
        form.copy_arms.label.text = f"Copy the arms of iteration {latest.number}"
        form.copy_arms.description = "Start with the same arms: " + ", ".join(
            arm.name for arm in latest_arms
        )
    if not form.is_submitted():
        form.number.data = (latest.number + 1) if latest else 1
    if form.validate_on_submit():
        saved = save(form, _create_iteration(form, pilot, latest), duplicate_field="number")
        if saved.result is not None:
            return redirect(_back(pilot, saved.result.number), 303)
        friendly_date_order(form, "end_date", "start_date")
    return render_template(
        "iterations/form.html",
        form=form,
        heading="Add an iteration",
        caption=pilot.title,
        back_url=_back(pilot),
        back_text=f"Back to {pilot.title}",
        submit_text="Save iteration",
    )


@blueprint.route(f"{ITERATION_ROUTE}/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["iteration"])
def edit(slug: str, number: int) -> ResponseReturnValue:
    """Change what an iteration tried, its dates or status; a stale form shows both versions."""
    pilot, iteration = _pilot_and_iteration(slug, number)
    form = IterationEditForm()
    if not form.is_submitted():
        for name in ("title", "what_changed", "why", "start_date", "end_date"):
            getattr(form, name).data = getattr(iteration, name)
        form.status.data = iteration.status.value
        form.version.data = str(iteration.version)
    saved: Saved[Iteration] = Saved()
    if form.validate_on_submit():
        saved = save_changes(
            form,
            iterations.update_iteration,
            pilot_slug=pilot.slug,
            number=number,
            data=_iteration_data(form),
        )
        if saved.ok:
            return redirect(_back(pilot, number), 303)
        friendly_date_order(form, "end_date", "start_date")
    return edit_page(
        "iterations/form.html",
        form,
        saved,
        rows=lambda current: labelled_rows(form, conflict_rows(form, current)),
        heading=f"Edit iteration {number}",
        caption=pilot.title,
        back_url=_back(pilot, number),
        back_text=f"Back to {pilot.title}",
        submit_text="Save changes",
        restart_url=url_for("iterations.edit", slug=pilot.slug, number=number),
        history_url=history_url("iteration", iteration.id),
    )


def _arm_data(form: ArmForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "description": form.description.data or "",
        "allocation": (form.allocation.data or 0.0) / 100,
        "is_control": bool(form.is_control.data),
    }


def _explain_arm_errors(form: ArmForm) -> None:
    """Put the one-control rule on the control box and say the shares' total in percent."""
    control = [error for error in form.name.errors if "control arm" in error]
    form.name.errors = [error for error in form.name.errors if error not in control]
    form.is_control.errors = [*form.is_control.errors, *control]
    messages = []
    for error in form.allocation.errors:
        total = SHARES_TOTAL.search(error)
        if total:
            error = (
                f"The planned shares of this iteration's arms would add up to "
                f"{percent_text(float(total.group(1).rstrip('.')) * 100)}%; "
                "they cannot add up to more than 100"
            )
        messages.append(error)
    form.allocation.errors = messages


@blueprint.route(f"{ITERATION_ROUTE}/arms/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["arm"])
def new_arm(slug: str, number: int) -> ResponseReturnValue:
    """Add an arm to an iteration."""
    pilot, _iteration = _pilot_and_iteration(slug, number)
    form = ArmForm()
    if form.validate_on_submit():
        saved = save_new(
            form,
            iterations.create_arm,
            duplicate_field="name",
            pilot_slug=pilot.slug,
            number=number,
            data=_arm_data(form),
        )
        if saved.ok:
            return redirect(_back(pilot, number), 303)
        _explain_arm_errors(form)
    return render_template(
        "iterations/form.html",
        form=form,
        heading=f"Add an arm to iteration {number}",
        caption=pilot.title,
        back_url=_back(pilot, number),
        back_text=f"Back to {pilot.title}",
        submit_text="Save arm",
    )


@blueprint.route(f"{ITERATION_ROUTE}/arms/<{ID_ROUTE}:arm_id>/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["arm"])
def edit_arm(slug: str, number: int, arm_id: int) -> ResponseReturnValue:
    """Change an arm's name, description, planned share or control flag."""
    pilot, iteration = _pilot_and_iteration(slug, number)
    db_session = get_session()
    arm = db_session.get(Arm, arm_id)
    if arm is None or arm.iteration_id != iteration.id:
        abort(404)
    form = ArmEditForm()
    if not form.is_submitted():
        form.name.data = arm.name
        form.description.data = arm.description
        form.allocation.data = arm.allocation * 100
        form.is_control.data = arm.is_control
        form.version.data = str(arm.version)
    saved: Saved[Arm] = Saved()
    if form.validate_on_submit():
        saved = save_changes(
            form,
            iterations.update_arm,
            duplicate_field="name",
            pilot_slug=pilot.slug,
            number=number,
            name=arm.name,
            data=_arm_data(form),
        )
        if saved.ok:
            return redirect(_back(pilot, number), 303)
        _explain_arm_errors(form)
    return edit_page(
        "iterations/form.html",
        form,
        saved,
        rows=lambda current: _arm_conflict_rows(form, current),
        heading=f"Edit arm {arm.name}",
        caption=f"{pilot.title}, iteration {number}",
        back_url=_back(pilot, number),
        back_text=f"Back to {pilot.title}",
        submit_text="Save changes",
        restart_url=url_for("iterations.edit_arm", slug=pilot.slug, number=number, arm_id=arm_id),
        history_url=history_url("arm", arm.id),
    )


def _arm_conflict_rows(form: ArmEditForm, current: dict[str, Any]) -> list[ConflictRow]:
    """Both versions of an arm, its planned share as the percentage people type."""
    return [
        replace(
            row,
            yours=percent_text(form.allocation.data),
            saved=percent_text(current["allocation"] * 100),
        )
        if row.label == form.allocation.label.text
        else row
        for row in conflict_rows(form, current)
    ]
