"""The senior officials' portfolio dashboard: where every policy is, which pilots are healthy, and
what each pilot taught — every number computed from records, in a fixed number of queries whose
cost does not depend on the size of the portfolio more than a GROUP BY has to.

The page is read by people who decide, not by people who record, so everything here is a count,
a date or a sentence that can be traced back to a row: a policy's stage and the StageDecision
that put it there, a pilot's status and its iterations' Decisions, the newest stored AnalysisRun
(never a fresh computation, so a headline is what `tracker analyse` would print), user needs and
their evidence. Counts are SQL aggregates; lists are bounded (the pilots needing attention first,
LISTED to a page), and only the pilots on the page have their records loaded. The RAG colour of
every pilot needs the health findings of its latest run, which live only inside the run's JSON
`rows`: those rows are read for latest runs only, one column, and never for older runs.
`today` is a parameter so that "days in stage" and "the last 30 days" are testable.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from tracker.models import (
    AnalysisRun,
    Decision,
    Iteration,
    Metric,
    Pilot,
    Policy,
    StageDecision,
    UserNeed,
)
from tracker.models.enums import STAGE_ORDER, PilotStatus, PolicyStage
from tracker.services.dashboard_rag import (
    Rag,
    RagStatus,
    Rated,
    rag_status,
    ranked_pilots,
    rated_pilots,
)
from tracker.services.headlines import Headline, latest_runs, primary_headline
from tracker.services.search import PolicyFilters, search_policies

MOVEMENT_WINDOWS = (30, 90)  # days: "what moved last month, and last quarter"
RECENT_DECISIONS = 5  # shown whatever their date, so the page is never empty of learning
LISTED = 20  # at most this many stage decisions, user needs or pilots are listed at once


@dataclass(frozen=True)
class StageRow:
    """One stage of the pipeline: how many policies sit there, and for how long."""

    stage: PolicyStage
    count: int
    median_days: float | None
    longest_days: int | None
    longest_policy: Policy | None


@dataclass(frozen=True)
class Movement:
    """A stage decision with the policy it moved."""

    policy: Policy
    decision: StageDecision


@dataclass(frozen=True)
class Movements:
    """Stage decisions by window: how many (days → count) and the newest LISTED of each window
    (days → decisions, newest first), and the latest whatever their date."""

    counts: dict[int, int]
    windows: dict[int, list[Movement]]
    recent: list[Movement]


@dataclass(frozen=True)
class PilotCard:
    """One pilot on the dashboard: its health, its latest decision and its headline result."""

    pilot: Pilot
    policy: Policy
    rag: RagStatus
    latest_iteration: Iteration | None
    decided: tuple[Iteration, Decision] | None  # the newest iteration that has a decision
    run: AnalysisRun | None
    headline: Headline | None


@dataclass(frozen=True)
class StatusRow:
    """Pilots with one status, by RAG colour."""

    status: PilotStatus
    by_rag: dict[Rag, int]

    @property
    def total(self) -> int:
        return sum(self.by_rag.values())


@dataclass(frozen=True)
class NeedsEvidence:
    """User needs with an evidence source, how many have none, and the first LISTED of those
    (each with its policy)."""

    with_evidence: int
    without_count: int
    without: list[tuple[UserNeed, Policy]]


@dataclass(frozen=True)
class PilotDecision:
    """An iteration's decision with its pilot."""

    pilot: Pilot
    iteration: Iteration
    decision: Decision

    @property
    def decided(self) -> tuple[Iteration, Decision]:
        return self.iteration, self.decision


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, for the policies the filters match: counts of everything,
    and one page of pilots, those needing attention first."""

    today: date
    policy_count: int
    pipeline: list[StageRow]
    movements: Movements
    pilot_count: int
    page: int
    per_page: int
    pilots: list[PilotCard]  # the page's pilots: red, then amber, then the latest changed
    statuses: list[StatusRow]
    needs: NeedsEvidence
    latest_decision: PilotDecision | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.pilot_count // self.per_page))

    @property
    def first_shown(self) -> int:
        """The position of the page's first pilot in the whole list (1-based; 0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.pilots else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.pilots) - 1 if self.pilots else 0

    def rag_count(self, colour: Rag) -> int:
        return sum(row.by_rag[colour] for row in self.statuses)

    def latest_pilot_decision(self) -> PilotDecision | None:
        """The newest iteration decision of all the pilots, if any was made."""
        return self.latest_decision

    def since(self, days: int) -> date:
        """The first day of a movement window of `days` days."""
        return window_start(self.today, days)


