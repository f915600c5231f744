"""A pilot's RAG rating: the rule in words, the rule in Python (with its reasons) and the same
rule as one SQL expression, so the dashboard counts and orders every pilot in the database.

The colour of every pilot is needed for the totals and to put the pilots needing attention
first, but only the page's pilots show their reasons. So the colour is computed in SQL for all of
them (`ranked_pilots`), and `rag_status` gives colour and reasons for the few on the page; a test
checks both give the same colour. The rule's health findings live only inside the JSON `rows` of
a pilot's latest AnalysisRun, so the SQL reads them with the database's own JSON functions
(json_each on SQLite, json_array_elements on PostgreSQL) for latest runs only: no run's rows
cross to Python, but the database still parses each latest run's rows on every count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from tracker.models import AnalysisRun, Arm, ArmResult, Decision, Iteration, Pilot
from tracker.models.enums import PilotStatus

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


RAG_ORDER = {colour: index for index, colour in enumerate(Rag)}  # red first, green last

# Whether the latest run (joined as analysis_run) has a health finding of a severity, per dialect:
# the findings are the `health` list of each result row. Severities are constants, not user text.
FINDING_SQL = {
    "sqlite": (
        "EXISTS (SELECT 1 FROM json_each(analysis_run.rows) AS r,"
        " json_each(r.value, '$.health') AS h"
        " WHERE h.type = 'object' AND json_extract(h.value, '$.severity') = '{severity}')"
    ),
    "postgresql": (
        "EXISTS (SELECT 1 FROM json_array_elements(analysis_run.rows) AS r(value),"
        " json_array_elements(CASE WHEN json_typeof(r.value -> 'health') = 'array'"
        " THEN r.value -> 'health' ELSE '[]'::json END) AS h(value)"
        " WHERE h.value ->> 'severity' = '{severity}')"
    ),
}


def health(rows: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """The health findings of a run's result rows (none without a run)."""
    return [finding for row in rows or [] for finding in row.get("health") or []]


def _decided(number: Any) -> sa.ColumnElement[bool]:
    """The pilot's iteration numbered `number` has a decision (a correlated EXISTS)."""
    return sa.exists(
        select(Decision.id)
        .join(Iteration, col(Iteration.id) == col(Decision.iteration_id))
        .where(col(Iteration.pilot_id) == col(Pilot.id), col(Iteration.number) == number)
    )


def _has_finding(session: Session, severity: str) -> sa.ColumnElement[bool]:
    sql = FINDING_SQL[session.get_bind().dialect.name].format(severity=severity)
    return sa.literal_column(sql, sa.Boolean)


def pilot_facts(session: Session, scope: sa.ColumnElement[bool]) -> Any:
    """Subquery: one row of the RAG rule's facts per pilot matching `scope` (a condition on
    Pilot), aggregated in SQL (newest iteration, newest with results, whether each has a
    decision, latest run and whether its health checks found an error or a warning). The
    aggregates are restricted to those pilots too, so a page of pilots costs a page's work."""
    pilots = select(Pilot.id).where(scope)
    newest = (
        select(Iteration.pilot_id, func.max(Iteration.number).label("number"))
        .where(col(Iteration.pilot_id).in_(pilots))
        .group_by(col(Iteration.pilot_id))
        .subquery()
    )
    resulted = (
        select(Iteration.pilot_id, func.max(Iteration.number).label("number"))
        .where(
            col(Iteration.pilot_id).in_(pilots),
            sa.exists(
                select(ArmResult.id)
                .join(Arm, col(Arm.id) == col(ArmResult.arm_id))
                .where(col(Arm.iteration_id) == col(Iteration.id))
            ),
        )
        .group_by(col(Iteration.pilot_id))
        .subquery()
    )
    run = (
        select(AnalysisRun.pilot_id, func.max(AnalysisRun.id).label("id"))
        .where(col(AnalysisRun.pilot_id).in_(pilots))
        .group_by(col(AnalysisRun.pilot_id))
        .subquery()
    )
    return (
        sa.select(
            col(Pilot.id).label("id"),
            col(Pilot.status).label("status"),
            col(Pilot.planned_end).label("planned_end"),
            col(Pilot.updated_at).label("updated_at"),
            run.c.id.label("run_id"),
            newest.c.number.label("latest"),
            _decided(newest.c.number).label("latest_decided"),
            resulted.c.number.label("with_results"),
            _decided(resulted.c.number).label("with_results_decided"),
            _has_finding(session, "error").label("has_error"),
            _has_finding(session, "warning").label("has_warning"),
        )
        .outerjoin(newest, newest.c.pilot_id == col(Pilot.id))
        .outerjoin(resulted, resulted.c.pilot_id == col(Pilot.id))
        .outerjoin(run, run.c.pilot_id == col(Pilot.id))
        .outerjoin(AnalysisRun, col(AnalysisRun.id) == run.c.id)
        .where(scope)
        .subquery()
    )


