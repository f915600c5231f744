"""Creating and editing pilots, and the pilot set-up task list."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
)

from tracker.db import get_session
from tracker.models import Pilot, Policy
from tracker.models.base import SLUG_MAX, SLUG_PATTERN
from tracker.models.enums import EvaluationType, PilotDesign, PilotStatus
from tracker.services import hypotheses, pilots
from tracker.services.actors import ROLE_RANK, WRITE_ROLE
from tracker.services.overviews import PilotOverview
from tracker.services.policies import get_policy
from tracker.services.setup_tasks import SetupTask, TaskStatus, get_setup_tasks
from tracker.web.auth import current_user, require_role
from tracker.web.editing import ConflictRow, Saved, conflict_rows, edit_page, save_changes, save_new
from tracker.web.fields import (
    GovDateField,
    WholeNumberField,
    at_least,
    fieldset_legend,
    long_text,
    short_text,
    stripped,
)
from tracker.web.history import history_url
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("pilot_forms", __name__)

DESIGN_CHOICES = [
    SelectChoice(PilotDesign.INDIVIDUAL_RCT.value, "Individual randomised controlled trial"),
    SelectChoice(PilotDesign.CLUSTER_RCT.value, "Cluster randomised controlled trial"),
    SelectChoice(PilotDesign.STEPPED_WEDGE.value, "Stepped wedge"),
    SelectChoice(PilotDesign.AB_TEST.value, "A/B test"),
    SelectChoice(PilotDesign.BEFORE_AFTER.value, "Before and after"),
    SelectChoice(PilotDesign.DIFFERENCE_IN_DIFFERENCES.value, "Difference in differences"),
    SelectChoice(PilotDesign.QUALITATIVE.value, "Qualitative"),
]
EVALUATION_CHOICES = [
    SelectChoice(EvaluationType.IMPACT.value, "Impact – did it make a difference, and how much"),
    SelectChoice(EvaluationType.PROCESS.value, "Process – was it delivered as intended"),
    SelectChoice(
        EvaluationType.VALUE_FOR_MONEY.value, "Value for money – were the benefits worth the cost"
    ),
]
EVIDENCE_CHOICES = [
    SelectChoice("", "Not assessed yet"),
    SelectChoice("1", "Level 1 – a link between the change and the outcome, with no comparison"),
    SelectChoice("2", "Level 2 – a comparison, without accounting for differences between groups"),
    SelectChoice("3", "Level 3 – a comparison with a similar group, accounting for differences"),
    SelectChoice("4", "Level 4 – a comparison with a very similar group (a natural experiment)"),
    SelectChoice("5", "Level 5 – random assignment (a randomised controlled trial)"),
]
PILOT_STATUS_CHOICES = [
    SelectChoice(status.value, status.value.capitalize()) for status in PilotStatus
]
WEB_ADDRESS = Regexp(
    r"^https?://\S+$",
    message="Enter the source web address in the correct format, like https://www.gov.uk/research",
)


def radios(legend: str) -> dict[str, Any]:
    """GOV.UK options for a group of radios or checkboxes with a medium legend."""
    return {"params": fieldset_legend(legend, "m")}


def textarea(rows: int = 4) -> dict[str, Any]:
    return {"params": {"rows": rows}}


def width(characters: int) -> dict[str, Any]:
    return {"params": {"classes": f"govuk-input--width-{characters}"}}


def choice(
    label: str,
    choices: list[SelectChoice],
    description: str,
    *,
    required: str | None = None,
    default: str | None = None,
) -> Any:
    """Radios under a medium legend (the label); `required` is the message when none is chosen."""
    return RadioField(
        label,
        choices=choices,
        default=default,
        description=description,
        validators=[InputRequired(required)] if required else [],
        widget=GovRadioInput(),
        render_kw=radios(label),
    )


def labelled_rows(form: FlaskForm, rows: list[ConflictRow]) -> list[ConflictRow]:
    """Conflict rows with each radio's stored value shown as the words the form offers."""
    labels: dict[str, dict[str, str]] = {
        str(field.label.text): {str(value): str(text) for value, text, *_ in field.iter_choices()}
        for field in form
        if isinstance(field, RadioField)
    }
    return [
        replace(
            row,
            yours=labels[row.label].get(row.yours, row.yours),
            saved=labels[row.label].get(row.saved, row.saved),
        )
        if row.label in labels
        else row
        for row in rows
    ]


def friendly_date_order(form: FlaskForm, end: str, start: str) -> None:
    """Reword the service's "end before start" error on `end` in the form's own words."""
    end_field, start_field = getattr(form, end), getattr(form, start)
    end_field.errors = [
        f"{end_field.label.text} must be the same as or after the {start_field.label.text.lower()}"
        if "must be on or after" in error
        else error
        for error in end_field.errors
    ]


