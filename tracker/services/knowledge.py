"""What pilots taught: search "lessons" by hypothesis, metric, decision and takeaway.

A lesson is one iteration whose team recorded a decision (its rationale is the takeaway), or a
concluded pilot (complete or stopped) whose last iteration has no decision yet: the pilot still
taught something, through its hypotheses' status and its results. Someone about to try reminder
letters asks "what did we learn about reminder letters?", so every word typed must appear
somewhere in the lesson — each word may be in a different place.

Matching runs in two steps so it is the same on SQLite and PostgreSQL. SQL narrows the lessons
with case-insensitive LIKE (wildcards in the user's words taken literally, tracker/services/
search.py) over a superset of each lesson's text; Python then confirms every word and filter
against exactly what the page shows, with Unicode case folding (which SQLite's lower() lacks, so
non-ASCII words are matched in Python only).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tracker.models import (
    AnalysisPlan,
    AnalysisRun,
    Arm,
    ArmResult,
    Decision,
    Hypothesis,
    Iteration,
    Metric,
    Pilot,
    PilotHypothesis,
    PlanMetric,
    Policy,
)
from tracker.models.enums import DecisionOutcome, HypothesisStatus, PilotStatus
from tracker.services.headlines import Headline, primary_headline
from tracker.services.search import Found, ListFilters, contains

CONCLUDED = (PilotStatus.COMPLETE, PilotStatus.STOPPED)
SQL_WORDS_MAX = 10  # words beyond these are still matched, in Python: it bounds the query's size


@dataclass(frozen=True)
class LessonFilters(ListFilters):
    """What the knowledge base is filtered by; outcomes and statuses are alternatives."""

    outcomes: tuple[DecisionOutcome, ...] = ()
    hypothesis_statuses: tuple[HypothesisStatus, ...] = ()
    metric: str = ""  # a metric's name, as the filter lists it
    tag: str = ""  # a policy tag


@dataclass(frozen=True)
class LessonChoices:
    """The values the filters offer: names of metrics and tags of policies that have pilots."""

    metrics: list[str]
    tags: list[str]


@dataclass(frozen=True)
class Lesson:
    """What one iteration (or one concluded pilot) taught, with everything it is searched by."""

    policy: Policy
    pilot: Pilot
    iteration: Iteration | None
    decision: Decision | None
    hypotheses: list[Hypothesis]
    metrics: list[Metric]
    headline: Headline | None = None

    @property
    def learned_on(self) -> date | None:
        """When it was learned: the decision's date, else the end of the last iteration."""
        if self.decision is not None:
            return self.decision.decided_on
        return self.iteration.end_date if self.iteration is not None else None

    def texts(self) -> list[str]:
        """Every text a search word may be found in."""
        found = [self.policy.title, self.pilot.title, *self.policy.tags]
        if self.iteration is not None:
            found += [self.iteration.title, self.iteration.what_changed, self.iteration.why]
        if self.decision is not None:
            found.append(self.decision.rationale)
        for hypothesis in self.hypotheses:
            found += [hypothesis.we_believe, hypothesis.for_users, hypothesis.will]
        for metric in self.metrics:
            found += [metric.name, metric.key]
        return found

    def matches(self, filters: LessonFilters) -> bool:
        """Whether every word and every filter matches what this lesson shows."""
        folded = "\n".join(self.texts()).casefold()
        return (
            all(word.casefold() in folded for word in words_of(filters.text))
            and (not filters.outcomes or self.outcome in filters.outcomes)
            and (
                not filters.hypothesis_statuses
                or any(h.status in filters.hypothesis_statuses for h in self.hypotheses)
            )
            and (not filters.metric or any(m.name == filters.metric for m in self.metrics))
            and (not filters.tag or filters.tag in self.policy.tags)
        )

    @property
    def outcome(self) -> DecisionOutcome | None:
        return self.decision.outcome if self.decision is not None else None


def words_of(text: str) -> list[str]:
    """The distinct words of a search, in the order typed (case ignored)."""
    seen: dict[str, str] = {}
    for word in text.split():
        seen.setdefault(word.casefold(), word)
    return list(seen.values())


def _is_lesson() -> sa.ColumnElement[bool]:
    """An iteration with a decision, or the last iteration (or none) of a concluded pilot."""
    later = aliased(Iteration)
    is_last = ~sa.exists().where(
        col(later.pilot_id) == col(Iteration.pilot_id), col(later.number) > col(Iteration.number)
    )
    return sa.or_(
        col(Decision.id).is_not(None),
        sa.and_(
            col(Pilot.status).in_(CONCLUDED),
            sa.or_(col(Iteration.id).is_(None), is_last),
        ),
    )


