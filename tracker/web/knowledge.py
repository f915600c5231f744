"""What we learned: search the lessons of decided iterations and concluded pilots."""

from __future__ import annotations

from flask import Blueprint, render_template

from tracker.db import get_session
from tracker.models.enums import DecisionOutcome, HypothesisStatus
from tracker.services import knowledge
from tracker.web.filter_items import enum_checkboxes, picked, search_text, select_items, ticked
from tracker.web.paging import paged

blueprint = Blueprint("knowledge", __name__)


def lesson_filters() -> knowledge.LessonFilters:
    """The filters from the query string (?q=…&outcome=scale&hypothesis=supported&tag=…)."""
    return knowledge.LessonFilters(
        text=search_text(),
        outcomes=ticked("outcome", DecisionOutcome),
        hypothesis_statuses=ticked("hypothesis", HypothesisStatus),
        metric=picked("metric"),
        tag=picked("tag"),
    )


@blueprint.get("/knowledge")
def index() -> str:
    """Every lesson, or those matching the search, newest first, beside the filters, a page at
    a time."""
    db_session = get_session()
    filters = lesson_filters()
    choices = knowledge.lesson_choices(session=db_session)
    lessons, paging = paged(
        lambda limit, offset: knowledge.find_lessons(
            session=db_session, filters=filters, limit=limit, offset=offset
        )
    )
    return render_template(
        "knowledge/index.html",
        lessons=lessons,
        paging=paging,
        filters=filters,
        outcome_items=enum_checkboxes(DecisionOutcome, filters.outcomes),
        hypothesis_items=enum_checkboxes(HypothesisStatus, filters.hypothesis_statuses),
        metric_items=select_items(
            ((name, name) for name in choices.metrics), filters.metric, any_text="All metrics"
        ),
        tag_items=select_items(
            ((tag, tag) for tag in choices.tags), filters.tag, any_text="All tags"
        ),
    )
