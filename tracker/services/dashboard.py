"""The senior officials' portfolio dashboard: where every policy is, which pilots are healthy, and
what each pilot taught — every number computed from records, in a fixed number of queries.

The page is read by people who decide, not by people who record, so everything here is a count,
a date or a sentence that can be traced back to a row: a policy's stage and the StageDecision
that put it there, a pilot's status and its iterations' Decisions, the newest stored AnalysisRun
(never a fresh computation, so a headline is what `tracker analyse` would print), user needs and
their evidence. The number of queries does not grow with the number of policies or pilots.
`today` is a parameter so that "days in stage" and "the last 30 days" are testable.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from tracker.models import (
    AnalysisRun,
    Arm,
    ArmResult,
    Decision,
    Iteration,
    Metric,
    Pilot,
    Policy,
    StageDecision,
    UserNeed,
)
from tracker.models.enums import STAGE_ORDER, PilotStatus, PolicyStage
from tracker.services.headlines import Headline, latest_runs, primary_headline
from tracker.services.search import PolicyFilters, search_policies

MOVEMENT_WINDOWS = (30, 90)  # days: "what moved last month, and last quarter"
RECENT_DECISIONS = 5  # shown whatever their date, so the page is never empty of learning
SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
FINISHED = frozenset({PilotStatus.COMPLETE, PilotStatus.STOPPED})
IN_FLIGHT = frozenset({PilotStatus.RUNNING, PilotStatus.ANALYSING})


class Rag(StrEnum):
    """A pilot's health at a glance; the page always writes the word and the reason beside it."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


# The rule as the page states it: `rag_status` applies exactly this, and tests check each branch.
RAG_RULE: dict[Rag, str] = {
    Rag.RED: (
        "the latest stored analysis has a health check that failed (an error, such as a "
        "sample-ratio mismatch), or the pilot is past its planned end date, is not complete or "
        "stopped, and its latest iteration has no decision"
    ),
    Rag.AMBER: (
        "the pilot is running or analysing and its analysis has never been run, or the latest "
        "stored analysis has a health warning, or the latest iteration with results has no "
        "decision yet"
    ),
    Rag.GREEN: "none of the above",
}


@dataclass(frozen=True)
class PilotFacts:
    """What the RAG rule looks at, gathered from the records of one pilot."""

    status: PilotStatus
    planned_end: date | None
    has_run: bool
    health: Sequence[Mapping[str, Any]]  # findings of the latest stored run: code, severity, …
    latest_iteration: int | None  # number of the pilot's newest iteration
    latest_decided: bool
    latest_with_results: int | None  # number of the newest iteration with recorded results
    latest_with_results_decided: bool


@dataclass(frozen=True)
class RagStatus:
    """A colour and the reasons for it, in words (colour is never the only signal)."""

    colour: Rag
    reasons: tuple[str, ...]


def _findings(health: Sequence[Mapping[str, Any]], severity: str) -> list[str]:
    """Distinct codes of the findings with `severity`, in first-seen order."""
    return list(dict.fromkeys(str(f.get("code")) for f in health if f.get("severity") == severity))


def _words(codes: Sequence[str]) -> str:
    return ", ".join(code.replace("_", " ") for code in codes)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _green_reasons(facts: PilotFacts) -> tuple[str, ...]:
    """Why a green pilot is green: what was checked, so "green" is never a bare colour."""
    checked = "the latest analysis passed its health checks" if facts.has_run else "no analysis yet"
    decided = (
        f"results up to v{facts.latest_with_results} have a decision"
        if facts.latest_with_results is not None
        else "no results recorded yet"
    )
    return (checked, decided)


