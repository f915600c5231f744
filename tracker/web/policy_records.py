"""Creating and editing a policy's user needs, hypotheses, metrics and engagement log.

Every kind of record has the same two pages (`_new_page`, `_edit_page`); a `RecordPages` says
all that differs between the kinds: the form, the services, the wording and how a record is shown.

The choices that name other records (a need's metrics, the metric a hypothesis is measured by,
the iteration an engagement fed into) are the policy's own records, read when the page opens;
a choice with nothing to choose from is left off the form and the page says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms.fields.choices import SelectChoice, SelectFieldBase

from tracker.db import get_session
from tracker.models import Engagement, Hypothesis, Iteration, Metric, Pilot, Policy, UserNeed
from tracker.services import engagements, hypotheses, iterations, metrics, pilots, user_needs
from tracker.services.actors import WRITE_ROLE
from tracker.services.errors import Conflict
from tracker.services.policies import get_policy
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import ConflictRow, Saved, conflict_rows, expected_version, save
from tracker.web.fields import GovDateField, long_iso_date
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

Record = TypeVar("Record", UserNeed, Hypothesis, Metric, Engagement)
Values = dict[str, Any]
AnyForm = TypeVar("AnyForm", bound=FlaskForm)


@dataclass(frozen=True)
class RecordPages(Generic[Record]):
    """What the create and edit pages of one kind of policy record need to know about it."""

    entity: str  # its table: names its write role, its history, its template and its routes
    section: str  # the policy page's section for it, also the pages' place in the web address
    add_heading: str
    submit_text: str
    form: Callable[[Session, Policy, Values | None], Any]  # its form, with a record's values
    data: Callable[[Any], Values]  # a valid form's values for the service (all but the key)
    create: Callable[..., Any]
    update: Callable[..., Any]
    find: Callable[[Session, Policy, Any], Record]  # the record the edit page's address names
    values: Callable[[Session, Policy, Record], Values]  # the record as its form shows it
    edit_heading: Callable[[Record], str]
    # The saved version in a conflict as the form words it, where the two differ.
    shown_saved: Callable[[Session, Policy, Record, Values], Values] | None = None
    context: Callable[[Record], Values] = lambda record: {}
    fixed: tuple[str, ...] = ("key",)  # shown on the create page only: they never change
    ident: str = KEY  # how the edit page's address names the record

    @property
    def template(self) -> str:
        return f"policy_records/{self.entity}.html"


# The shared create and edit flow ----------------------------------------------------------------


def _policy(slug: str) -> Policy:
    return get_policy(session=get_session(), slug=checked(slug))


def _policy_url(policy: Policy, anchor: str) -> str:
    return url_for("policies.detail", slug=policy.slug, _anchor=anchor)


def _open(form_class: type[FlaskForm], values: Values | None = None) -> Any:
    """The form with `values` on GET (an edit page's record), or with what was posted."""
    if request.method == "POST" or values is None:
        return form_class()
    return form_class(data=values)


def _drop(form: FlaskForm, *names: str) -> None:
    for name in names:
        delattr(form, name)


def _choose_from(
    form: AnyForm,
    name: str,
    records: list[SelectChoice],
    *,
    before: tuple[SelectChoice, ...] = (),
    after: tuple[SelectChoice, ...] = (),
) -> AnyForm:
    """Offer the policy's own records as the choices of `name`, with any "none of them" option
    `before` or `after` them; with no records the question is left off and the page says why."""
    if records:
        form[name].choices = [*before, *records, *after]
    else:
        _drop(form, name)
    return form


def _new_page(pages: RecordPages[Any], slug: str) -> ResponseReturnValue:
    """Add a record to a policy, then go back to its section of the policy page."""
    policy = _policy(slug)
    form = pages.form(get_session(), policy, None)
    _drop(form, "version")
    if form.validate_on_submit():
        values = {**pages.data(form), "key": form.key.data}
        saved = save(
            form,
            lambda db: pages.create(
                session=db, actor=current_actor(), policy_slug=policy.slug, data=values
            ),
            duplicate_field="key",
        )
        if saved.ok:
            return redirect(_policy_url(policy, pages.section), code=303)
    return _page(pages, form, policy, heading=pages.add_heading, submit_text=pages.submit_text)


def _edit_page(pages: RecordPages[Any], slug: str, ident: Any) -> ResponseReturnValue:
    """Change a record, at the version the form was opened at; a stale save shows both."""
    db_session = get_session()
    policy = _policy(slug)
    record = pages.find(db_session, policy, ident)
    values = {**pages.values(db_session, policy, record), "version": str(record.version)}
    form = pages.form(db_session, policy, values)
    _drop(form, *pages.fixed)
    saved: Saved[Any] = Saved()
    if form.validate_on_submit():
        saved = save(
            form,
            lambda db: pages.update(
                session=db,
                actor=current_actor(),
                policy_slug=policy.slug,
                key=record.key,
                data=pages.data(form),
                expected_version=expected_version(form.version.data),
            ),
        )
        if saved.ok:
            return redirect(_policy_url(policy, pages.section), code=303)
    shown_saved = pages.shown_saved
    return _page(
        pages,
        form,
        policy,
        heading=pages.edit_heading(record),
        submit_text="Save changes",
        conflict=saved.conflict,
        shown=(lambda current: shown_saved(db_session, policy, record, current))
        if shown_saved
        else None,
        history_url=history_url(pages.entity, record.id),
        record_key=record.key,
        **pages.context(record),
    )


def _page(
    pages: RecordPages[Any],
    form: FlaskForm,
    policy: Policy,
    *,
    heading: str,
    submit_text: str,
    conflict: Conflict | None = None,
    shown: Callable[[Values], Values] | None = None,
    **context: Any,
) -> str:
    """Render a create or edit page; a stale save shows both versions, ready to save again."""
    rows = []
    if conflict is not None and conflict.current is not None:
        current = shown(conflict.current) if shown else conflict.current
        rows = _readable(form, conflict_rows(form, current))
        # Saving again now replaces the version the user has just been shown.
        form.version.data = str(conflict.current["version"])
    return render_template(
        pages.template,
        form=form,
        policy=policy,
        heading=heading,
        caption=policy.title,
        back_url=_policy_url(policy, pages.section),
        back_text=f"Back to {policy.title}",
        submit_text=submit_text,
        conflict=conflict,
        conflict_rows=rows,
        restart_url=request.path,
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
            wording[str(field.label.text)] = long_iso_date
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


def _route(pages: RecordPages[Any]) -> None:
    """The kind's pages: <policy>/<section>/new and <policy>/<section>/<ident>/edit, each
    open only to the kind's write role (the same role its service checks)."""
    guard = require_role(WRITE_ROLE[pages.entity])

    def new(slug: str) -> ResponseReturnValue:
        return _new_page(pages, slug)

    def edit(slug: str, **address: Any) -> ResponseReturnValue:
        (ident,) = address.values()
        return _edit_page(pages, slug, ident)

    base = f"{POLICY}/{pages.section}"
    methods = ["GET", "POST"]
    blueprint.add_url_rule(f"{base}/new", f"new_{pages.entity}", guard(new), methods=methods)
    edit_rule = f"{base}/{pages.ident}/edit"
    blueprint.add_url_rule(edit_rule, f"edit_{pages.entity}", guard(edit), methods=methods)


def _policy_metrics(session: Session, policy: Policy) -> list[Metric]:
    return metrics.list_metrics(session=session, policy_slug=policy.slug)


def _metric_options(session: Session, policy: Policy) -> list[SelectChoice]:
    return [SelectChoice(m.key, m.name) for m in _policy_metrics(session, policy)]


def _by_key(get: Callable[..., Record]) -> Callable[[Session, Policy, str], Record]:
    """Find a record by its policy and the key in the edit page's address, with get_x."""
    return lambda session, policy, key: get(
        session=session, policy_slug=policy.slug, key=checked(key)
    )


def _texts(form: FlaskForm, names: tuple[str, ...]) -> Values:
    return {name: getattr(form, name).data for name in names}


# User needs -------------------------------------------------------------------------------------

NEED_TEXTS = ("as_a", "i_need", "so_that", "evidence_source")


def _need_form(session: Session, policy: Policy, values: Values | None) -> UserNeedForm:
    form: UserNeedForm = _open(UserNeedForm, values)
    return _choose_from(form, "metric_keys", _metric_options(session, policy))


def _need_data(form: UserNeedForm) -> Values:
    data = _texts(form, NEED_TEXTS)
    data["metric_keys"] = form.metric_keys.data or [] if "metric_keys" in form else []
    return data


def _need_metrics(session: Session, policy: Policy, need: UserNeed, current: Values) -> Values:
    return {**current, "metric_keys": user_needs.metric_keys_of(session=session, need=need)}


USER_NEEDS = RecordPages[UserNeed](
    entity="user_need",
    section="user-needs",
    add_heading="Add a user need",
    submit_text="Save user need",
    form=_need_form,
    data=_need_data,
    create=user_needs.create_user_need,
    update=user_needs.update_user_need,
    find=_by_key(user_needs.get_user_need),
    values=lambda session, policy, need: _need_metrics(
        session, policy, need, need.model_dump(include=set(NEED_TEXTS))
    ),
    edit_heading=lambda need: "Change a user need",
    shown_saved=_need_metrics,
)


# Hypotheses -------------------------------------------------------------------------------------

HYPOTHESIS_TEXTS = ("we_believe", "for_users", "will")


def _hypothesis_form(session: Session, policy: Policy, values: Values | None) -> HypothesisForm:
    form: HypothesisForm = _open(HypothesisForm, values)
    undecided = SelectChoice(NO_METRIC, "Not decided yet")
    return _choose_from(form, "measured_by", _metric_options(session, policy), after=(undecided,))


def _hypothesis_data(form: HypothesisForm) -> Values:
    data = _texts(form, HYPOTHESIS_TEXTS)
    data["status"] = form.status.data
    data["measured_by"] = form.measured_by.data or None if "measured_by" in form else None
    return data


def _measured_by(session: Session, policy: Policy, metric_id: int | None) -> str:
    """The key of the metric a hypothesis is measured by, as its radios name it."""
    metric_keys = {m.id: m.key for m in _policy_metrics(session, policy)}
    return metric_keys.get(metric_id, NO_METRIC)


HYPOTHESES = RecordPages[Hypothesis](
    entity="hypothesis",
    section="hypotheses",
    add_heading="Add a hypothesis",
    submit_text="Save hypothesis",
    form=_hypothesis_form,
    data=_hypothesis_data,
    create=hypotheses.create_hypothesis,
    update=hypotheses.update_hypothesis,
    find=_by_key(hypotheses.get_hypothesis),
    values=lambda session, policy, hypothesis: {
        **hypothesis.model_dump(include=set(HYPOTHESIS_TEXTS)),
        "status": hypothesis.status.value,
        "measured_by": _measured_by(session, policy, hypothesis.metric_id),
    },
    edit_heading=lambda hypothesis: "Change a hypothesis",
    shown_saved=lambda session, policy, hypothesis, current: {
        **current,
        "measured_by": _measured_by(session, policy, current.get("metric_id")),
    },
)


# Metrics ----------------------------------------------------------------------------------------

METRIC_TEXTS = ("name", "unit", "description")


def _metric_data(form: MetricForm) -> Values:
    """The metric's values; its kind only from the create page (the edit page cannot change it)."""
    data = _texts(form, METRIC_TEXTS)
    data["direction"] = form.direction.data
    data["minimum_important_difference"] = form.minimum_important_difference.data
    if "kind" in form:
        data["kind"] = form.kind.data
    return data


def _metric_values(metric: Metric) -> Values:
    mid = metric.minimum_important_difference
    return {
        **metric.model_dump(include=set(METRIC_TEXTS)),
        "direction": metric.direction.value,
        "minimum_important_difference": "" if mid is None else f"{mid:g}",
    }


METRICS = RecordPages[Metric](
    entity="metric",
    section="metrics",
    add_heading="Add a metric",
    submit_text="Save metric",
    form=lambda session, policy, values: _open(MetricForm, values),
    data=_metric_data,
    create=metrics.create_metric,
    update=metrics.update_metric,
    find=_by_key(metrics.get_metric),
    values=lambda session, policy, metric: _metric_values(metric),
    edit_heading=lambda metric: f"Change the metric ‘{metric.name}’",
    context=lambda metric: {"kind_label": METRIC_KIND_LABELS[metric.kind.value]},
    fixed=("key", "kind"),
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


def _engagement_form(session: Session, policy: Policy, values: Values | None) -> EngagementForm:
    form: EngagementForm = _open(EngagementForm, values)
    unlinked = SelectChoice(NO_ITERATION, "Not linked to an iteration")
    return _choose_from(form, "iteration", _iteration_choices(session, policy), before=(unlinked,))


ENGAGEMENT_TEXTS = ("held_on", "what_we_heard", "what_changed")


def _engagement_data(form: EngagementForm) -> Values:
    data = _texts(form, ("group", "method", *ENGAGEMENT_TEXTS))
    data["participants"] = form.participants.data
    choice = form.iteration.data if "iteration" in form else NO_ITERATION
    pilot_slug, _, number = (choice or NO_ITERATION).rpartition(":")
    data["pilot"] = pilot_slug or None
    data["iteration"] = int(number) if pilot_slug else None
    return data


def _engagement(session: Session, policy: Policy, entry_id: int) -> Engagement:
    """The policy's engagement log entry with this id (entries have no key in their address)."""
    entry = session.get(Engagement, entry_id)
    if entry is None or entry.policy_id != policy.id:
        abort(404)
    return entry


def _engagement_values(session: Session, entry: Engagement) -> Values:
    return {
        **entry.model_dump(include=set(ENGAGEMENT_TEXTS)),
        "group": entry.group.value,
        "method": entry.method.value,
        "participants": "" if entry.participants is None else str(entry.participants),
        "iteration": _iteration_value(session, entry.iteration_id),
    }


ENGAGEMENT = RecordPages[Engagement](
    entity="engagement",
    section="engagement",
    add_heading="Log an engagement",
    submit_text="Save engagement",
    form=_engagement_form,
    data=_engagement_data,
    create=engagements.create_engagement,
    update=engagements.update_engagement,
    find=_engagement,
    values=lambda session, policy, entry: _engagement_values(session, entry),
    edit_heading=lambda entry: f"Change the engagement of {long_date(entry.held_on)}",
    shown_saved=lambda session, policy, entry, current: {
        **current,
        "iteration": _iteration_value(session, current.get("iteration_id")),
    },
    ident="<int:entry_id>",
)


for _pages in (USER_NEEDS, HYPOTHESES, METRICS, ENGAGEMENT):
    _route(_pages)
