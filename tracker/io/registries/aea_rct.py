"""The American Economic Association's RCT Registry form, field by field.

The registry records randomised trials, so most of its fields are about the randomisation,
the outcomes and the sample; for a design that is not randomised those fields say so as
Missing rather than pretending.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tracker.io.registries.shared import (
    CLUSTERED,
    NO_LOCKED_PLAN,
    PLACE,
    SUMMARY_HOW,
    FieldSpec,
    Missing,
    Noted,
    Registry,
    RegistryField,
    Source,
    dates,
    design_words,
    locked_plan,
    not_randomised,
    outcome,
    plan_outcomes,
    summary,
    tags,
    title,
    words,
)
from tracker.models import ArmResult
from tracker.models.enums import MetricRole, PilotStatus
from tracker.services.overviews import IterationView

AEA_STATUS = {
    PilotStatus.PLANNED: "in development",
    PilotStatus.RUNNING: "on going",
    PilotStatus.ANALYSING: "on going",
    PilotStatus.COMPLETE: "completed",
    PilotStatus.STOPPED: "completed",
}
NO_METHOD = (
    "The tracker does not record the randomisation method (for example a computer random "
    "number generator, stratified or blocked assignment, or a public lottery)"
)


def _aea_status(source: Source) -> str:
    return AEA_STATUS[source.overview.pilot.status]


def _primary(source: Source) -> Any:
    plan = locked_plan(source.overview)
    if plan is not None:
        primary = plan_outcomes(plan, {MetricRole.PRIMARY})
        if primary:
            return Noted(
                primary, f"The primary metrics of locked analysis plan v{plan.plan.plan_version}"
            )
    by_id = {metric.id: metric for metric in source.overview.metrics}
    measured = [by_id[h.metric_id] for h in source.overview.hypotheses if h.metric_id in by_id]
    unique = list({metric.key: metric for metric in measured}.values())
    if unique:
        why = "no locked analysis plan names a primary metric"
        return Noted(
            [outcome(m) for m in unique],
            f"The metrics the pilot's hypotheses are measured by ({why})",
        )
    return Missing(
        f"{NO_LOCKED_PLAN} names a primary metric, and no hypothesis the pilot tests names a metric"
    )


def _secondary(source: Source) -> Any:
    plan = locked_plan(source.overview)
    if plan is None:
        return Missing(NO_LOCKED_PLAN)
    secondary = plan_outcomes(plan, {MetricRole.SECONDARY, MetricRole.GUARDRAIL})
    if not secondary:
        return Missing(f"Locked analysis plan v{plan.plan.plan_version} names no secondary metric")
    return secondary


def _experimental_design(source: Source) -> str:
    pilot = source.overview.pilot
    parts = [f"{design_words(source)[0].upper()}{design_words(source)[1:]}."]
    if pilot.population.strip():
        parts.append(f"Population: {words(pilot.population)}")
    if pilot.place.strip():
        parts.append(f"Place: {words(pilot.place)}.")
    return " ".join(parts)


def _randomisation_method(source: Source) -> Any:
    return not_randomised(source) or Missing(NO_METHOD)


def _randomisation_unit(source: Source) -> Any:
    unit = words(source.overview.pilot.unit_of_randomisation)
    return not_randomised(source) or (unit or Missing("No unit of randomisation is recorded"))


def _clustered(source: Source) -> Any:
    not_random = not_randomised(source)
    if not_random is not None:
        return not_random
    return "yes" if source.overview.pilot.design in CLUSTERED else "no"


def _clusters(source: Source) -> Any:
    pilot = source.overview.pilot
    if pilot.design in CLUSTERED:
        unit = words(pilot.unit_of_randomisation) or "clusters"
        return Missing(f"The tracker does not record the planned number of clusters ({unit})")
    if pilot.planned_sample_size is None:
        return not_randomised(source) or Missing("No planned sample size is recorded")
    return not_randomised(source) or Noted(
        pilot.planned_sample_size, "Not clustered: each unit is its own cluster"
    )


def _observations(source: Source) -> Any:
    size = source.overview.pilot.planned_sample_size
    return size if size is not None else Missing("No planned sample size is recorded")


def _arm_n(results: dict[int, ArmResult], primary: set[int]) -> int | None:
    """An arm's n: on the primary metric when it has one, else its largest n on any metric."""
    on_primary = [result.n for metric_id, result in results.items() if metric_id in primary]
    if on_primary:
        return on_primary[0]
    every = [result.n for result in results.values()]
    return max(every) if every else None