def rag_status(facts: PilotFacts, today: date) -> RagStatus:
    """Red, amber or green by RAG_RULE, with every reason that applies at that colour."""
    red: list[str] = []
    errors = _findings(facts.health, "error")
    if SAMPLE_RATIO_MISMATCH in errors:
        red.append("the latest analysis found a sample-ratio mismatch")
    others = [code for code in errors if code != SAMPLE_RATIO_MISMATCH]
    if others:
        red.append(f"a health check failed in the latest analysis ({_words(others)})")
    end = facts.planned_end
    if (
        end is not None
        and end < today
        and facts.status not in FINISHED
        and not facts.latest_decided
    ):
        red.append(f"past its planned end ({_day(end)}) with no decision on its latest iteration")
    if red:
        return RagStatus(Rag.RED, tuple(red))
    amber: list[str] = []
    if facts.status in IN_FLIGHT and not facts.has_run:
        amber.append(f"it is {facts.status.value} and its analysis has never been run")
    warnings = _findings(facts.health, "warning")
    if warnings:
        amber.append(f"the latest analysis has a health warning ({_words(warnings)})")
    if facts.latest_with_results is not None and not facts.latest_with_results_decided:
        amber.append(
            f"the latest iteration with results (v{facts.latest_with_results}) has no decision"
        )
    if amber:
        return RagStatus(Rag.AMBER, tuple(amber))
    return RagStatus(Rag.GREEN, _green_reasons(facts))


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
    """Stage decisions by window (days → decisions, newest first) and the latest whatever date."""

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
    """User needs with an evidence source, and those without (each with its policy)."""

    with_evidence: int
    without: list[tuple[UserNeed, Policy]]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, for the policies the filters match."""

    today: date
    policies: list[Policy]
    pipeline: list[StageRow]
    movements: Movements
    pilots: list[PilotCard]
    statuses: list[StatusRow]
    needs: NeedsEvidence

    def rag_count(self, colour: Rag) -> int:
        return sum(1 for card in self.pilots if card.rag.colour is colour)

    def latest_pilot_decision(self) -> PilotCard | None:
        """The pilot whose latest iteration decision is the newest of all, if any was made."""
        dated = [
            (card.decided[1].decided_on, card.decided[1].id or 0, index)
            for index, card in enumerate(self.pilots)
            if card.decided is not None
        ]
        return self.pilots[max(dated)[2]] if dated else None

    def since(self, days: int) -> date:
        """The first day of a movement window of `days` days."""
        return window_start(self.today, days)


def latest_stage_decisions(session: Session, policy_ids: list[int]) -> dict[int, StageDecision]:
    """The decision that put each policy at its current stage (highest sequence), one query."""
    newest = (
        select(StageDecision.policy_id, func.max(StageDecision.sequence).label("sequence"))
        .where(col(StageDecision.policy_id).in_(policy_ids))
        .group_by(col(StageDecision.policy_id))
        .subquery()
    )
    rows = session.exec(
        select(StageDecision).join(
            newest,
            sa.and_(
                col(StageDecision.policy_id) == newest.c.policy_id,
                col(StageDecision.sequence) == newest.c.sequence,
            ),
        )
    ).all()
    return {row.policy_id: row for row in rows}


def pipeline_rows(
    policies: Sequence[Policy], latest: Mapping[int, StageDecision], today: date
) -> list[StageRow]:
    """Every stage in order with its policies' count and days since the decision that put them
    there (median and longest)."""
    by_stage: dict[PolicyStage, list[tuple[int, Policy]]] = defaultdict(list)
    for policy in policies:
        decision = latest.get(policy.id or 0)
        if decision is not None:
            by_stage[policy.stage].append(((today - decision.decided_on).days, policy))
    rows = []
    for stage in STAGE_ORDER:
        sat = by_stage.get(stage, [])
        days = [day for day, _ in sat]
        longest = max(sat, key=lambda item: item[0]) if sat else None
        rows.append(
            StageRow(
                stage=stage,
                count=sum(1 for policy in policies if policy.stage is stage),
                median_days=float(statistics.median(days)) if days else None,
                longest_days=longest[0] if longest else None,
                longest_policy=longest[1] if longest else None,
            )
        )
    return rows


def window_start(today: date, days: int) -> date:
    """The first day counted as "in the last `days` days" (the window runs to today)."""
    return today - timedelta(days=days)


def movements(session: Session, policies: Mapping[int, Policy], today: date) -> Movements:
    """Stage decisions within each window (decided on or after today − N days, up to today)
    and the RECENT_DECISIONS latest up to today however old: two queries."""
    in_portfolio = col(StageDecision.policy_id).in_(list(policies))
    newest_first = (col(StageDecision.decided_on).desc(), col(StageDecision.id).desc())
    since = window_start(today, max(MOVEMENT_WINDOWS))
    windowed = session.exec(
        select(StageDecision)
        .where(in_portfolio, col(StageDecision.decided_on) >= since)
        .where(col(StageDecision.decided_on) <= today)
        .order_by(*newest_first)
    ).all()
    recent = session.exec(
        select(StageDecision)
        .where(in_portfolio, col(StageDecision.decided_on) <= today)
        .order_by(*newest_first)
        .limit(RECENT_DECISIONS)
    ).all()
    windows = {
        days: [
            Movement(policies[row.policy_id], row)
            for row in windowed
            if row.decided_on >= window_start(today, days)
        ]
        for days in MOVEMENT_WINDOWS
    }
    return Movements(windows, [Movement(policies[row.policy_id], row) for row in recent])


def _iterations(
    session: Session, pilot_ids: list[int]
) -> tuple[dict[int, list[tuple[Iteration, Decision | None]]], set[int]]:
    """Each pilot's iterations by number with their decisions, and the ids of iterations that
    have a recorded result: two queries."""
    rows = session.exec(
        select(Iteration, Decision)
        .join(Decision, col(Decision.iteration_id) == col(Iteration.id), isouter=True)
        .where(col(Iteration.pilot_id).in_(pilot_ids))
        .order_by(col(Iteration.number))
    ).all()
    by_pilot: dict[int, list[tuple[Iteration, Decision | None]]] = defaultdict(list)
    for iteration, decision in rows:
        by_pilot[iteration.pilot_id].append((iteration, decision))
    with_results = set(
        session.exec(
            select(Arm.iteration_id)
            .join(ArmResult, col(ArmResult.arm_id) == col(Arm.id))
            .where(col(Arm.iteration_id).in_([iteration.id for iteration, _ in rows]))
            .distinct()
        ).all()
    )
    return by_pilot, with_results


def _health(run: AnalysisRun | None) -> list[Mapping[str, Any]]:
    return [finding for row in (run.rows if run else []) for finding in row.get("health") or []]


def pilot_facts(
    pilot: Pilot,
    iterations: Sequence[tuple[Iteration, Decision | None]],
    with_results: set[int],
    run: AnalysisRun | None,
) -> PilotFacts:
    """The RAG rule's inputs for one pilot, from records already loaded."""
    latest = iterations[-1] if iterations else None
    resulted = [item for item in iterations if item[0].id in with_results]
    return PilotFacts(
        status=pilot.status,
        planned_end=pilot.planned_end,
        has_run=run is not None,
        health=_health(run),
        latest_iteration=latest[0].number if latest else None,
        latest_decided=latest is not None and latest[1] is not None,
        latest_with_results=resulted[-1][0].number if resulted else None,
        latest_with_results_decided=bool(resulted) and resulted[-1][1] is not None,
    )


