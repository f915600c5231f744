"""Pilot page: design, plans, iterations with their arms and results, and the outcome chart."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker import charts
from tracker.db import get_session
from tracker.services.overviews import get_pilot_overview
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("pilots", __name__)


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>")
def detail(slug: str) -> str:
    """One pilot with everything recorded about it and one chart of its first reported metric."""
    overview = get_pilot_overview(session=get_session(), slug=checked(slug))
    chart = charts.pilot_outcome_chart(overview)
    return render_template(
        "pilots/detail.html",
        overview=overview,
        chart=chart,
        chart_json=charts.figure_json(chart.figure) if chart else None,
    )