def _word_condition(word: str) -> sa.ColumnElement[bool]:
    """`word` is somewhere in the lesson's text (a superset: Python confirms)."""
    hypothesis = sa.exists().where(
        col(PilotHypothesis.pilot_id) == col(Pilot.id),
        col(Hypothesis.id) == col(PilotHypothesis.hypothesis_id),
        sa.or_(
            *(
                contains(c, word)
                for c in (Hypothesis.we_believe, Hypothesis.for_users, Hypothesis.will)
            )
        ),
    )
    metric = sa.exists().where(
        col(Metric.policy_id) == col(Policy.id),
        sa.or_(contains(Metric.name, word), contains(Metric.key, word)),
    )
    columns = (
        Policy.title,
        Pilot.title,
        Iteration.title,
        Iteration.what_changed,
        Iteration.why,
        Decision.rationale,
    )
    return sa.or_(
        *(contains(column, word) for column in columns),
        contains(Policy.tags, json.dumps(word)[1:-1]),
        hypothesis,
        metric,
    )


def _candidates(
    session: Session, filters: LessonFilters
) -> Sequence[tuple[Pilot, Policy, Iteration | None, Decision | None]]:
    """The lessons SQL can pick out: exact for outcome and hypothesis status, a superset for
    words, metric and tag."""
    statement: Any = (
        select(Pilot, Policy, Iteration, Decision)
        .join(Policy, col(Policy.id) == col(Pilot.policy_id))
        .outerjoin(Iteration, col(Iteration.pilot_id) == col(Pilot.id))
        .outerjoin(Decision, col(Decision.iteration_id) == col(Iteration.id))
        .where(_is_lesson())
    )
    if filters.outcomes:
        statement = statement.where(col(Decision.outcome).in_(filters.outcomes))
    if filters.hypothesis_statuses:
        statement = statement.where(
            sa.exists().where(
                col(PilotHypothesis.pilot_id) == col(Pilot.id),
                col(Hypothesis.id) == col(PilotHypothesis.hypothesis_id),
                col(Hypothesis.status).in_(filters.hypothesis_statuses),
            )
        )
    if filters.metric:
        statement = statement.where(
            sa.exists().where(
                col(Metric.policy_id) == col(Policy.id), col(Metric.name) == filters.metric
            )
        )
    if filters.tag:
        statement = statement.where(contains(Policy.tags, json.dumps(filters.tag)))
    for word in [word for word in words_of(filters.text) if word.isascii()][:SQL_WORDS_MAX]:
        statement = statement.where(_word_condition(word))
    return list(session.exec(statement).all())


def _hypotheses_of(session: Session, pilot_ids: list[int]) -> dict[int, list[Hypothesis]]:
    found: dict[int, list[Hypothesis]] = defaultdict(list)
    for pilot_id, hypothesis in session.exec(
        select(PilotHypothesis.pilot_id, Hypothesis)
        .join(Hypothesis, col(Hypothesis.id) == col(PilotHypothesis.hypothesis_id))
        .where(col(PilotHypothesis.pilot_id).in_(pilot_ids))
        .order_by(col(Hypothesis.id))
    ).all():
        found[pilot_id].append(hypothesis)
    return found


def _metrics_of(
    session: Session,
    pilots: Iterable[Pilot],
    hypotheses: dict[int, list[Hypothesis]],
) -> dict[int, list[Metric]]:
    """Each pilot's metrics: those it has results on, its plans name, or its hypotheses are
    measured by — in the policy's order (three queries)."""
    pilot_list = list(pilots)
    pilot_ids = [pilot.id for pilot in pilot_list]
    used: dict[int, set[int]] = defaultdict(set)
    reported = (
        select(Iteration.pilot_id, ArmResult.metric_id)
        .join(Arm, col(Arm.id) == col(ArmResult.arm_id))
        .join(Iteration, col(Iteration.id) == col(Arm.iteration_id))
        .where(col(Iteration.pilot_id).in_(pilot_ids))
    )
    planned = (
        select(AnalysisPlan.pilot_id, PlanMetric.metric_id)
        .join(AnalysisPlan, col(AnalysisPlan.id) == col(PlanMetric.plan_id))
        .where(col(AnalysisPlan.pilot_id).in_(pilot_ids))
    )
    for query in (reported, planned):
        for pilot_id, metric_id in session.exec(query.distinct()).all():
            used[pilot_id].add(metric_id)
    for pilot_id, tested in hypotheses.items():
        used[pilot_id].update(h.metric_id for h in tested if h.metric_id is not None)
    metrics = session.exec(
        select(Metric)
        .where(col(Metric.policy_id).in_({pilot.policy_id for pilot in pilot_list}))
        .order_by(col(Metric.id))
    ).all()
    return {
        pilot.id or 0: [metric for metric in metrics if metric.id in used[pilot.id or 0]]
        for pilot in pilot_list
    }


