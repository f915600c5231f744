"""Writing, locking and amending a pilot's analysis plan.

A plan version is written as a draft, edited while it is one, then locked: the plan page then
shows the SHA-256 of its canonical form, that form itself, and when and by whom it was locked.
A locked version is frozen; changing the plan means writing the next version with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlmodel import Session
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from tracker.db import get_session
from tracker.models import AnalysisPlan, Metric, Pilot, PlanMetricSpec, Policy, User
from tracker.models.enums import MetricKind, MetricRole, MultipleTesting, Sidedness
from tracker.services import metrics as metric_service
from tracker.services import plans
from tracker.services.actors import WRITE_ROLE
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed
from tracker.services.pilots import get_pilot
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import (
    Saved,
    conflict_rows,
    edit_page,
    expected_version,
    save,
    save_new,
)
from tracker.web.fields import LinesField
from tracker.web.history import history_url
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("plans", __name__)

Validator = Callable[[FlaskForm, Field], None]


class PlanLocked(Exception):
    """The plan version was locked between opening the edit form and saving it."""


PLAN_ROLE = WRITE_ROLE["analysis_plan"]
NOT_IN_PLAN = "none"

# The tests a plan may name for each kind of metric, default first. These are the names the
# analysis acts on (tracker.services.comparisons: BINARY_TESTS and BINARY_EFFECTS for binary
# metrics, "student_t" for a pooled t-test); a name it does not know would silently fall back to
# the default, so the form offers only these.
PLAN_TESTS: dict[MetricKind, tuple[tuple[str, str], ...]] = {
    MetricKind.BINARY: (
        ("z_test", "Two-proportion z-test, difference in percentage points"),
        ("chi_squared", "Chi-squared test, difference in percentage points"),
        ("fisher_exact", "Fisher's exact test, difference in percentage points"),
        ("risk_ratio", "Risk ratio, with the z-test"),
        ("odds_ratio", "Odds ratio, with the z-test"),
    ),
    MetricKind.CONTINUOUS: (
        ("welch_t", "Welch's t-test, difference in means"),
        ("student_t", "Student's t-test (equal variances), difference in means"),
    ),
    MetricKind.COUNT: (("poisson_score", "Poisson score test, ratio of rates"),),
}
KIND_NAMES = {
    MetricKind.BINARY: "a binary metric (yes or no)",
    MetricKind.CONTINUOUS: "a continuous metric (a measurement)",
    MetricKind.COUNT: "a count metric (events over exposure)",
}
ROLE_CHOICES = [
    SelectChoice(MetricRole.PRIMARY.value, "Primary"),
    SelectChoice(MetricRole.SECONDARY.value, "Secondary"),
    SelectChoice(MetricRole.GUARDRAIL.value, "Guardrail"),
    SelectChoice(NOT_IN_PLAN, "Not in this plan"),
]
SIDEDNESS_CHOICES = [
    (Sidedness.TWO_SIDED.value, "Two-sided – an effect in either direction"),
    (Sidedness.GREATER.value, "One-sided – the change increases the metric"),
    (Sidedness.LESS.value, "One-sided – the change decreases the metric"),
]
MULTIPLE_TESTING_CHOICES = [
    (MultipleTesting.HOLM.value, "Holm – controls the chance of any false positive"),
    (
        MultipleTesting.BENJAMINI_HOCHBERG.value,
        "Benjamini–Hochberg – controls the share of false positives",
    ),
    (MultipleTesting.NONE.value, "None – no adjustment"),
]
TEST_LABELS = {name: text for tests in PLAN_TESTS.values() for name, text in tests}
SIDEDNESS_LABELS = dict(SIDEDNESS_CHOICES)
MULTIPLE_TESTING_LABELS = dict(MULTIPLE_TESTING_CHOICES)


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, text) for value, text in pairs]


def default_test(kind: MetricKind) -> str:
    return PLAN_TESTS[kind][0][0]


def test_label(test: str) -> str:
    """A test as people read it; one recorded before the form offered a list is shown as is."""
    return TEST_LABELS.get(test, test or "Not named (the default for the metric's kind)")


def _number(
    label: str, example: str, *, low: float | None = None, high: float | None = None
) -> Validator:
    """A validator for a number typed as text, with messages that name the field."""

    def check(form: FlaskForm, field: Field) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        try:
            value = float(text)
        except ValueError:
            raise ValidationError(f"{label} must be a number, like {example}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(f"{label} must be a number, like {example}")
        if low is not None and high is not None and not low < value < high:
            raise ValidationError(f"{label} must be between {low:g} and {high:g}, like {example}")

    return check


def _test_for(metric: Metric, recorded: str | None) -> Validator:
    """A validator: the test must be one the metric's kind allows (or the one already recorded)."""
    allowed = {name for name, _ in PLAN_TESTS[metric.kind]} | ({recorded} if recorded else set())

    def check(form: FlaskForm, field: Field) -> None:
        if field.data not in allowed:
            raise ValidationError(
                f"Choose a test suited to {KIND_NAMES[metric.kind]} for {metric.name}"
            )

    return check