class PilotForm(FlaskForm):  # type: ignore[misc]
    """Every field of a pilot; the edit form drops the slug (it is in every link to the pilot)."""

    title = short_text("Title", required="Enter the title")
    slug = StringField(
        "Short name for web addresses",
        description="Lower-case letters, numbers and hyphens, like school-meals-letter-trial. "
        "It cannot be changed later.",
        validators=[
            DataRequired("Enter a short name for web addresses"),
            Length(max=SLUG_MAX, message=f"Short name must be {SLUG_MAX} characters or fewer"),
            Regexp(
                SLUG_PATTERN,
                message="Short name must only include lower-case letters, numbers and hyphens, "
                "like school-meals-letter-trial",
            ),
        ],
        widget=GovTextInput(),
        filters=[stripped],
        render_kw={"params": {"spellcheck": False, "classes": "govuk-input--width-30"}},
    )
    design = choice(
        "Design",
        DESIGN_CHOICES,
        "How the pilot compares what happens with the change and without it.",
        required="Select the design",
    )
    unit_of_randomisation = short_text(
        "Unit of randomisation",
        "What is assigned to an arm, like a person, a household or a school.",
        render_kw=width(20),
    )
    population = long_text("Population", "Who the pilot is for, and who is eligible.")
    place = short_text("Place", "Where the pilot runs, like a local authority or a region.")
    planned_sample_size = WholeNumberField(
        "Planned sample size",
        example="2,000",
        description="How many units the pilot plans to include, across all arms.",
        validators=[at_least(1)],
    )
    evaluation_type = choice(
        "Evaluation type",
        EVALUATION_CHOICES,
        "What the evaluation sets out to learn.",
        required="Select the evaluation type",
        default=EvaluationType.IMPACT.value,
    )
    evidence_strength = choice(
        "Evidence strength",
        EVIDENCE_CHOICES,
        "The level on the Maryland Scientific Methods Scale the design reaches.",
        default="",
    )
    status = choice(
        "Status",
        PILOT_STATUS_CHOICES,
        "Where the pilot has got to.",
        required="Select the status",
        default=PilotStatus.PLANNED.value,
    )
    planned_start = GovDateField("Planned start date", description="For example, 27 3 2025")
    planned_end = GovDateField("Planned end date", description="For example, 30 9 2025")
    citation = long_text(
        "Source", "Where the pilot is described, like a published report (optional).", rows=3
    )
    source_url = StringField(
        "Source web address",
        description="Optional. Starts with https://",
        validators=[
            Optional(),
            Length(max=500, message="Source web address must be 500 characters or fewer"),
            WEB_ADDRESS,
        ],
        widget=GovTextInput(),
        filters=[stripped],
        render_kw={"params": {"type": "url", "spellcheck": False}},
    )
    hypothesis_keys = SelectMultipleField(
        "Hypotheses tested",
        description="Select all that apply.",
        choices=[],
        widget=GovCheckboxesInput(),
        render_kw=radios("Which of the policy's hypotheses does this pilot test?"),
    )


class PilotEditForm(PilotForm):
    slug = None
    version = HiddenField()


def _hypothesis_choices(policy_slug: str) -> list[SelectChoice]:
    return [
        SelectChoice(h.key, f"We believe that {h.we_believe} for {h.for_users} will {h.will}")
        for h in hypotheses.list_hypotheses(session=get_session(), policy_slug=policy_slug)
    ]


def _pilot_data(form: PilotForm) -> dict[str, Any]:
    """What the pilot's services take, from the form's fields."""
    names = [field.name for field in form if field.type not in ("CSRFTokenField", "HiddenField")]
    data = {name: getattr(form, name).data for name in names}
    data["evidence_strength"] = (
        int(form.evidence_strength.data) if form.evidence_strength.data else None
    )
    for name in ("unit_of_randomisation", "population", "place", "citation", "source_url"):
        data[name] = data[name] or ""
    data["hypothesis_keys"] = list(form.hypothesis_keys.data or [])
    return data


def _fill(form: PilotEditForm, pilot: Pilot) -> None:
    """Open the edit form at the saved pilot."""
    for field in form:
        if field.type not in ("CSRFTokenField", "HiddenField") and hasattr(pilot, field.name):
            field.data = getattr(pilot, field.name)
    for name in ("design", "evaluation_type", "status"):
        getattr(form, name).data = getattr(pilot, name).value
    form.evidence_strength.data = str(pilot.evidence_strength or "")
    form.hypothesis_keys.data = pilots.hypothesis_keys_of(session=get_session(), pilot=pilot)
    form.version.data = str(pilot.version)