Scope = list[int] | None  # the ids of the policies the filters match; None: every policy


def _in(column: Any, scope: Scope) -> sa.ColumnElement[bool]:
    """`column` (a policy id) is in the scope."""
    return sa.true() if scope is None else col(column).in_(scope)


def _scope(session: Session, filters: PolicyFilters) -> Scope:
    """The matching policy ids, through the portfolio list's own search so that a filtered
    dashboard and the list agree; nothing is loaded when no filter is set."""
    if not filters.active:
        return None
    return [summary.policy.id or 0 for summary in search_policies(session=session, filters=filters)]


def _latest_stage_decisions(scope: Scope) -> Any:
    """Subquery: each policy's decision with the highest sequence, the one that put it at its
    current stage."""
    newest = (
        select(StageDecision.policy_id, func.max(StageDecision.sequence).label("sequence"))
        .where(_in(StageDecision.policy_id, scope))
        .group_by(col(StageDecision.policy_id))
        .subquery()
    )
    return (
        sa.select(col(StageDecision.policy_id), col(StageDecision.decided_on))
        .join(
            newest,
            sa.and_(
                col(StageDecision.policy_id) == newest.c.policy_id,
                col(StageDecision.sequence) == newest.c.sequence,
            ),
        )
        .subquery()
    )