def _latest_with_arms(source: Source) -> IterationView | None:
    with_arms = [view for view in source.overview.iterations if view.arms]
    return with_arms[-1] if with_arms else None


def _sample_by_arm(source: Source) -> Any:
    view, pilot = _latest_with_arms(source), source.overview.pilot
    if view is None:
        return Missing("The pilot has no iteration with arms yet")
    plan = locked_plan(source.overview)
    primary = (
        {m.id or 0 for link, m in plan.metrics if link.role is MetricRole.PRIMARY}
        if plan
        else set()
    )
    counts = [_arm_n(arm.results, primary) for arm in view.arms]
    if all(n is not None for n in counts):
        how = f"Numbers analysed in iteration v{view.iteration.number}, from its recorded results"
    elif pilot.planned_sample_size is not None:
        size = pilot.planned_sample_size
        counts = [round(arm.arm.allocation * size) for arm in view.arms]
        how = (
            f"Planned: each arm's planned allocation in v{view.iteration.number} times the "
            f"planned sample size of {size:,} (not every arm has results yet)"
        )
    else:
        number = view.iteration.number
        return Missing(
            f"Not every arm of v{number} has results; no planned sample size is recorded"
        )
    arms = [
        {"arm": arm.arm.name, "control": arm.arm.is_control, "n": n}
        for arm, n in zip(view.arms, counts, strict=True)
    ]
    total = sum(int(n or 0) for n in counts)
    return Noted({"iteration": view.iteration.number, "arms": arms, "total": total}, how)


def _start(source: Source) -> Any:
    return dates(source, "start")


def _end(source: Source) -> Any:
    return dates(source, "end")


def _mde(source: Source) -> Any:
    plan = locked_plan(source.overview)
    if plan is None:
        return Missing(NO_LOCKED_PLAN)
    if plan.plan.mde is None:
        return Missing(
            f"Locked analysis plan v{plan.plan.plan_version} gives no minimum detectable effect"
        )
    primary = plan_outcomes(plan, {MetricRole.PRIMARY})
    return {"value": plan.plan.mde, "outcome": primary[0]["name"] if primary else None}


def _utc(moment: datetime) -> datetime:
    """Lock times are stored in UTC; SQLite hands them back without their zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pre_analysis_plan(source: Source) -> Any:
    plan = locked_plan(source.overview)
    if plan is None or plan.plan.locked_at is None:
        return Missing(NO_LOCKED_PLAN)
    return {
        "version": plan.plan.plan_version,
        "sha256": plan.plan.lock_hash,
        "locked_at": _utc(plan.plan.locked_at).isoformat(),
    }


AEA_FIELDS: tuple[FieldSpec, ...] = (
    ("title", True, "The pilot's title", title),
    ("status", True, "in development; on going; completed (or stopped)", _aea_status),
    ("abstract", True, SUMMARY_HOW, summary),
    ("primary_outcomes", True, "Locked plan's primary metrics, else hypotheses'", _primary),
    ("secondary_outcomes", False, "Locked plan's secondary and guardrail metrics", _secondary),
    ("experimental_design", True, "Design, population and place", _experimental_design),
    ("randomisation_method", True, "Not recorded by the tracker", _randomisation_method),
    ("randomisation_unit", True, "The pilot's unit of randomisation", _randomisation_unit),
    ("clustered", True, "yes for cluster RCTs and stepped wedges, else no", _clustered),
    ("planned_number_of_clusters", True, "Planned sample when not clustered", _clusters),
    ("planned_number_of_observations", True, "The planned sample size", _observations),
    ("sample_size_by_arm", True, "Latest iteration: results' n, else planned", _sample_by_arm),
    ("minimum_detectable_effect", True, "The locked analysis plan's MDE", _mde),
    ("pre_analysis_plan", True, "Locked plan's version, SHA-256, lock time", _pre_analysis_plan),
    ("start_date", True, "First iteration's start, else the planned start", _start),
    ("end_date", True, "Last iteration's end, else the planned end", _end),
    ("keywords", False, "The policy's tags", tags),
    ("country", False, "The pilot's place", PLACE),
)
AEA_RCT_REGISTRY = Registry(
    "aea-rct-registry",
    "AEA RCT Registry (American Economic Association)",
    tuple(RegistryField(*spec) for spec in AEA_FIELDS),
)
