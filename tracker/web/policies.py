"""Policy pages: the portfolio list and one policy with its needs, hypotheses and pilots."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.db import get_session
from tracker.services.overviews import get_policy_overview, list_policy_summaries
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("policies", __name__)


@blueprint.get("/")
def index() -> str:
    """Every policy in the portfolio with its stage, team and number of pilots."""
    summaries = list_policy_summaries(session=get_session())
    return render_template("policies/index.html", summaries=summaries)


@blueprint.get(f"/policies/<{SLUG_ROUTE}:slug>")
def detail(slug: str) -> str:
    """One policy: problem, stage history, theory of change, needs, hypotheses, engagement."""
    overview = get_policy_overview(session=get_session(), slug=checked(slug))
    return render_template("policies/detail.html", overview=overview)