def pilot_cards(session: Session, policies: Mapping[int, Policy], today: date) -> list[PilotCard]:
    """Every pilot of the policies, by policy then pilot title, with health and learning."""
    pilots = session.exec(
        select(Pilot).where(col(Pilot.policy_id).in_(list(policies))).order_by(col(Pilot.title))
    ).all()
    pilot_ids = [pilot.id or 0 for pilot in pilots]
    iterations, with_results = _iterations(session, pilot_ids)
    runs = latest_runs(session, pilot_ids)
    metrics: dict[int, list[Metric]] = defaultdict(list)
    for metric in session.exec(
        select(Metric).where(col(Metric.policy_id).in_(list(policies))).order_by(col(Metric.id))
    ).all():
        metrics[metric.policy_id].append(metric)
    cards = []
    for pilot in pilots:
        mine = iterations.get(pilot.id or 0, [])
        run = runs.get(pilot.id or 0)
        decided = [(iteration, decision) for iteration, decision in mine if decision is not None]
        cards.append(
            PilotCard(
                pilot=pilot,
                policy=policies[pilot.policy_id],
                rag=rag_status(pilot_facts(pilot, mine, with_results, run), today),
                latest_iteration=mine[-1][0] if mine else None,
                decided=decided[-1] if decided else None,
                run=run,
                headline=primary_headline(run.rows, metrics[pilot.policy_id], run_id=run.id)
                if run
                else None,
            )
        )
    cards.sort(key=lambda card: (card.policy.title.casefold(), card.pilot.title.casefold()))
    return cards


def status_rows(cards: Sequence[PilotCard]) -> list[StatusRow]:
    """Pilots per status, split by RAG colour, for every status in order."""
    return [
        StatusRow(
            status=status,
            by_rag={
                colour: sum(
                    1 for card in cards if card.pilot.status is status and card.rag.colour is colour
                )
                for colour in Rag
            },
        )
        for status in PilotStatus
    ]


def needs_evidence(session: Session, policies: Mapping[int, Policy]) -> NeedsEvidence:
    """User needs of the policies: how many name an evidence source, and those that do not."""
    needs = session.exec(
        select(UserNeed)
        .where(col(UserNeed.policy_id).in_(list(policies)))
        .order_by(col(UserNeed.policy_id), col(UserNeed.key))
    ).all()
    without = [
        (need, policies[need.policy_id]) for need in needs if not need.evidence_source.strip()
    ]
    without.sort(key=lambda item: (item[1].title.casefold(), item[0].key))
    return NeedsEvidence(with_evidence=len(needs) - len(without), without=without)


def build_dashboard(
    *, session: Session, filters: PolicyFilters | None = None, today: date | None = None
) -> Dashboard:
    """The dashboard of the policies matching `filters` (all by default) as of `today`."""
    today = today or date.today()
    found = [
        summary.policy
        for summary in search_policies(session=session, filters=filters or PolicyFilters())
    ]
    by_id = {policy.id or 0: policy for policy in found}
    cards = pilot_cards(session, by_id, today)
    return Dashboard(
        today=today,
        policies=found,
        pipeline=pipeline_rows(found, latest_stage_decisions(session, list(by_id)), today),
        movements=movements(session, by_id, today),
        pilots=cards,
        statuses=status_rows(cards),
        needs=needs_evidence(session, by_id),
    )