def colour_rank(facts: Any, today: date) -> sa.ColumnElement[int]:
    """RAG_RULE as SQL over `pilot_facts`: the colour's place in RAG_ORDER (0 red … 2 green)."""
    red = sa.or_(
        facts.c.has_error,
        sa.and_(
            facts.c.planned_end < today,
            facts.c.status.not_in(list(FINISHED)),
            sa.not_(facts.c.latest_decided),
        ),
    )
    amber = sa.or_(
        sa.and_(facts.c.status.in_(list(IN_FLIGHT)), facts.c.run_id.is_(None)),
        facts.c.has_warning,
        sa.and_(facts.c.with_results.is_not(None), sa.not_(facts.c.with_results_decided)),
    )
    return sa.case(
        (red, RAG_ORDER[Rag.RED]), (amber, RAG_ORDER[Rag.AMBER]), else_=RAG_ORDER[Rag.GREEN]
    )


@dataclass(frozen=True)
class Rated:
    """One pilot's RAG facts as the rule reads them, before its run's findings are added."""

    pilot_id: int
    status: PilotStatus
    planned_end: date | None
    run_id: int | None
    latest: int | None
    latest_decided: bool
    with_results: int | None
    with_results_decided: bool

    def facts(self, run_rows: Sequence[Mapping[str, Any]] | None) -> PilotFacts:
        """The rule's inputs, with the findings of the latest run's rows."""
        return PilotFacts(
            status=self.status,
            planned_end=self.planned_end,
            has_run=self.run_id is not None,
            health=health(run_rows),
            latest_iteration=self.latest,
            latest_decided=self.latest_decided,
            latest_with_results=self.with_results,
            latest_with_results_decided=self.with_results_decided,
        )


def ranked_pilots(
    session: Session, scope: sa.ColumnElement[bool], today: date
) -> list[tuple[int, PilotStatus, Rag]]:
    """Every pilot matching `scope` as (id, status, colour), those needing attention first:
    red, then amber, then green, and within a colour the most recently changed first. One query
    of three small columns per pilot, from which the dashboard counts and takes its page (a
    GROUP BY for the counts and a LIMIT for the page would evaluate the facts twice)."""
    facts = pilot_facts(session, scope)
    rank = colour_rank(facts, today)
    colours = list(Rag)
    statuses = {status.value: status for status in PilotStatus}
    rows = session.execute(
        # The status as plain text: converting 20,000 enum values row by row costs more than
        # the query on a large portfolio.
        sa.select(facts.c.id, sa.type_coerce(facts.c.status, sa.String), rank).order_by(
            rank, facts.c.updated_at.desc(), facts.c.id.desc()
        )
    ).all()
    return [(pilot_id, statuses[status], colours[at]) for pilot_id, status, at in rows]


def rated_pilots(session: Session, pilot_ids: Sequence[int]) -> list[Rated]:
    """The RAG facts of the given pilots, in the order given (one query)."""
    facts = pilot_facts(session, col(Pilot.id).in_(pilot_ids))
    rows = session.execute(
        sa.select(
            facts.c.id,
            facts.c.status,
            facts.c.planned_end,
            facts.c.run_id,
            facts.c.latest,
            facts.c.latest_decided,
            facts.c.with_results,
            facts.c.with_results_decided,
        )
    ).all()
    found = {
        pilot_id: Rated(
            pilot_id=pilot_id,
            status=PilotStatus(status),
            planned_end=planned_end,
            run_id=run_id,
            latest=latest,
            latest_decided=bool(latest_decided),
            with_results=with_results,
            with_results_decided=bool(with_results_decided),
        )
        for (
            pilot_id,
            status,
            planned_end,
            run_id,
            latest,
            latest_decided,
            with_results,
            with_results_decided,
        ) in rows
    }
    return [found[pilot_id] for pilot_id in pilot_ids]