@blueprint.route(f"/policies/<{SLUG_ROUTE}:slug>/pilots/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["pilot"])
def new(slug: str) -> ResponseReturnValue:
    """Set up a pilot of a policy."""
    policy = get_policy(session=get_session(), slug=checked(slug))
    form = PilotForm()
    form.hypothesis_keys.choices = _hypothesis_choices(policy.slug)
    if form.validate_on_submit():
        saved = save_new(
            form,
            pilots.create_pilot,
            duplicate_field="slug",
            policy_slug=policy.slug,
            data=_pilot_data(form),
        )
        if saved.result is not None:
            return redirect(url_for("pilots.detail", slug=saved.result.slug), 303)
        friendly_date_order(form, "planned_end", "planned_start")
    return render_template(
        "pilot_forms/pilot.html",
        form=form,
        policy=policy,
        heading="Set up a pilot",
        caption=policy.title,
        back_url=url_for("policies.detail", slug=policy.slug, _anchor="pilots"),
        back_text=f"Back to {policy.title}",
        submit_text="Save pilot",
    )


@blueprint.route(f"/pilots/<{SLUG_ROUTE}:slug>/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["pilot"])
def edit(slug: str) -> ResponseReturnValue:
    """Change a pilot's design, status, dates or hypotheses; a stale form shows both versions."""
    db_session = get_session()
    pilot = pilots.get_pilot(session=db_session, slug=checked(slug))
    policy = db_session.get_one(Policy, pilot.policy_id)
    form = PilotEditForm()
    form.hypothesis_keys.choices = _hypothesis_choices(policy.slug)
    if not form.is_submitted():
        _fill(form, pilot)
    saved: Saved[Pilot] = Saved()
    if form.validate_on_submit():
        saved = save_changes(form, pilots.update_pilot, slug=pilot.slug, data=_pilot_data(form))
        if saved.ok:
            return redirect(url_for("pilots.detail", slug=pilot.slug, _anchor="design"), 303)
        friendly_date_order(form, "planned_end", "planned_start")
    return edit_page(
        "pilot_forms/pilot.html",
        form,
        saved,
        rows=lambda current: _conflict_rows(form, pilot, current),
        policy=policy,
        heading=f"Edit {pilot.title}",
        caption=policy.title,
        back_url=url_for("pilots.detail", slug=pilot.slug),
        back_text=f"Back to {pilot.title}",
        submit_text="Save changes",
        restart_url=url_for("pilot_forms.edit", slug=pilot.slug),
        history_url=history_url("pilot", pilot.id),
    )


def _conflict_rows(form: PilotEditForm, pilot: Pilot, current: dict[str, Any]) -> list[ConflictRow]:
    """Both versions of a pilot, with its hypotheses (not in the snapshot) and choices in words."""
    keys = pilots.hypothesis_keys_of(session=get_session(), pilot=pilot)
    return labelled_rows(form, conflict_rows(form, {**current, "hypothesis_keys": keys}))


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/set-up")
@require_role(WRITE_ROLE["pilot"])
def set_up(slug: str) -> str:
    """The pilot's set-up as a GOV.UK task list, each task linking to where it is done."""
    overview, tasks = get_setup_tasks(session=get_session(), slug=checked(slug))
    items = [_task_item(task, overview) for task in tasks]
    done = sum(task.status is TaskStatus.COMPLETED for task in tasks)
    return render_template(
        "pilot_forms/set_up.html", overview=overview, items=items, done=done, total=len(tasks)
    )


def _task_href(task: SetupTask, overview: PilotOverview) -> str | None:
    pilot, policy = overview.pilot, overview.policy
    if task.key == "design":
        return url_for("pilot_forms.edit", slug=pilot.slug)
    if task.key == "hypotheses":
        return url_for("pilot_forms.edit", slug=pilot.slug, _anchor="hypothesis_keys")
    if task.key == "metrics":
        return f"/policies/{policy.slug}/metrics/new"
    if task.key == "plan":
        return f"/pilots/{pilot.slug}/plans/new"
    if task.key == "lock":
        return url_for("pilots.detail", slug=pilot.slug, _anchor="analysis-plan")
    if task.key == "iteration":
        if overview.iterations:
            return url_for("pilots.detail", slug=pilot.slug, _anchor="iterations")
        return url_for("iterations.new", slug=pilot.slug)
    number = overview.iterations[-1].iteration.number
    return url_for("iterations.new_arm", slug=pilot.slug, number=number)


def _task_item(task: SetupTask, overview: PilotOverview) -> dict[str, Any]:
    """One task as govukTaskList wants it; no link when it cannot start or is not yours to do."""
    user = current_user()
    allowed = user is not None and ROLE_RANK[user.role] >= ROLE_RANK[task.role]
    hint = task.hint
    if not allowed:
        hint = f"{hint}. An {task.role.value} does this task."
    item: dict[str, Any] = {"title": {"text": task.title}, "hint": {"text": hint}}
    if task.status is TaskStatus.COMPLETED:
        item["status"] = {"text": task.status.value}
    elif task.status is TaskStatus.CANNOT_START:
        item["status"] = {
            "text": task.status.value,
            "classes": "govuk-task-list__status--cannot-start-yet",
        }
    else:
        colour = "govuk-tag--blue" if task.status is TaskStatus.INCOMPLETE else "govuk-tag--grey"
        item["status"] = {"tag": {"text": task.status.value, "classes": colour}}
    if allowed and task.status is not TaskStatus.CANNOT_START:
        item["href"] = _task_href(task, overview)
    return item