def pipeline_rows(
    session: Session, scope: Scope, today: date, counts: Mapping[str, int]
) -> list[StageRow]:
    """Every stage in order with its policies' count and days since the decision that put them
    there (median and longest), from `counts` and one query that returns, per stage, only the
    rows at the middle of the order and the longest there (window functions, not every
    policy)."""
    latest = _latest_stage_decisions(scope)
    stage = col(Policy.stage)
    ranked = (
        select(
            col(Policy.id).label("policy_id"),
            latest.c.decided_on,
            func.row_number()
            .over(
                partition_by=stage,
                order_by=(latest.c.decided_on, col(Policy.title), col(Policy.id)),
            )
            .label("position"),
            func.count().over(partition_by=stage).label("size"),
        )
        .join(latest, latest.c.policy_id == col(Policy.id))
        .subquery()
    )
    position, size = ranked.c.position, ranked.c.size
    picked = session.exec(
        select(Policy, ranked.c.decided_on, position, size)
        .join(ranked, ranked.c.policy_id == col(Policy.id))
        .where(sa.or_(position == 1, position == (size + 1) // 2, position == (size + 2) // 2))
    ).all()
    middle: dict[PolicyStage, list[int]] = defaultdict(list)
    longest: dict[PolicyStage, tuple[int, Policy]] = {}
    for policy, decided_on, at, of in picked:
        days = (today - decided_on).days
        if at == 1:
            longest[policy.stage] = (days, policy)
        if at in {(of + 1) // 2, (of + 2) // 2}:
            middle[policy.stage].append(days)
    return [
        StageRow(
            stage=stage_,
            count=counts[f"stage-{stage_.value}"],
            median_days=sum(middle[stage_]) / len(middle[stage_]) if middle[stage_] else None,
            longest_days=longest[stage_][0] if stage_ in longest else None,
            longest_policy=longest[stage_][1] if stage_ in longest else None,
        )
        for stage_ in STAGE_ORDER
    ]


def window_start(today: date, days: int) -> date:
    """The first day counted as "in the last `days` days" (the window runs to today)."""
    return today - timedelta(days=days)


def portfolio_counts(session: Session, scope: Scope, today: date) -> dict[str, int]:
    """The portfolio's counts that are not per stage or per pilot, in one query of scalar
    subqueries: policies at each stage ("stage-<stage>"), stage decisions in each window
    (decided on or after today − N days, up to today; "moves-N"), and user needs with and
    without an evidence source ("needs-with", "needs-without")."""
    decided_on = col(StageDecision.decided_on)
    in_decisions = _in(StageDecision.policy_id, scope)
    blank = func.trim(col(UserNeed.evidence_source)) == ""
    counts = (
        {
            f"stage-{stage.value}": sa.select(func.count())
            .where(_in(Policy.id, scope), col(Policy.stage) == stage)
            .scalar_subquery()
            for stage in STAGE_ORDER
        }
        | {
            f"moves-{days}": sa.select(func.count())
            .where(in_decisions, decided_on >= window_start(today, days), decided_on <= today)
            .scalar_subquery()
            for days in MOVEMENT_WINDOWS
        }
        | {
            name: sa.select(func.count())
            .where(_in(UserNeed.policy_id, scope), condition)
            .scalar_subquery()
            for name, condition in (("needs-with", ~blank), ("needs-without", blank))
        }
    )
    values = session.execute(sa.select(*counts.values())).one()
    return dict(zip(counts, values, strict=True))


def movements(session: Session, scope: Scope, today: date, counts: Mapping[str, int]) -> Movements:
    """The stage decisions within each window (`counts` has how many), the newest LISTED of the
    widest window and the RECENT_DECISIONS latest up to today however old: two queries."""
    upto = sa.and_(_in(StageDecision.policy_id, scope), col(StageDecision.decided_on) <= today)
    decided_on = col(StageDecision.decided_on)
    newest_first = (decided_on.desc(), col(StageDecision.id).desc())
    with_policy = select(StageDecision, Policy).join(
        Policy, col(Policy.id) == col(StageDecision.policy_id)
    )
    windowed = session.exec(
        with_policy.where(upto, decided_on >= window_start(today, max(MOVEMENT_WINDOWS)))
        .order_by(*newest_first)
        .limit(LISTED)
    ).all()
    recent = session.exec(with_policy.where(upto).order_by(*newest_first).limit(RECENT_DECISIONS))
    return Movements(
        counts={days: counts[f"moves-{days}"] for days in MOVEMENT_WINDOWS},
        windows={
            days: [
                Movement(policy, row)
                for row, policy in windowed
                if row.decided_on >= window_start(today, days)
            ]
            for days in MOVEMENT_WINDOWS
        },
        recent=[Movement(policy, row) for row, policy in recent],
    )


def _iterations(
    session: Session, pilot_ids: list[int]
) -> dict[int, list[tuple[Iteration, Decision | None]]]:
    """Each pilot's iterations by number with their decisions: one query."""
    rows = session.exec(
        select(Iteration, Decision)
        .join(Decision, col(Decision.iteration_id) == col(Iteration.id), isouter=True)
        .where(col(Iteration.pilot_id).in_(pilot_ids))
        .order_by(col(Iteration.number))
    ).all()
    by_pilot: dict[int, list[tuple[Iteration, Decision | None]]] = defaultdict(list)
    for iteration, decision in rows:
        by_pilot[iteration.pilot_id].append((iteration, decision))
    return by_pilot


def pilot_cards(session: Session, rated: Sequence[Rated], today: date) -> list[PilotCard]:
    """The rated pilots with their policy, RAG reasons, latest decision and headline, in the
    order given: four queries whatever the number of pilots, each for these pilots only."""
    pilot_ids = [pilot.pilot_id for pilot in rated]
    found = {
        pilot.id or 0: (pilot, policy)
        for pilot, policy in session.exec(
            select(Pilot, Policy)
            .join(Policy, col(Policy.id) == col(Pilot.policy_id))
            .where(col(Pilot.id).in_(pilot_ids))
        ).all()
    }
    iterations = _iterations(session, pilot_ids)
    runs = latest_runs(session, pilot_ids)
    metrics: dict[int, list[Metric]] = defaultdict(list)
    policy_ids = {policy.id for _, policy in found.values()}
    for metric in session.exec(
        select(Metric).where(col(Metric.policy_id).in_(policy_ids)).order_by(col(Metric.id))
    ).all():
        metrics[metric.policy_id].append(metric)
    cards = []
    for facts in rated:
        pilot, policy = found[facts.pilot_id]
        mine = iterations.get(facts.pilot_id, [])
        run = runs.get(facts.pilot_id)
        decided = [(iteration, decision) for iteration, decision in mine if decision is not None]
        cards.append(
            PilotCard(
                pilot=pilot,
                policy=policy,
                rag=rag_status(facts.facts(run.rows if run else None), today),
                latest_iteration=mine[-1][0] if mine else None,
                decided=decided[-1] if decided else None,
                run=run,
                headline=primary_headline(run.rows, metrics[pilot.policy_id], run_id=run.id)
                if run
                else None,
            )
        )
    return cards


def status_rows(ranked: Sequence[tuple[int, PilotStatus, Rag]]) -> list[StatusRow]:
    """Pilots per status, split by RAG colour, for every status in order."""
    counts = Counter((status, colour) for _, status, colour in ranked)
    return [
        StatusRow(status=status, by_rag={colour: counts[status, colour] for colour in Rag})
        for status in PilotStatus
    ]


def latest_pilot_decision(session: Session, scope: Scope) -> PilotDecision | None:
    """The newest iteration decision of the pilots (by date, then the later recorded): one
    query."""
    row = session.exec(
        select(Pilot, Iteration, Decision)
        .join(Iteration, col(Iteration.pilot_id) == col(Pilot.id))
        .join(Decision, col(Decision.iteration_id) == col(Iteration.id))
        .where(_in(Pilot.policy_id, scope))
        .order_by(col(Decision.decided_on).desc(), col(Decision.id).desc())
        .limit(1)
    ).first()
    return PilotDecision(*row) if row else None


def needs_evidence(session: Session, scope: Scope, counts: Mapping[str, int]) -> NeedsEvidence:
    """User needs of the policies with and without an evidence source (`counts` has how many),
    and the first LISTED of those without, by policy title: one query."""
    without = session.exec(
        select(UserNeed, Policy)
        .join(Policy, col(Policy.id) == col(UserNeed.policy_id))
        .where(_in(UserNeed.policy_id, scope), func.trim(col(UserNeed.evidence_source)) == "")
        .order_by(func.lower(col(Policy.title)), col(Policy.id), col(UserNeed.key))
        .limit(LISTED)
    ).all()
    return NeedsEvidence(
        with_evidence=counts["needs-with"],
        without_count=counts["needs-without"],
        without=[(need, policy) for need, policy in without],
    )


def build_dashboard(
    *,
    session: Session,
    filters: PolicyFilters | None = None,
    today: date | None = None,
    page: int = 1,
    per_page: int = LISTED,
) -> Dashboard:
    """The dashboard of the policies matching `filters` (all by default) as of `today`, with
    page `page` of the pilots (a page past the last shows the last)."""
    today = today or date.today()
    scope = _scope(session, filters or PolicyFilters())
    ranked = ranked_pilots(session, _in(Pilot.policy_id, scope), today)
    statuses = status_rows(ranked)
    page = min(max(page, 1), max(1, -(-len(ranked) // per_page)))
    shown = [pilot_id for pilot_id, _, _ in ranked[(page - 1) * per_page : page * per_page]]
    counts = portfolio_counts(session, scope, today)
    pipeline = pipeline_rows(session, scope, today, counts)
    return Dashboard(
        today=today,
        policy_count=sum(row.count for row in pipeline),
        pipeline=pipeline,
        movements=movements(session, scope, today, counts),
        pilot_count=len(ranked),
        page=page,
        per_page=per_page,
        pilots=pilot_cards(session, rated_pilots(session, shown), today),
        statuses=statuses,
        needs=needs_evidence(session, scope, counts),
        latest_decision=latest_pilot_decision(session, scope),
    )
