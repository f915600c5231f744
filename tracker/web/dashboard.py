"""The portfolio dashboard: where every policy is, which pilots are healthy and what they taught.

Read-only and open to every signed-in role; viewers land here after signing in. The numbers come
from tracker.services.dashboard, the charts from tracker.charts.dashboard, the filters from the
query string exactly as on the portfolio list, so a filtered dashboard is a link to share.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.charts import figure_json
from tracker.charts.dashboard import StageBar, StatusBar, pilot_status_figure, pipeline_figure
from tracker.db import get_session
from tracker.models.enums import PolicyStage
from tracker.services import search
from tracker.services.dashboard import MOVEMENT_WINDOWS, Dashboard, build_dashboard
from tracker.services.dashboard_rag import RAG_RULE, Rag
from tracker.web.filter_items import enum_checkboxes, select_items
from tracker.web.filters import label
from tracker.web.paging import Paging, requested_page
from tracker.web.policies import policy_filters

blueprint = Blueprint("dashboard", __name__)


def chart_json(dashboard: Dashboard) -> dict[str, str]:
    """The dashboard's figures as JSON for the page, keyed by the chart's element id."""
    stages = [
        StageBar(label(row.stage), row.count, row.median_days, row.longest_days)
        for row in dashboard.pipeline
    ]
    statuses = [
        StatusBar(label(row.status), {colour.value: n for colour, n in row.by_rag.items()})
        for row in dashboard.statuses
    ]
    return {
        "pipeline": figure_json(pipeline_figure(stages)),
        "pilot-status": figure_json(pilot_status_figure(statuses)),
    }


@blueprint.get("/dashboard")
def index() -> str:
    """The dashboard of the whole portfolio, or of the policies the filters match."""
    db_session = get_session()
    filters = policy_filters()
    dashboard = build_dashboard(session=db_session, filters=filters, page=requested_page())
    paging = Paging(
        dashboard.page,
        dashboard.pilot_count,
        per_page=dashboard.per_page,
        anchor="pilot-health",
        label="Pages of pilots",
    )
    choices = search.policy_choices(session=db_session)
    return render_template(
        "dashboard/index.html",
        dashboard=dashboard,
        charts=chart_json(dashboard),
        pagination=paging.component(),
        filters=filters,
        choices=choices,
        windows=MOVEMENT_WINDOWS,
        rag_rule=RAG_RULE,
        Rag=Rag,
        stage_items=enum_checkboxes(PolicyStage, filters.stages),
        team_items=select_items(
            ((team, team) for team in choices.teams), filters.team, any_text="All teams"
        ),
        tag_items=select_items(
            ((tag, tag) for tag in choices.tags), filters.tag, any_text="All tags"
        ),
    )