def _medium_label(**params: Any) -> dict[str, Any]:
    """GOV.UK options for a box whose label is a medium heading: each setting is a plan section."""
    return {"params": {**params, "label": {"classes": "govuk-label--m"}}}


def _decimal_box(width: int) -> dict[str, Any]:
    """A box for a number like 0.05: a decimal keypad on phones, no spellcheck."""
    return _medium_label(
        classes=f"govuk-input--width-{width}", inputmode="decimal", spellcheck=False
    )


def _legend(text: str, size: str, **params: Any) -> dict[str, Any]:
    """GOV.UK options for radios with a legend of `size` (s or m)."""
    legend = {"text": text, "classes": f"govuk-fieldset__legend--{size}"}
    return {"params": {**params, "fieldset": {"legend": legend}}}


@dataclass(frozen=True)
class MetricRow:
    """One of the policy's metrics on the form: its role field and its test field."""

    metric: Metric
    role: str
    test: str


class PlanFormBase(FlaskForm):  # type: ignore[misc]
    """The fields every plan form has; the per-metric ones are added by `plan_form`."""

    metric_rows: list[MetricRow]


def role_field_name(metric: Metric) -> str:
    return f"metric-{metric.key}-role"


def test_field_name(metric: Metric) -> str:
    return f"metric-{metric.key}-test"


