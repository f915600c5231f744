"""Creating and editing policies, and recording their stage decisions (check answers first).

A stage decision is a two-step form, as the GOV.UK "check answers" pattern asks: the form is
checked by the service in a transaction that is always rolled back, the answers are shown with
Change buttons, and only "Record the decision" writes. The draft travels in hidden fields of the
check-answers page rather than in the session cookie, which a long rationale would overflow.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlmodel import Session

from tracker.db import get_session
from tracker.models import Policy
from tracker.models.base import SLUG_MAX
from tracker.models.policy import THEORY_OF_CHANGE_PARTS
from tracker.services import policies, records
from tracker.services.actors import WRITE_ROLE
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import (
    ConflictRow,
    Saved,
    conflict_rows,
    edit_page,
    expected_version,
    save_changes,
    save_new,
    show_service_errors,
)
from tracker.web.filters import label
from tracker.web.history import history_url
from tracker.web.policy_fields import (
    DECISION_FIELDS,
    POLICY_FIELDS,
    THEORY_FIELDS,
    PolicyCreateForm,
    PolicyEditForm,
    StageDecisionForm,
)
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("policy_forms", __name__)

POLICY_ROUTE = f"/policies/<{SLUG_ROUTE}:slug>"


def derived_slug(title: str) -> str:
    """A slug suggested by a title: "Free school meals: take-up" -> "free-school-meals-take-up"."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:SLUG_MAX].strip("-")


def _policy_data(form: FlaskForm) -> dict[str, Any]:
    theory = {part: getattr(form, f"theory_{part}").data for part in THEORY_OF_CHANGE_PARTS}
    return {
        "title": form.title.data,
        "team": form.team.data,
        "problem_statement": form.problem_statement.data,
        "tags": form.tags.data,
        "illustrative": form.illustrative.data,
        "published": form.published.data,
        "theory_of_change": {part: items for part, items in theory.items() if items},
    }


def _decision_data(form: FlaskForm) -> dict[str, Any]:
    return {
        "to_stage": form.to_stage.data,
        "rationale": form.rationale.data,
        "skip_reason": (form.skip_reason.data or "").strip() or None,
        "evidence": form.evidence.data,
        "decided_by": form.decided_by.data,
        "decided_on": form.decided_on.data,
    }


def _saved_view(saved: dict[str, Any]) -> dict[str, Any]:
    """A policy snapshot with its theory of change split into the form's fields."""
    theory = saved.get("theory_of_change") or {}
    return {**saved, **{f"theory_{part}": theory.get(part, []) for part in THEORY_OF_CHANGE_PARTS}}


def _policy_fields() -> dict[str, Any]:
    """The policy page's field groups, each rendered under its own heading."""
    return {
        "policy_fields": POLICY_FIELDS,
        "theory_fields": THEORY_FIELDS,
        "decision_fields": DECISION_FIELDS,
    }


