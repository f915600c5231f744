"""Creating and editing a policy's user needs, hypotheses, metrics and engagement log.

The choices that name other records (a need's metrics, the metric a hypothesis is measured by,
the iteration an engagement fed into) are the policy's own records, read when the page opens;
a choice with nothing to choose from is left off the form and the page says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms.fields.choices import SelectChoice, SelectFieldBase

from tracker.db import get_session
from tracker.models import Engagement, Iteration, Metric, Pilot, Policy
from tracker.services import engagements, hypotheses, iterations, metrics, pilots, user_needs
from tracker.services.actors import WRITE_ROLE
from tracker.services.policies import get_policy
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import ConflictRow, Saved, conflict_rows, expected_version, save
from tracker.web.fields import GovDateField
from tracker.web.filters import long_date
from tracker.web.history import history_url
from tracker.web.policy_record_forms import (
    METRIC_KIND_LABELS,
    NO_ITERATION,
    NO_METRIC,
    EngagementForm,
    HypothesisForm,
    MetricForm,
    UserNeedForm,
)
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("policy_records", __name__)

POLICY = f"/policies/<{SLUG_ROUTE}:slug>"
KEY = f"<{SLUG_ROUTE}:key>"


# Shared page plumbing ---------------------------------------------------------------------------


def _policy(slug: str) -> Policy:
    return get_policy(session=get_session(), slug=checked(slug))


def _policy_url(policy: Policy, anchor: str) -> str:
    return url_for("policies.detail", slug=policy.slug, _anchor=anchor)


def _open(form_class: type[FlaskForm], values: dict[str, Any] | None = None) -> Any:
    """The form with `values` on GET (an edit page's record), or with what was posted."""
    if request.method == "POST" or values is None:
        return form_class()
    return form_class(data=values)


def _drop(form: FlaskForm, *names: str) -> None:
    for name in names:
        delattr(form, name)


def _done(policy: Policy, anchor: str) -> ResponseReturnValue:
    return redirect(_policy_url(policy, anchor), code=303)


def _page(
    template: str,
    form: FlaskForm,
    policy: Policy,
    anchor: str,
    *,
    heading: str,
    submit_text: str,
    saved: Saved[Any] | None = None,
    shown_saved: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    history: tuple[str, int | None] | None = None,
    **context: Any,
) -> str:
    """Render a create or edit page; a stale save shows both versions, ready to save again."""
    conflict = saved.conflict if saved else None
    rows = []
    if conflict is not None and conflict.current is not None:
        current = shown_saved(conflict.current) if shown_saved else conflict.current
        rows = _readable(form, conflict_rows(form, current))
        # Saving again now replaces the version the user has just been shown.
        form.version.data = str(conflict.current["version"])
    return render_template(
        template,
        form=form,
        policy=policy,
        heading=heading,
        caption=policy.title,
        back_url=_policy_url(policy, anchor),
        back_text=f"Back to {policy.title}",
        submit_text=submit_text,
        conflict=conflict,
        conflict_rows=rows,
        restart_url=request.path,
        history_url=history_url(*history) if history else None,
        **context,
    )


def _readable(form: FlaskForm, rows: list[ConflictRow]) -> list[ConflictRow]:
    """Both versions as the form words them: a choice's label rather than its stored value,
    a date as "3 February 2025"."""
    wording: dict[str, Callable[[str], str]] = {}
    for field in form:
        if isinstance(field, SelectFieldBase):
            labels = {str(value): str(text) for value, text, *_ in field.iter_choices()}
            wording[str(field.label.text)] = _choice_labels(labels)
        elif isinstance(field, GovDateField):
            wording[str(field.label.text)] = _long_iso_date
    return [
        replace(row, yours=say(row.yours), saved=say(row.saved))
        if (say := wording.get(row.label))
        else row
        for row in rows
    ]


def _choice_labels(labels: dict[str, str]) -> Callable[[str], str]:
    """Word each line of a shown value (one per chosen option) by its option's label."""

    def say(text: str) -> str:
        return "\n".join(labels.get(line, line) for line in text.split("\n"))

    return say


def _long_iso_date(text: str) -> str:
    try:
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


def _create(
    form: FlaskForm, policy: Policy, create: Callable[..., Any], data: Callable[[], dict[str, Any]]
) -> Saved[Any]:
    """Run a service's create_x for a valid form; a duplicate key is named on the key field."""
    if not form.validate_on_submit():
        return Saved()
    values = {**data(), "key": form.key.data}
    return save(
        form,
        lambda db: create(session=db, actor=current_actor(), policy_slug=policy.slug, data=values),
        duplicate_field="key",
    )


def _update(
    form: FlaskForm, policy: Policy, key: str, update: Callable[..., Any], data: Callable[[], Any]
) -> Saved[Any]:
    """Run a service's update_x for a valid form, at the version the form was opened at."""
    if not form.validate_on_submit():
        return Saved()
    return save(
        form,
        lambda db: update(
            session=db,
            actor=current_actor(),
            policy_slug=policy.slug,
            key=key,
            data=data(),
            expected_version=expected_version(form.version.data),
        ),
    )


def _metric_choices(session: Session, policy: Policy) -> list[Metric]:
    return metrics.list_metrics(session=session, policy_slug=policy.slug)


# User needs -------------------------------------------------------------------------------------

NEED_TEXTS = ("as_a", "i_need", "so_that", "evidence_source")


def _need_form(session: Session, policy: Policy, values: dict[str, Any] | None) -> UserNeedForm:
    form = _open(UserNeedForm, values)
    choices = [SelectChoice(m.key, m.name) for m in _metric_choices(session, policy)]
    if choices:
        form.metric_keys.choices = choices
    else:
        _drop(form, "metric_keys")
    return form  # type: ignore[no-any-return]


def _need_data(form: UserNeedForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in NEED_TEXTS}
    data["metric_keys"] = form.metric_keys.data or [] if "metric_keys" in form else []
    return data


@blueprint.route(f"{POLICY}/user-needs/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["user_need"])
def new_user_need(slug: str) -> ResponseReturnValue:
    """Add a user need to a policy."""
    policy = _policy(slug)
    form = _need_form(get_session(), policy, None)
    _drop(form, "version")
    if _create(form, policy, user_needs.create_user_need, lambda: _need_data(form)).ok:
        return _done(policy, "user-needs")
    return _page(
        "policy_records/user_need.html",
        form,
        policy,
        "user-needs",
        heading="Add a user need",
        submit_text="Save user need",
    )


@blueprint.route(f"{POLICY}/user-needs/{KEY}/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["user_need"])
def edit_user_need(slug: str, key: str) -> ResponseReturnValue:
    """Change a user need or the metrics linked to it."""
    db_session = get_session()
    policy = _policy(slug)
    need = user_needs.get_user_need(session=db_session, policy_slug=policy.slug, key=checked(key))
    values = {
        **need.model_dump(include=set(NEED_TEXTS)),
        "metric_keys": user_needs.metric_keys_of(session=db_session, need=need),
        "version": str(need.version),
    }
    form = _need_form(db_session, policy, values)
    _drop(form, "key")
    saved = _update(form, policy, need.key, user_needs.update_user_need, lambda: _need_data(form))
    if saved.ok:
        return _done(policy, "user-needs")
    return _page(
        "policy_records/user_need.html",
        form,
        policy,
        "user-needs",
        heading="Change a user need",
        submit_text="Save changes",
        saved=saved,
        shown_saved=lambda current: {
            **current,
            "metric_keys": user_needs.metric_keys_of(session=db_session, need=need),
        },
        history=("user_need", need.id),
        record_key=need.key,
    )


# Hypotheses -------------------------------------------------------------------------------------

HYPOTHESIS_TEXTS = ("we_believe", "for_users", "will")


def _hypothesis_form(policy_metrics: list[Metric], values: dict[str, Any] | None) -> HypothesisForm:
    form = _open(HypothesisForm, values)
    if policy_metrics:
        form.measured_by.choices = [
            *(SelectChoice(m.key, m.name) for m in policy_metrics),
            SelectChoice(NO_METRIC, "Not decided yet"),
        ]
    else:
        _drop(form, "measured_by")
    return form  # type: ignore[no-any-return]


def _hypothesis_data(form: HypothesisForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in HYPOTHESIS_TEXTS}
    data["status"] = form.status.data
    data["measured_by"] = form.measured_by.data or None if "measured_by" in form else None
    return data


@blueprint.route(f"{POLICY}/hypotheses/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["hypothesis"])
def new_hypothesis(slug: str) -> ResponseReturnValue:
    """Add a hypothesis to a policy."""
    policy = _policy(slug)
    form = _hypothesis_form(_metric_choices(get_session(), policy), None)
    _drop(form, "version")
    create = hypotheses.create_hypothesis
    if _create(form, policy, create, lambda: _hypothesis_data(form)).ok:
        return _done(policy, "hypotheses")
    return _page(
        "policy_records/hypothesis.html",
        form,
        policy,
        "hypotheses",
        heading="Add a hypothesis",
        submit_text="Save hypothesis",
    )


@blueprint.route(f"{POLICY}/hypotheses/{KEY}/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["hypothesis"])
def edit_hypothesis(slug: str, key: str) -> ResponseReturnValue:
    """Change a hypothesis, what it is measured by, or its status."""
    db_session = get_session()
    policy = _policy(slug)
    hypothesis = hypotheses.get_hypothesis(
        session=db_session, policy_slug=policy.slug, key=checked(key)
    )
    policy_metrics = _metric_choices(db_session, policy)
    metric_keys = {m.id: m.key for m in policy_metrics}
    values = {
        **hypothesis.model_dump(include=set(HYPOTHESIS_TEXTS)),
        "status": hypothesis.status.value,
        "measured_by": metric_keys.get(hypothesis.metric_id, NO_METRIC),
        "version": str(hypothesis.version),
    }
    form = _hypothesis_form(policy_metrics, values)
    _drop(form, "key")
    update = hypotheses.update_hypothesis
    saved = _update(form, policy, hypothesis.key, update, lambda: _hypothesis_data(form))
    if saved.ok:
        return _done(policy, "hypotheses")
    return _page(
        "policy_records/hypothesis.html",
        form,
        policy,
        "hypotheses",
        heading="Change a hypothesis",
        submit_text="Save changes",
        saved=saved,
        shown_saved=lambda current: {
            **current,
            "measured_by": metric_keys.get(current.get("metric_id"), NO_METRIC),
        },
        history=("hypothesis", hypothesis.id),
        record_key=hypothesis.key,
    )


# Metrics ----------------------------------------------------------------------------------------

METRIC_TEXTS = ("name", "unit", "description")


def _metric_data(form: MetricForm) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in METRIC_TEXTS}
    data["direction"] = form.direction.data
    data["minimum_important_difference"] = form.minimum_important_difference.number()
    return data


@blueprint.route(f"{POLICY}/metrics/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["metric"])
def new_metric(slug: str) -> ResponseReturnValue:
    """Define an outcome metric of a policy (analysts only)."""
    policy = _policy(slug)
    form = _open(MetricForm)
    _drop(form, "version")

    def data() -> dict[str, Any]:
        return {**_metric_data(form), "kind": form.kind.data}

    if _create(form, policy, metrics.create_metric, data).ok:
        return _done(policy, "metrics")
    return _page(
        "policy_records/metric.html",
        form,
        policy,
        "metrics",
        heading="Add a metric",
        submit_text="Save metric",
    )


@blueprint.route(f"{POLICY}/metrics/{KEY}/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["metric"])
def edit_metric(slug: str, key: str) -> ResponseReturnValue:
    """Change a metric; its key and kind are shown but cannot change."""
    policy = _policy(slug)
    metric = metrics.get_metric(session=get_session(), policy_slug=policy.slug, key=checked(key))
    mid = metric.minimum_important_difference
    values = {
        **metric.model_dump(include=set(METRIC_TEXTS)),
        "direction": metric.direction.value,
        "minimum_important_difference": "" if mid is None else f"{mid:g}",
        "version": str(metric.version),
    }
    form = _open(MetricForm, values)
    _drop(form, "key", "kind")
    saved = _update(form, policy, metric.key, metrics.update_metric, lambda: _metric_data(form))
    if saved.ok:
        return _done(policy, "metrics")
    return _page(
        "policy_records/metric.html",
        form,
        policy,
        "metrics",
        heading=f"Change the metric ‘{metric.name}’",
        submit_text="Save changes",
        saved=saved,
        history=("metric", metric.id),
        record_key=metric.key,
        kind_label=METRIC_KIND_LABELS[metric.kind.value],
    )


# Engagement log ---------------------------------------------------------------------------------


def _iteration_choices(session: Session, policy: Policy) -> list[SelectChoice]:
    """Every iteration of the policy's pilots, as "pilot-slug:number"."""
    choices = []
    for pilot in pilots.list_pilots(session=session, policy_slug=policy.slug):
        for iteration in iterations.list_iterations(session=session, pilot_slug=pilot.slug):
            name = f"{pilot.title}: v{iteration.number}"
            title = f" – {iteration.title}" if iteration.title else ""
            choices.append(SelectChoice(f"{pilot.slug}:{iteration.number}", name + title))
    return choices


def _iteration_value(session: Session, iteration_id: int | None) -> str:
    iteration = session.get(Iteration, iteration_id) if iteration_id else None
    pilot = session.get(Pilot, iteration.pilot_id) if iteration else None
    if iteration is None or pilot is None:
        return NO_ITERATION
    return f"{pilot.slug}:{iteration.number}"


def _engagement_form(
    session: Session, policy: Policy, values: dict[str, Any] | None
) -> EngagementForm:
    form = _open(EngagementForm, values)
    choices = _iteration_choices(session, policy)
    if choices:
        form.iteration.choices = [
            SelectChoice(NO_ITERATION, "Not linked to an iteration"),
            *choices,
        ]
    else:
        _drop(form, "iteration")
    return form  # type: ignore[no-any-return]


ENGAGEMENT_TEXTS = ("held_on", "what_we_heard", "what_changed")


def _engagement_data(form: EngagementForm) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: getattr(form, name).data for name in ("group", "method", *ENGAGEMENT_TEXTS)
    }
    data["participants"] = form.participants.number()
    choice = form.iteration.data if "iteration" in form else NO_ITERATION
    pilot_slug, _, number = (choice or NO_ITERATION).rpartition(":")
    data["pilot"] = pilot_slug or None
    data["iteration"] = int(number) if pilot_slug else None
    return data


@blueprint.route(f"{POLICY}/engagement/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["engagement"])
def new_engagement(slug: str) -> ResponseReturnValue:
    """Add an entry to a policy's engagement log."""
    policy = _policy(slug)
    form = _engagement_form(get_session(), policy, None)
    _drop(form, "version")
    create = engagements.create_engagement
    if _create(form, policy, create, lambda: _engagement_data(form)).ok:
        return _done(policy, "engagement")
    return _page(
        "policy_records/engagement.html",
        form,
        policy,
        "engagement",
        heading="Log an engagement",
        submit_text="Save engagement",
    )


@blueprint.route(f"{POLICY}/engagement/<int:entry_id>/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["engagement"])
def edit_engagement(slug: str, entry_id: int) -> ResponseReturnValue:
    """Change an entry in the engagement log, or the iteration it is linked to."""
    db_session = get_session()
    policy = _policy(slug)
    entry = db_session.get(Engagement, entry_id)
    if entry is None or entry.policy_id != policy.id:
        abort(404)
    values = {
        **entry.model_dump(include=set(ENGAGEMENT_TEXTS)),
        "group": entry.group.value,
        "method": entry.method.value,
        "participants": "" if entry.participants is None else str(entry.participants),
        "iteration": _iteration_value(db_session, entry.iteration_id),
        "version": str(entry.version),
    }
    form = _engagement_form(db_session, policy, values)
    _drop(form, "key")
    update = engagements.update_engagement
    saved = _update(form, policy, entry.key, update, lambda: _engagement_data(form))
    if saved.ok:
        return _done(policy, "engagement")
    return _page(
        "policy_records/engagement.html",
        form,
        policy,
        "engagement",
        heading=f"Change the engagement of {long_date(entry.held_on)}",
        submit_text="Save changes",
        saved=saved,
        shown_saved=lambda current: {
            **current,
            "iteration": _iteration_value(db_session, current.get("iteration_id")),
        },
        history=("engagement", entry.id),
        record_key=entry.key,
    )
