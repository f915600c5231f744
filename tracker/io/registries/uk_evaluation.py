"""The UK Evaluation Registry's form (Evaluation Task Force), field by field.

The registry records evaluations of every kind, so its fields describe the evaluation (type,
method, dates, publication) rather than the randomisation.
"""

from __future__ import annotations

from typing import Any

from tracker.io.portfolio_table import headline_words
from tracker.io.registries.shared import (
    PLACE,
    SUMMARY_HOW,
    FieldSpec,
    Missing,
    Noted,
    Registry,
    RegistryField,
    Source,
    actual_end,
    actual_start,
    design_words,
    planned,
    summary,
    tags,
    text_field,
    title,
    words,
)
from tracker.models.enums import EvaluationType, PilotStatus

EVALUATION_WORDS = {
    EvaluationType.IMPACT: "Impact evaluation (did it make a difference, and how much)",
    EvaluationType.PROCESS: "Process evaluation (was it delivered as intended)",
    EvaluationType.VALUE_FOR_MONEY: "Value-for-money evaluation (were the benefits worth the cost)",
}
UK_STATUS = {
    PilotStatus.PLANNED: "planned",
    PilotStatus.RUNNING: "ongoing",
    PilotStatus.ANALYSING: "ongoing",
    PilotStatus.COMPLETE: "complete",
    PilotStatus.STOPPED: "complete",
}


def _intended_start(source: Source) -> Any:
    return planned(source.overview.pilot.planned_start, "start")


def _intended_end(source: Source) -> Any:
    return planned(source.overview.pilot.planned_end, "end")


def _uk_status(source: Source) -> Any:
    status = source.overview.pilot.status
    if status is PilotStatus.STOPPED:
        return Noted(UK_STATUS[status], "The pilot was stopped before it was completed")
    return UK_STATUS[status]


def _evaluation_type(source: Source) -> str:
    return source.overview.pilot.evaluation_type.value.replace("_", "-")


def _evaluation_method(source: Source) -> str:
    pilot = source.overview.pilot
    method = f"{EVALUATION_WORDS[pilot.evaluation_type]} by {design_words(source)}"
    if pilot.evidence_strength is not None:
        method += f"; level {pilot.evidence_strength} of 5 on the Maryland Scientific Methods Scale"
    return method


def _publication(source: Source) -> Any:
    pilot = source.overview.pilot
    if not (pilot.citation.strip() or pilot.source_url.strip()):
        return Missing(
            "Nothing published is recorded for this pilot (no citation or link), and the "
            "tracker does not record a reason for not publishing"
        )
    return {
        "published": True,
        "link": pilot.source_url.strip() or None,
        "citation": words(pilot.citation) or None,
    }


def _results_summary(source: Source) -> Any:
    headline = headline_words(source.run, source.overview.metrics)
    if headline is None:
        return Missing("No stored analysis run has a result on the primary metric")
    return Noted(headline, f"From analysis run {source.run.id if source.run else ''}")


_TEAM = text_field(lambda s: s.overview.policy.team, "No owning team is recorded")

UK_FIELDS: tuple[FieldSpec, ...] = (
    ("title", True, "The pilot's title", title),
    ("summary", True, SUMMARY_HOW, summary),
    ("organisation", True, "The policy's owning team", _TEAM),
    ("status", True, "planned; ongoing (running, analysing); complete (or stopped)", _uk_status),
    ("evaluation_type", True, "impact, process or value-for-money", _evaluation_type),
    ("evaluation_method", True, "Evaluation type and design in words", _evaluation_method),
    ("intended_start_date", True, "The pilot's planned start", _intended_start),
    ("intended_end_date", True, "The pilot's planned end", _intended_end),
    ("actual_start_date", True, "The first iteration's start date", actual_start),
    ("actual_end_date", True, "The last iteration's end, once the pilot ended", actual_end),
    ("publication", True, "Its link and citation when published; else missing", _publication),
    ("location", False, "The pilot's place", PLACE),
    ("topics", False, "The policy's tags", tags),
    ("results_summary", False, "The newest analysis run's headline", _results_summary),
)
UK_EVALUATION_REGISTRY = Registry(
    "uk-evaluation-registry",
    "UK Evaluation Registry (Evaluation Task Force)",
    tuple(RegistryField(*spec) for spec in UK_FIELDS),
)
