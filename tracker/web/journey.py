"""The policy journey page: a policy's gates, pilots, decisions and engagement as one timeline."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template

from tracker.charts import figure_json
from tracker.charts.journey import stage_path_figure
from tracker.db import get_session
from tracker.services.journey import get_journey
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("journey", __name__)


@blueprint.get(f"/policies/<{SLUG_ROUTE}:slug>/journey")
def policy_journey(slug: str) -> str:
    """How the policy got where it is (read-only; every signed-in user)."""
    today = date.today()
    journey = get_journey(session=get_session(), slug=checked(slug), today=today)
    return render_template(
        "journey/policy.html",
        journey=journey,
        overview=journey.overview,
        policy=journey.overview.policy,
        stage_json=figure_json(stage_path_figure(journey.visits, today))
        if journey.visits
        else None,
    )
