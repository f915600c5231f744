"""History pages: a policy's or a pilot's changes, from the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from tracker.db import get_session
from tracker.services import history
from tracker.services.pilots import get_pilot
from tracker.services.policies import get_policy
from tracker.services.records import id_of
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("history", __name__)


def _page(entity_type: str, record_id: int, title: str, back: str) -> str:
    events = history.record_history(
        session=get_session(), entity_type=entity_type, entity_id=record_id
    )
    return render_template("history/index.html", events=events, title=title, back=back)


@blueprint.get(f"/policies/<{SLUG_ROUTE}:slug>/history")
def policy(slug: str) -> str:
    """Every recorded change to a policy."""
    record = get_policy(session=get_session(), slug=checked(slug))
    back = url_for("policies.detail", slug=record.slug)
    return _page("policy", id_of(record), record.title, back)


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/history")
def pilot(slug: str) -> str:
    """Every recorded change to a pilot."""
    record = get_pilot(session=get_session(), slug=checked(slug))
    back = url_for("pilots.detail", slug=record.slug)
    return _page("pilot", id_of(record), record.title, back)