def plan_form(
    metrics: list[Metric], *, amendment: bool, recorded: dict[str, str] | None = None
) -> PlanFormBase:
    """The plan form for a policy's metrics; `amendment` adds the required reason.

    `recorded` maps a metric key to a test an earlier version names that is not in the list
    (written before the form offered one): it stays selectable so editing does not change it.
    """
    recorded = recorded or {}
    attrs: dict[str, Any] = {}
    if amendment:
        attrs["amendment_reason"] = TextAreaField(
            "Reason for amending",
            description="What changed since the locked version, and why. It is kept with the plan.",
            filters=[lambda text: (text or "").strip()],
            validators=[DataRequired("Enter the reason for amending the plan")],
            widget=GovTextArea(),
            render_kw=_medium_label(rows=3),
        )
    attrs["estimand"] = TextAreaField(
        "Estimand",
        description=(
            "What effect the pilot estimates: in whom, compared with what, measured how and "
            "when. For example, the difference in take-up within 30 days between people sent "
            "the new letter and people sent the current one."
        ),
        widget=GovTextArea(),
        render_kw=_medium_label(rows=4),
    )
    rows = []
    for metric in metrics:
        kind = MetricKind(metric.kind)
        attrs[role_field_name(metric)] = RadioField(
            f"Role of {metric.name}",
            choices=ROLE_CHOICES,
            default=NOT_IN_PLAN,
            validators=[InputRequired(f"Select the role of {metric.name} in this plan")],
            widget=GovRadioInput(),
            render_kw=_legend(
                f"Role of {metric.name}",
                "s",
                hint=None,
                classes="govuk-radios--small govuk-radios--inline",
            ),
        )
        choices = list(PLAN_TESTS[kind])
        extra = recorded.get(metric.key)
        if extra and extra not in TEST_LABELS:
            choices.append((extra, f"{extra} (as recorded earlier)"))
        attrs[test_field_name(metric)] = SelectField(
            f"Test for {metric.name}",
            choices=_choices(choices),
            default=default_test(kind),
            validate_choice=False,
            validators=[_test_for(metric, extra)],
            description=f"{metric.name} is {KIND_NAMES[kind]}.",
            widget=GovSelect(),
        )
        rows.append(MetricRow(metric, role_field_name(metric), test_field_name(metric)))
    attrs["alpha"] = StringField(
        "Significance level (α)",
        default="0.05",
        description="Between 0 and 1, for example 0.05.",
        validators=[
            InputRequired("Enter the significance level (α)"),
            _number("Significance level (α)", "0.05", low=0, high=1),
        ],
        widget=GovTextInput(),
        render_kw=_decimal_box(5),
    )
    attrs["sidedness"] = RadioField(
        "Direction of the test",
        choices=_choices(SIDEDNESS_CHOICES),
        default=Sidedness.TWO_SIDED.value,
        validators=[InputRequired("Select the direction of the test")],
        widget=GovRadioInput(),
        render_kw=_legend("Direction of the test", "m", hint=None),
    )
    attrs["multiple_testing"] = RadioField(
        "Correction for multiple testing",
        choices=_choices(MULTIPLE_TESTING_CHOICES),
        default=MultipleTesting.HOLM.value,
        description="Applied to the primary and secondary metrics' p-values in each iteration.",
        validators=[InputRequired("Select a correction for multiple testing")],
        widget=GovRadioInput(),
        render_kw=_legend("Correction for multiple testing", "m"),
    )
    attrs["covariates"] = LinesField(
        "Covariates",
        description="Variables the analysis adjusts for, one per line. Leave blank for none.",
        render_kw=_medium_label(rows=3),
    )
    attrs["mde"] = StringField(
        "Minimum detectable effect (optional)",
        description=(
            "The smallest effect the pilot is sized to detect, on the primary metric's scale: "
            "for example 0.03 for 3 percentage points."
        ),
        validators=[_number("Minimum detectable effect", "0.03")],
        widget=GovTextInput(),
        render_kw=_decimal_box(10),
    )
    attrs["sequential"] = BooleanField(
        "Results will be monitored sequentially",
        description=(
            "The analysis then uses always-valid intervals, so results can be looked at before "
            "the pilot ends without inflating false positives."
        ),
        widget=GovCheckboxInput(),
    )
    attrs["stopping_rule"] = TextAreaField(
        "Stopping rule",
        description="When the pilot stops early, or that it runs to its planned sample size.",
        widget=GovTextArea(),
        render_kw=_medium_label(rows=3),
    )
    attrs["version"] = HiddenField()
    attrs["submit"] = SubmitField("Save", widget=GovSubmitInput())
    form_class = type("PlanForm", (PlanFormBase,), attrs)
    form: PlanFormBase = form_class()
    form.metric_rows = rows
    return form


def fill_form(form: PlanFormBase, plan: AnalysisPlan, specs: list[PlanMetricSpec]) -> None:
    """Put a saved plan version's values in the form (a GET of edit, or an amendment's start)."""
    form.estimand.data = plan.estimand
    form.alpha.data = f"{plan.alpha:g}"
    form.sidedness.data = Sidedness(plan.sidedness).value
    form.multiple_testing.data = MultipleTesting(plan.multiple_testing).value
    form.covariates.data = list(plan.covariates)
    form.mde.data = "" if plan.mde is None else f"{plan.mde:g}"
    form.sequential.data = plan.sequential
    form.stopping_rule.data = plan.stopping_rule
    by_key = {spec.metric: spec for spec in specs}
    for row in form.metric_rows:
        spec = by_key.get(row.metric.key)
        form[row.role].data = spec.role.value if spec else NOT_IN_PLAN
        if spec and spec.test:
            form[row.test].data = spec.test
        else:
            form[row.test].data = default_test(MetricKind(row.metric.kind))


