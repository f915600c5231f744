"""History pages: any record's changes, from the audit trail (who, when, what from and to)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for

from tracker.db import get_session
from tracker.models.enums import Role
from tracker.services import history
from tracker.services.actors import ROLE_RANK
from tracker.services.pilots import get_pilot
from tracker.services.policies import get_policy
from tracker.services.records import id_of
from tracker.web.auth import current_user
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("history", __name__)


def _page(entity_type: str, record_id: int, title: str, back: str, back_text: str) -> str:
    events = history.record_history(
        session=get_session(), entity_type=entity_type, entity_id=record_id
    )
    return render_template(
        "history/index.html", events=events, title=title, back=back, back_text=back_text
    )


def history_url(entity_type: str, entity_id: int | None) -> str:
    """Where a record's history page is: edit pages link to it."""
    return url_for("history.record", entity_type=entity_type, entity_id=entity_id)


@blueprint.get(f"/policies/<{SLUG_ROUTE}:slug>/history")
def policy(slug: str) -> str:
    """Every recorded change to a policy."""
    record = get_policy(session=get_session(), slug=checked(slug))
    back = url_for("policies.detail", slug=record.slug)
    return _page("policy", id_of(record), record.title, back, f"Back to {record.title}")


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/history")
def pilot(slug: str) -> str:
    """Every recorded change to a pilot."""
    record = get_pilot(session=get_session(), slug=checked(slug))
    back = url_for("pilots.detail", slug=record.slug)
    return _page("pilot", id_of(record), record.title, back, f"Back to {record.title}")


@blueprint.get("/history/<string(maxlength=40):entity_type>/<int:entity_id>")
def record(entity_type: str, entity_id: int) -> str:
    """Every recorded change to any other record: a need, a result, an iteration, a user…

    Users' histories name who changed whose role: only admins, who manage users, read them.
    """
    if entity_type == "user" and not _is_admin():
        abort(403)
    ref = history.describe_record(
        session=get_session(), entity_type=entity_type, entity_id=entity_id
    )
    if ref.pilot_slug:
        back, back_text = url_for("pilots.detail", slug=ref.pilot_slug), "Back to the pilot"
    elif ref.policy_slug:
        back, back_text = url_for("policies.detail", slug=ref.policy_slug), "Back to the policy"
    elif entity_type == "user":
        back, back_text = url_for("users.index"), "Back to users"
    else:
        back, back_text = url_for("policies.index"), "Back to portfolio"
    return _page(entity_type, entity_id, ref.title, back, back_text)


def _is_admin() -> bool:
    user = current_user()
    return user is not None and ROLE_RANK[user.role] >= ROLE_RANK[Role.ADMIN]
