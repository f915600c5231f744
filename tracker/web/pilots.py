"""Pilot pages: the list of every pilot with its filters, and one pilot with everything about it."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker import charts
from tracker.db import get_session
from tracker.models.enums import EvaluationType, PilotStatus
from tracker.services import search
from tracker.services.overviews import get_pilot_overview
from tracker.web.filter_items import enum_checkboxes, picked, search_text, select_items, ticked
from tracker.web.paging import paged
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("pilots", __name__)


def pilot_filters() -> search.PilotFilters:
    """The pilot list's filters from the query string (?status=…&evaluation=…&policy=…&q=…)."""
    return search.PilotFilters(
        statuses=ticked("status", PilotStatus),
        evaluation_types=ticked("evaluation", EvaluationType),
        policy=picked("policy"),
        text=search_text(),
    )


@blueprint.get("/pilots")
def index() -> str:
    """Every pilot, or those matching the filters, with its policy, status and latest iteration,
    a page at a time."""
    db_session = get_session()
    filters = pilot_filters()
    options = search.policy_options(session=db_session)
    matches, paging = paged(
        lambda limit, offset: search.find_pilots(
            session=db_session, filters=filters, limit=limit, offset=offset
        )
    )
    return render_template(
        "pilots/index.html",
        matches=matches,
        paging=paging,
        filters=filters,
        has_pilots=bool(options),
        status_items=enum_checkboxes(PilotStatus, filters.statuses),
        evaluation_items=enum_checkboxes(EvaluationType, filters.evaluation_types),
        policy_items=select_items(options, filters.policy, any_text="All policies"),
    )


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