@blueprint.route("/policies/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["policy"])
def new() -> ResponseReturnValue:
    """Record a policy with its theory of change and the stage it starts at."""
    form = PolicyCreateForm()
    if form.is_submitted() and not (form.slug.data or "").strip():
        form.slug.data = derived_slug(form.title.data or "")
    if form.validate_on_submit():
        saved = save_new(
            form,
            policies.create_policy,
            duplicate_field="slug",
            data={**_policy_data(form), "slug": form.slug.data},
            first_decision=_decision_data(form),
        )
        if saved.ok:
            return redirect(url_for("policies.detail", slug=form.slug.data), 303)
    return render_template(
        "policy_forms/policy.html",
        form=form,
        **_policy_fields(),
        heading="Add a policy",
        back_url=url_for("policies.index"),
        back_text="Back to portfolio",
        submit_text="Add policy",
    )


@blueprint.route(f"{POLICY_ROUTE}/edit", methods=["GET", "POST"])
@require_role(WRITE_ROLE["policy"])
def edit(slug: str) -> ResponseReturnValue:
    """Change a policy's description and theory of change; a stale form shows both versions."""
    policy = policies.get_policy(session=get_session(), slug=checked(slug))
    form = PolicyEditForm() if request.method == "POST" else PolicyEditForm(data=_values(policy))
    saved: Saved[Policy] = Saved()
    if form.validate_on_submit():
        saved = save_changes(
            form, policies.update_policy, slug=policy.slug, data=_policy_data(form)
        )
        if saved.ok:
            return redirect(url_for("policies.detail", slug=policy.slug), 303)
    return edit_page(
        "policy_forms/policy.html",
        form,
        saved,
        rows=lambda current: conflict_rows(form, _saved_view(current)),
        # Saving again now means "replace theirs", as the conflict panel offers.
        resave_replaces=True,
        **_policy_fields(),
        heading=f"Edit {policy.title}",
        caption="Policy",
        back_url=url_for("policies.detail", slug=policy.slug),
        back_text=f"Back to {policy.title}",
        submit_text="Save changes",
        restart_url=url_for("policy_forms.edit", slug=policy.slug),
        history_url=history_url("policy", records.id_of(policy)),
    )


def _values(policy: Policy) -> dict[str, Any]:
    """The edit form's starting values: the saved policy."""
    return _saved_view({**records.snapshot(policy), "version": str(policy.version)})


@blueprint.route(f"{POLICY_ROUTE}/stage", methods=["GET", "POST"])
@require_role(WRITE_ROLE["stage_decision"])
def stage(slug: str) -> ResponseReturnValue:
    """The stage decision form; a valid answer goes on to the check-answers page.

    A POST with `change` comes from a Change button on the check-answers page: it shows the
    form again with the answers kept, and checks nothing yet.
    """
    db_session = get_session()
    policy = policies.get_policy(session=db_session, slug=checked(slug))
    form = StageDecisionForm.for_policy(policy)
    if request.method == "GET":
        form.version.data = str(policy.version)
        form.from_stage.data = policy.stage.value
        return _stage_page(form, policy)
    conflict = _stale(form, policy)
    if conflict is None and "change" not in request.form and form.validate_on_submit():
        checked_answers = _dry_run(form, db_session, policy.slug)
        if checked_answers.ok:
            return render_template(
                "policy_forms/check_stage.html",
                form=form,
                policy=policy,
                hidden=_hidden_values(form),
            )
        conflict = checked_answers.conflict
    return _stage_page(form, policy, conflict)


@blueprint.post(f"{POLICY_ROUTE}/stage/confirm")
@require_role(WRITE_ROLE["stage_decision"])
def confirm_stage(slug: str) -> ResponseReturnValue:
    """Record the checked stage decision, if the policy has not changed since."""
    policy = policies.get_policy(session=get_session(), slug=checked(slug))
    form = StageDecisionForm.for_policy(policy)
    conflict = _stale(form, policy)
    if conflict is None and form.validate_on_submit():
        saved = save_changes(
            form, policies.decide_stage, slug=policy.slug, data=_decision_data(form)
        )
        if saved.ok:
            return redirect(url_for("policies.detail", slug=slug, _anchor="stage-history"), 303)
        conflict = saved.conflict
    return _stage_page(form, policy, conflict)


def _stale(form: StageDecisionForm, policy: Policy) -> Conflict | None:
    """A Conflict when the policy changed since the form was opened (checked before the rest)."""
    try:
        records.check_version(policy, expected_version(form.version.data))
    except Conflict as conflict:
        return conflict
    return None


def _dry_run(form: StageDecisionForm, db_session: Session, slug: str) -> Saved[bool]:
    """Let the service check the decision in a transaction that is always rolled back."""
    try:
        policies.decide_stage(
            session=db_session,
            actor=current_actor(),
            slug=slug,
            data=_decision_data(form),
            expected_version=expected_version(form.version.data),
        )
    except ValidationFailed as error:
        show_service_errors(form, error)
        return Saved()
    except Conflict as error:
        return Saved(conflict=error)
    except NotAllowed as error:
        abort(403, description=str(error))
    finally:
        db_session.rollback()
    return Saved(result=True)


def _hidden_values(form: StageDecisionForm) -> list[tuple[str, str]]:
    """The answers as (name, value) pairs for hidden inputs; a date is its three boxes."""
    pairs = [
        ("version", form.version.data or ""),
        ("from_stage", form.from_stage.data or ""),
        ("to_stage", form.to_stage.data or ""),
        ("rationale", form.rationale.data or ""),
        ("skip_reason", form.skip_reason.data or ""),
        ("evidence", "\n".join(form.evidence.data or [])),
        ("decided_by", form.decided_by.data or ""),
    ]
    day = form.decided_on.data
    if day is not None:
        pairs += [("decided_on", str(part)) for part in (day.day, day.month, day.year)]
    return pairs


def _stage_page(form: StageDecisionForm, policy: Policy, conflict: Conflict | None = None) -> str:
    rows = []
    if conflict is not None and conflict.current is not None:
        rows = [
            ConflictRow(
                label="Stage",
                yours=label(form.from_stage.data),
                saved=label(conflict.current.get("stage")),
            )
        ]
        # Going on now means deciding from the saved stage.
        form.version.data = str(conflict.current["version"])
        form.from_stage.data = str(conflict.current.get("stage") or "")
        form.set_stage_choices(policy.stage)
    return render_template(
        "policy_forms/stage.html",
        form=form,
        policy=policy,
        heading="Record a stage decision",
        caption=policy.title,
        back_url=url_for("policies.detail", slug=policy.slug, _anchor="stage-history"),
        back_text=f"Back to {policy.title}",
        submit_text="Continue",
        form_action=url_for("policy_forms.stage", slug=policy.slug),
        conflict=conflict,
        conflict_rows=rows,
        restart_url=url_for("policy_forms.stage", slug=policy.slug),
        history_url=url_for("history.policy", slug=policy.slug),
    )