def form_data(form: PlanFormBase) -> dict[str, Any]:
    """The service's data for the plan the form describes."""
    mde = (form.mde.data or "").strip()
    data: dict[str, Any] = {
        "estimand": form.estimand.data or "",
        "alpha": float(form.alpha.data),
        "sidedness": form.sidedness.data,
        "multiple_testing": form.multiple_testing.data,
        "covariates": form.covariates.data,
        "mde": float(mde) if mde else None,
        "sequential": bool(form.sequential.data),
        "stopping_rule": form.stopping_rule.data or "",
        "metrics": [
            {"metric": row.metric.key, "role": form[row.role].data, "test": form[row.test].data}
            for row in form.metric_rows
            if form[row.role].data != NOT_IN_PLAN
        ],
    }
    if "amendment_reason" in form:
        data["amendment_reason"] = form.amendment_reason.data
    return data


def _recorded_tests(specs: list[PlanMetricSpec]) -> dict[str, str]:
    return {spec.metric: spec.test for spec in specs if spec.test and spec.test not in TEST_LABELS}


def _context(db: Session, slug: str) -> tuple[Pilot, Policy, list[Metric]]:
    pilot = get_pilot(session=db, slug=checked(slug))
    policy = db.get_one(Policy, pilot.policy_id)
    return pilot, policy, metric_service.list_metrics(session=db, policy_slug=policy.slug)


def _plan_or_404(db: Session, slug: str, version: int) -> AnalysisPlan:
    return plans.get_plan(session=db, pilot_slug=checked(slug), version=version)


def _utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite hands back times without their zone; they are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(moment: datetime | None) -> str:
    """A time as GOV.UK style writes it: 4 March 2025 at 2:05pm (UTC)."""
    if moment is None:
        return ""
    when = _utc(moment)
    hour = when.hour % 12 or 12
    return f"{when.day} {when:%B %Y} at {hour}:{when:%M}{'am' if when.hour < 12 else 'pm'} (UTC)"


def _page_url(slug: str, version: int) -> str:
    return url_for("plans.detail", slug=slug, version=version)


def _message(
    heading: str, paragraphs: list[str], links: list[tuple[str, str]], back: tuple[str, str]
) -> str:
    return render_template(
        "plans/message.html", heading=heading, paragraphs=paragraphs, links=links, back=back
    )


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/plans/<int:version>")
def detail(slug: str, version: int) -> str:
    """One plan version: every field and metric; once locked, its SHA-256 and how to check it."""
    db = get_session()
    pilot, _policy, metrics = _context(db, slug)
    plan = _plan_or_404(db, slug, version)
    specs = plans.plan_metric_specs(session=db, plan=plan)
    canonical = plans.canonical_plan(pilot.slug, plan, specs)
    latest = plans.list_plans(session=db, pilot_slug=pilot.slug)[-1]
    locked_by = db.get(User, plan.locked_by_id) if plan.locked_by_id else None
    kinds = {metric.key: metric for metric in metrics}
    return render_template(
        "plans/detail.html",
        pilot=pilot,
        plan=plan,
        rows=[(kinds[spec.metric], spec) for spec in specs if spec.metric in kinds],
        canonical=canonical,
        current_hash=plans.plan_hash(session=db, pilot_slug=pilot.slug, plan=plan),
        latest=latest,
        locked_by=locked_by,
        locked_at_text=_moment(plan.locked_at),
        locked_at_iso=_utc(plan.locked_at).isoformat() if plan.locked_at else "",
        history_url=history_url("analysis_plan", plan.id),
        test_label=test_label,
        sidedness_labels=SIDEDNESS_LABELS,
        multiple_testing_labels=MULTIPLE_TESTING_LABELS,
    )


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/plans/<int:version>/canonical.json")
def canonical(slug: str, version: int) -> Response:
    """The plan's canonical form as the exact UTF-8 bytes its SHA-256 is computed from."""
    db = get_session()
    plan = _plan_or_404(db, slug, version)
    specs = plans.plan_metric_specs(session=db, plan=plan)
    body = plans.canonical_plan(slug, plan, specs).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{slug}-plan-v{version}.canonical.json"'
    )
    return response


