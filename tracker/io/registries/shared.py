"""The shapes every registry shares, and the helpers and fillers both registries' forms use.

A filler takes a Source and returns a JSON value, a Noted value (a value with a note the
registrant should read) or Missing (with the reason), never None, so no field is left silently
empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.models import AnalysisRun, Metric
from tracker.models.enums import MetricRole, PilotDesign, PilotStatus
from tracker.services.overviews import PilotOverview, PlanView


@dataclass(frozen=True)
class Missing:
    """A field the tracker cannot fill, and why."""

    reason: str


@dataclass(frozen=True)
class Noted:
    """A filled value with a note a registrant should read (where it came from, what it means)."""

    value: Any
    note: str


@dataclass(frozen=True)
class Source:
    """What every field is filled from: the pilot with its records, and its newest run."""

    overview: PilotOverview
    run: AnalysisRun | None


@dataclass(frozen=True)
class RegistryField:
    """One field of a registry's form: whether it must be given and how the tracker fills it."""

    name: str
    required: bool
    how: str
    fill: Callable[[Source], Any]  # a JSON value, a Noted value, or Missing


@dataclass(frozen=True)
class Registry:
    key: str  # as in the download's URL
    name: str
    fields: tuple[RegistryField, ...]


# (name, required, how the tracker fills it, filler): what the tests and the page walk.
FieldSpec = tuple[str, bool, str, Callable[[Source], Any]]

DESIGN_WORDS = {
    PilotDesign.INDIVIDUAL_RCT: "an individual randomised controlled trial",
    PilotDesign.CLUSTER_RCT: "a cluster randomised controlled trial",
    PilotDesign.STEPPED_WEDGE: "a stepped wedge trial",
    PilotDesign.AB_TEST: "an A/B test",
    PilotDesign.BEFORE_AFTER: "a before and after comparison",
    PilotDesign.DIFFERENCE_IN_DIFFERENCES: "a difference in differences comparison",
    PilotDesign.QUALITATIVE: "qualitative research",
}
RANDOMISED = frozenset(
    {
        PilotDesign.INDIVIDUAL_RCT,
        PilotDesign.CLUSTER_RCT,
        PilotDesign.STEPPED_WEDGE,
        PilotDesign.AB_TEST,
    }
)
CLUSTERED = frozenset({PilotDesign.CLUSTER_RCT, PilotDesign.STEPPED_WEDGE})
BLANK_LINE = re.compile(r"\n\s*\n")
NO_LOCKED_PLAN = "No locked analysis plan"
SUMMARY_HOW = "The policy's problem (first paragraph) and the hypotheses the pilot tests"


def words(text: str) -> str:
    """The text on one line: registries' forms are single fields, not documents."""
    return " ".join(text.split())


def design_words(source: Source) -> str:
    """The pilot's design as a noun phrase ("an A/B test")."""
    return DESIGN_WORDS[source.overview.pilot.design]


def not_randomised(source: Source) -> Missing | None:
    """Missing for a design that is not randomised, so randomisation fields say why."""
    design = source.overview.pilot.design
    if design in RANDOMISED:
        return None
    return Missing(f"Not randomised: the pilot is {DESIGN_WORDS[design]}")


def locked_plan(overview: PilotOverview) -> PlanView | None:
    """The newest locked plan version: a draft amendment after it is not yet a commitment."""
    locked = [view for view in overview.plans if view.plan.locked_at is not None]
    return locked[-1] if locked else None


def outcome(metric: Metric) -> dict[str, str]:
    """A metric as a registry's outcome."""
    return {"key": metric.key, "name": metric.name, "kind": metric.kind.value, "unit": metric.unit}


def plan_outcomes(plan: PlanView, roles: set[MetricRole]) -> list[dict[str, str]]:
    """The plan's metrics in the given roles, as outcomes with their role."""
    return [
        {**outcome(metric), "role": link.role.value}
        for link, metric in plan.metrics
        if link.role in roles
    ]


def text_field(get: Callable[[Source], str], missing: str) -> Callable[[Source], Any]:
    """A filler for a free-text field: its words, or Missing when it is blank."""

    def fill(source: Source) -> Any:
        text = words(get(source))
        return text if text else Missing(missing)

    return fill


# Fields both registries share ----------------------------------------------------------------


def title(source: Source) -> str:
    """The pilot's title."""
    return source.overview.pilot.title


def summary(source: Source) -> str:
    """The policy's problem (first paragraph) and what the pilot tests, as hypotheses."""
    problem = words(BLANK_LINE.split(source.overview.policy.problem_statement.strip())[0])
    tested = [
        words(f"We believe that {h.we_believe} for {h.for_users} will {h.will}.")
        for h in source.overview.hypotheses
    ]
    return " ".join([problem, *tested])


def tags(source: Source) -> Any:
    """The policy's tags, which both registries take as topics or keywords."""
    return list(source.overview.policy.tags) or Missing("The policy has no tags")


PLACE = text_field(lambda s: s.overview.pilot.place, "No place is recorded")


def _first_start(source: Source) -> date | None:
    starts = [view.iteration.start_date for view in source.overview.iterations]
    return next((start for start in starts if start is not None), None)


def _ended(source: Source) -> bool:
    return source.overview.pilot.status in {PilotStatus.COMPLETE, PilotStatus.STOPPED}


def actual_start(source: Source) -> Any:
    """The first iteration's start date, or why there is none yet."""
    start = _first_start(source)
    if start is not None:
        return start.isoformat()
    if source.overview.pilot.status is PilotStatus.PLANNED:
        return Missing("The pilot has not started (its status is planned)")
    return Missing("No iteration of the pilot has a start date recorded")


def actual_end(source: Source) -> Any:
    """The last iteration's end date once the pilot has ended, or why there is none."""
    pilot, iterations = source.overview.pilot, source.overview.iterations
    if not _ended(source):
        return Missing(f"The pilot has not ended (its status is {pilot.status.value})")
    last = iterations[-1].iteration if iterations else None
    if last is None or last.end_date is None:
        return Missing("The pilot's last iteration has no end date recorded")
    return last.end_date.isoformat()


def planned(day: date | None, which: str) -> Any:
    """A planned date, or Missing naming which one is not recorded."""
    return day.isoformat() if day else Missing(f"No planned {which} date is recorded for the pilot")


def dates(source: Source, which: str) -> Any:
    """The actual start or end of the iterations, else the planned date, saying which."""
    pilot = source.overview.pilot
    actual = actual_start(source) if which == "start" else actual_end(source)
    if not isinstance(actual, Missing):
        return Noted(actual, f"The {which} of the pilot's iterations as run")
    planned_day = pilot.planned_start if which == "start" else pilot.planned_end
    if planned_day is not None:
        return Noted(
            planned_day.isoformat(),
            f"The planned {which} date: {actual.reason[:1].lower()}{actual.reason[1:]}",
        )
    return Missing(f"{actual.reason}, and no planned {which} date is recorded")
