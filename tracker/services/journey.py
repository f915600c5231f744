"""A policy's journey from idea to live as one timeline: gates, pilots, decisions, engagement.

The policy page lists each kind of record in its own table; an official asking "how did this
policy get here?" needs them interleaved in date order — the stage gates with their decision,
rationale, evidence and who decided, the iterations of its pilots and what each one decided, and
who was engaged along the way — plus how long the policy spent at each stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, col, select

from tracker.models import Decision, Engagement, Iteration, Pilot, StageDecision
from tracker.models.enums import PolicyStage
from tracker.services.overviews import PolicyOverview, get_policy_overview

EventKind = Literal["stage", "iteration", "decision", "engagement"]
# Same-day events read in this order: the gate, then work started, decided, heard.
KIND_ORDER: dict[str, int] = {"stage": 0, "iteration": 1, "decision": 2, "engagement": 3}


@dataclass(frozen=True)
class JourneyEvent:
    """One dated thing that happened to the policy; exactly one record field is set."""

    on: date
    kind: EventKind
    stage_decision: StageDecision | None = None
    pilot: Pilot | None = None
    iteration: Iteration | None = None
    decision: Decision | None = None
    engagement: Engagement | None = None


@dataclass(frozen=True)
class StageVisit:
    """A stage the policy entered: when, until when, and for how many days."""

    stage: PolicyStage
    entered_on: date
    left_on: date | None  # None while the policy is still there
    days: int
    decided_by: str


@dataclass(frozen=True)
class Journey:
    overview: PolicyOverview
    events: list[JourneyEvent]
    visits: list[StageVisit]

    @property
    def unvisited(self) -> list[PolicyStage]:
        """Stages the policy has not (yet) been at, in journey order."""
        seen = {visit.stage for visit in self.visits}
        return [stage for stage in PolicyStage if stage not in seen]


def stage_visits(history: list[StageDecision], today: date) -> list[StageVisit]:
    """Each stage decision opens a visit that the next one closes (the last stays open)."""
    ordered = sorted(history, key=lambda decision: decision.sequence)
    visits = []
    for index, decision in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        left_on = following.decided_on if following else None
        visits.append(
            StageVisit(
                stage=decision.to_stage,
                entered_on=decision.decided_on,
                left_on=left_on,
                days=((left_on or today) - decision.decided_on).days,
                decided_by=decision.decided_by,
            )
        )
    return visits


def _pilot_events(session: Session, pilots: list[Pilot]) -> list[JourneyEvent]:
    """Iteration starts and iteration decisions of every pilot, in two queries."""
    by_id = {pilot.id: pilot for pilot in pilots}
    iterations = session.exec(
        select(Iteration).where(col(Iteration.pilot_id).in_(list(by_id)))
    ).all()
    iteration_by_id = {iteration.id: iteration for iteration in iterations}
    decisions = session.exec(
        select(Decision).where(col(Decision.iteration_id).in_(list(iteration_by_id)))
    ).all()
    events = [
        JourneyEvent(
            on=iteration.start_date,
            kind="iteration",
            pilot=by_id[iteration.pilot_id],
            iteration=iteration,
        )
        for iteration in iterations
        if iteration.start_date is not None
    ]
    for decision in decisions:
        iteration = iteration_by_id[decision.iteration_id]
        events.append(
            JourneyEvent(
                on=decision.decided_on,
                kind="decision",
                pilot=by_id[iteration.pilot_id],
                iteration=iteration,
                decision=decision,
            )
        )
    return events


def get_journey(*, session: Session, slug: str, today: date | None = None) -> Journey:
    """The policy's timeline, oldest first, and its stage visits (NotFound for an unknown slug)."""
    overview = get_policy_overview(session=session, slug=slug)
    events = [
        JourneyEvent(on=decision.decided_on, kind="stage", stage_decision=decision)
        for decision in overview.stage_history
    ]
    events += _pilot_events(session, overview.pilots)
    events += [
        JourneyEvent(on=entry.held_on, kind="engagement", engagement=entry)
        for entry in overview.engagements
    ]
    events.sort(key=lambda event: (event.on, KIND_ORDER[event.kind]))
    return Journey(
        overview=overview,
        events=events,
        visits=stage_visits(overview.stage_history, today or date.today()),
    )