@blueprint.route(f"/pilots/<{SLUG_ROUTE}:slug>/plans/new", methods=["GET", "POST"])
@require_role(PLAN_ROLE)
def new(slug: str) -> ResponseReturnValue:
    """Write the first plan version, or amend a locked plan as the next version with a reason."""
    db = get_session()
    pilot, _policy, metrics = _context(db, slug)
    versions = plans.list_plans(session=db, pilot_slug=pilot.slug)
    latest = versions[-1] if versions else None
    back = (url_for("pilots.detail", slug=pilot.slug) + "#analysis-plan", f"Back to {pilot.title}")
    if latest is not None and latest.locked_at is None:
        edit_url = url_for("plans.edit", slug=pilot.slug, version=latest.plan_version)
        return (
            _message(
                f"Version {latest.plan_version} of the plan is still a draft",
                [
                    "A new version can only be written once the latest version is locked. "
                    "Nothing has been saved.",
                    "Edit the draft instead, or lock it first and then amend it.",
                ],
                [(edit_url, f"Edit draft version {latest.plan_version}")],
                back,
            ),
            409,
        )
    latest_specs = plans.plan_metric_specs(session=db, plan=latest) if latest else []
    form = plan_form(metrics, amendment=latest is not None, recorded=_recorded_tests(latest_specs))
    if latest is not None and not form.is_submitted():
        fill_form(form, latest, latest_specs)
    if form.validate_on_submit():
        saved = save_new(
            form,
            plans.create_plan,
            duplicate_field="estimand",
            pilot_slug=pilot.slug,
            data=form_data(form),
        )
        if saved.result is not None:
            return redirect(_page_url(pilot.slug, saved.result.plan_version), 303)
    number = (latest.plan_version + 1) if latest else 1
    return render_template(
        "plans/form.html",
        form=form,
        pilot=pilot,
        amending=latest,
        heading=f"Amend the analysis plan (version {number})"
        if latest
        else "Write an analysis plan",
        caption=pilot.title,
        submit_text="Save amendment as a draft" if latest else "Save plan as a draft",
        back_url=back[0],
        back_text=back[1],
    )


@blueprint.route(f"/pilots/<{SLUG_ROUTE}:slug>/plans/<int:version>/edit", methods=["GET", "POST"])
@require_role(PLAN_ROLE)
def edit(slug: str, version: int) -> ResponseReturnValue:
    """Edit a draft plan version; a locked one is explained, never offered as a form."""
    db = get_session()
    pilot, _policy, metrics = _context(db, slug)
    plan = _plan_or_404(db, slug, version)
    page = _page_url(pilot.slug, version)
    if plan.locked_at is not None:
        return _locked(pilot, plan, page)
    specs = plans.plan_metric_specs(session=db, plan=plan)
    form = plan_form(metrics, amendment=version > 1, recorded=_recorded_tests(specs))
    if not form.is_submitted():
        fill_form(form, plan, specs)
        if "amendment_reason" in form:
            form.amendment_reason.data = plan.amendment_reason or ""
        form.version.data = str(plan.version)
    saved: Saved[AnalysisPlan] = Saved()
    if form.validate_on_submit():

        def write(session: Session) -> AnalysisPlan:
            try:
                return plans.update_plan(
                    session=session,
                    actor=current_actor(),
                    pilot_slug=pilot.slug,
                    version=version,
                    data=form_data(form),
                    expected_version=expected_version(form.version.data),
                )
            except NotAllowed as error:
                # Locked since the page was opened: say so rather than show a bare 403.
                raise PlanLocked(str(error)) from error

        try:
            saved = save(form, write)
        except PlanLocked:
            db.rollback()
            return _locked(pilot, _plan_or_404(db, slug, version), page)
        if saved.ok:
            return redirect(page, 303)
    return edit_page(
        "plans/form.html",
        form,
        saved,
        rows=lambda current: conflict_rows(form, _saved_values(db, plan, metrics, current)),
        resave_replaces=True,
        pilot=pilot,
        amending=None,
        heading=f"Edit draft version {version} of the analysis plan",
        submit_text="Save changes",
        caption=pilot.title,
        back_url=page,
        back_text=f"Back to version {version}",
        restart_url=url_for("plans.edit", slug=pilot.slug, version=version),
        history_url=history_url("analysis_plan", plan.id),
    )


