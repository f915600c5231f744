"""Policy pages: the portfolio list with its filters, and one policy with everything about it."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.db import get_session
from tracker.models.enums import PolicyStage
from tracker.services import search
from tracker.services.overviews import get_policy_overview
from tracker.web.filter_items import enum_checkboxes, picked, search_text, select_items, ticked
from tracker.web.paging import paged
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("policies", __name__)


def policy_filters() -> search.PolicyFilters:
    """The portfolio's filters from the query string (?stage=alpha&stage=beta&team=…&tag=…&q=…)."""
    return search.PolicyFilters(
        stages=ticked("stage", PolicyStage),
        team=picked("team"),
        tag=picked("tag"),
        text=search_text(),
    )


@blueprint.get("/")
def index() -> str:
    """The portfolio, or the policies matching the filters, with stage, team and pilots, a page
    at a time."""
    db_session = get_session()
    filters = policy_filters()
    choices = search.policy_choices(session=db_session)
    summaries, paging = paged(
        lambda limit, offset: search.find_policies(
            session=db_session, filters=filters, limit=limit, offset=offset
        )
    )
    return render_template(
        "policies/index.html",
        summaries=summaries,
        paging=paging,
        filters=filters,
        choices=choices,
        stage_items=enum_checkboxes(PolicyStage, filters.stages),
        team_items=select_items(
            ((team, team) for team in choices.teams), filters.team, any_text="All teams"
        ),
        tag_items=select_items(
            ((tag, tag) for tag in choices.tags), filters.tag, any_text="All tags"
        ),
    )


@blueprint.get(f"/policies/<{SLUG_ROUTE}:slug>")
def detail(slug: str) -> str:
    """One policy: problem, stage history, theory of change, needs, hypotheses, engagement."""
    overview = get_policy_overview(session=get_session(), slug=checked(slug))
    return render_template("policies/detail.html", overview=overview)