def _newest_runs(
    session: Session, pilot_ids: list[int]
) -> dict[tuple[int, int | None], AnalysisRun]:
    """The newest run per pilot and iteration it covers (None: the whole pilot), in two queries."""
    if not pilot_ids:
        return {}
    newest = (
        select(sa.func.max(AnalysisRun.id))
        .where(col(AnalysisRun.pilot_id).in_(pilot_ids))
        .group_by(col(AnalysisRun.pilot_id), col(AnalysisRun.iteration_number))
    )
    runs = session.exec(select(AnalysisRun).where(col(AnalysisRun.id).in_(newest))).all()
    return {(run.pilot_id, run.iteration_number): run for run in runs}


def _headline(lesson: Lesson, runs: dict[tuple[int, int | None], AnalysisRun]) -> Headline | None:
    """The iteration's headline from the newest run covering it, as its results page shows."""
    if lesson.iteration is None:
        return None
    number = lesson.iteration.number
    covering = [
        run
        for run in (
            runs.get((lesson.pilot.id or 0, None)),
            runs.get((lesson.pilot.id or 0, number)),
        )
        if run is not None
    ]
    if not covering:
        return None
    run = max(covering, key=lambda found: found.id or 0)
    rows = [row for row in run.rows if row.get("iteration") == number]
    return primary_headline(rows, lesson.metrics, run_id=run.id)


def _newest_first(lesson: Lesson) -> tuple[bool, int, str, str, int]:
    learned = lesson.learned_on
    number = lesson.iteration.number if lesson.iteration is not None else 0
    return (
        learned is None,
        -(learned.toordinal() if learned else 0),
        lesson.policy.title.casefold(),
        lesson.pilot.title.casefold(),
        -number,
    )


def find_lessons(
    *, session: Session, filters: LessonFilters, limit: int | None = None, offset: int = 0
) -> Found[Lesson]:
    """`limit` lessons from `offset` of those matching every word and filter, newest first (by
    the decision's date, or for a concluded pilot without one by the end of its last
    iteration; undated ones last), and how many match in all.

    Every candidate SQL picks out is read and confirmed in Python (words may be in different
    places of a lesson), but only the page's lessons get their headlines, which read analysis
    runs. A fixed number of queries (about seven) whatever the portfolio's size.
    """
    rows = _candidates(session, filters)
    pilots = {pilot.id or 0: pilot for pilot, _, _, _ in rows}
    hypotheses = _hypotheses_of(session, list(pilots))
    metrics = _metrics_of(session, pilots.values(), hypotheses)
    lessons = sorted(
        (
            lesson
            for lesson in (
                Lesson(
                    policy=policy,
                    pilot=pilot,
                    iteration=iteration,
                    decision=decision,
                    hypotheses=hypotheses[pilot.id or 0],
                    metrics=metrics[pilot.id or 0],
                )
                for pilot, policy, iteration, decision in rows
            )
            if lesson.matches(filters)
        ),
        key=_newest_first,
    )
    page = lessons[offset : None if limit is None else offset + limit]
    runs = _newest_runs(session, sorted({lesson.pilot.id or 0 for lesson in page}))
    return Found(
        [replace(lesson, headline=_headline(lesson, runs)) for lesson in page], len(lessons)
    )


def search_lessons(*, session: Session, filters: LessonFilters) -> list[Lesson]:
    """Every lesson matching the filters, newest first (find_lessons with no page)."""
    return find_lessons(session=session, filters=filters).items


def lesson_choices(*, session: Session) -> LessonChoices:
    """Every metric name and tag of the policies that have pilots, sorted for the filter lists."""
    with_pilots = col(Policy.id).in_(select(Pilot.policy_id))
    names = session.exec(
        select(Metric.name)
        .join(Policy, col(Policy.id) == col(Metric.policy_id))
        .where(with_pilots)
        .distinct()
    ).all()
    tags = {
        tag
        for tag_list in session.exec(select(Policy.tags).where(with_pilots)).all()
        for tag in tag_list or []
    }
    return LessonChoices(
        metrics=sorted(names, key=str.casefold), tags=sorted(tags, key=str.casefold)
    )