def _saved_values(
    db: Session, plan: AnalysisPlan, metrics: list[Metric], current: dict[str, Any]
) -> dict[str, Any]:
    """The saved version for the conflict panel: the plan's fields and each metric's role/test."""
    saved = dict(current)
    db.refresh(plan)
    specs = {spec.metric: spec for spec in plans.plan_metric_specs(session=db, plan=plan)}
    for metric in metrics:
        spec = specs.get(metric.key)
        saved[role_field_name(metric)] = spec.role.value if spec else NOT_IN_PLAN
        saved[test_field_name(metric)] = (spec.test if spec else "") or default_test(
            MetricKind(metric.kind)
        )
    if saved.get("alpha") is not None:
        saved["alpha"] = f"{saved['alpha']:g}"
    if saved.get("mde") is not None:
        saved["mde"] = f"{saved['mde']:g}"
    return saved


def _locked(pilot: Pilot, plan: AnalysisPlan, page: str) -> ResponseReturnValue:
    """The page a locked version's edit link or form leads to: it cannot change; amend instead."""
    locked_on = _moment(plan.locked_at)
    html = _message(
        f"Version {plan.plan_version} of the plan is locked",
        [
            f"It was locked on {locked_on} and cannot be edited, so that anyone can check the "
            "analysis followed the plan registered before the data arrived. Nothing has been "
            "changed.",
            "To change the plan, amend it: this writes a new version and keeps this one as it is.",
        ],
        [
            (url_for("plans.new", slug=pilot.slug), "Amend this plan"),
            (page, f"View version {plan.plan_version}"),
        ],
        (page, f"Back to version {plan.plan_version}"),
    )
    return (html, 409) if request.method == "POST" else html


@blueprint.route(f"/pilots/<{SLUG_ROUTE}:slug>/plans/<int:version>/lock", methods=["GET", "POST"])
@require_role(PLAN_ROLE)
def lock(slug: str, version: int) -> ResponseReturnValue:
    """Confirm, then lock a draft plan version under the SHA-256 it has now."""
    db = get_session()
    pilot, _policy, _metrics = _context(db, slug)
    plan = _plan_or_404(db, slug, version)
    page = _page_url(pilot.slug, version)
    if plan.locked_at is not None:
        return _already_locked(version, page)
    form = LockForm()
    if not form.is_submitted():
        form.version.data = str(plan.version)
    changed = False
    if form.validate_on_submit():
        try:
            plans.lock_plan(
                session=db,
                actor=current_actor(),
                pilot_slug=pilot.slug,
                version=version,
                expected_version=expected_version(form.version.data),
            )
        except ValidationFailed:
            db.rollback()  # no primary metric: the page below says so
        except Conflict:
            db.rollback()
            db.refresh(plan)
            if plan.locked_at is not None:
                return _already_locked(version, page)
            changed = True
            form.version.data = str(plan.version)
        except NotAllowed:
            db.rollback()
            abort(403)
        else:
            db.commit()
            return redirect(page + "#lock", 303)
    specs = plans.plan_metric_specs(session=db, plan=plan)
    has_primary = any(spec.role is MetricRole.PRIMARY for spec in specs)
    return render_template(
        "plans/lock.html",
        form=form,
        pilot=pilot,
        plan=plan,
        has_primary=has_primary,
        changed=changed,
        sha256=plans.plan_hash(session=db, pilot_slug=pilot.slug, plan=plan),
        page=page,
    )


def _already_locked(version: int, page: str) -> ResponseReturnValue:
    html = _message(
        f"Version {version} of the plan is already locked",
        ["Nothing has been changed. Its page shows its SHA-256 and when it was locked."],
        [(page, f"View version {version}")],
        (page, f"Back to version {version}"),
    )
    return (html, 409) if request.method == "POST" else html


class LockForm(FlaskForm):  # type: ignore[misc]
    """Locking takes no input but the version the analyst reviewed."""

    version = HiddenField()
    submit = SubmitField("Lock this plan", widget=GovSubmitInput())
