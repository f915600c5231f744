"""What an analysis runs on: a pilot's per-arm summaries and the locked plan, read in one place.

Kept as plain frozen data so the comparisons can be computed, hashed and re-run without a
database, and so the hash of the inputs says exactly what a stored run saw.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlmodel import Session

from tracker.models import ArmResult, ColumnMapping, Dataset, Metric
from tracker.models.enums import MetricKind, MetricRole
from tracker.services import datasets, overviews
from tracker.stats import CountSummary, MeanSummary, ProportionSummary, Summary


@dataclass(frozen=True)
class ArmInput:
    """One arm of one iteration with its summaries by metric key."""

    name: str
    is_control: bool
    allocation: float
    summaries: dict[str, Summary]
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Unit-level values (as written in the uploaded file) of continuous metrics."""


@dataclass(frozen=True)
class IterationInput:
    number: int
    what_changed: str
    arms: tuple[ArmInput, ...]

    def control(self) -> ArmInput | None:
        return next((arm for arm in self.arms if arm.is_control), None)


@dataclass(frozen=True)
class PlanInput:
    """The locked plan an analysis runs under (its hash is quoted on every result)."""

    version: int
    lock_hash: str
    alpha: float
    alternative: str
    multiple_testing: str
    sequential: bool
    roles: dict[str, str]
    tests: dict[str, str]


@dataclass(frozen=True)
class PilotInput:
    """Everything a pilot's comparisons depend on."""

    pilot: str
    planned_sample_size: int | None
    metric_kinds: dict[str, str]
    iterations: tuple[IterationInput, ...]
    plan: PlanInput | None = None
    dataset_hashes: tuple[str, ...] = ()
    plan_id: int | None = field(default=None, compare=False)

    @property
    def plan_hash(self) -> str | None:
        """The locked plan's SHA-256 that every result of this run is quoted under."""
        return self.plan.lock_hash if self.plan else None

    def inputs_hash(self) -> str:
        """SHA-256 of the canonical JSON of the inputs (same inputs, same hash).

        Unit-level values are left out: `dataset_hashes` already pins the bytes they were read
        from, and copying a million strings into the JSON took seconds.
        """
        body = asdict(replace(self, iterations=tuple(map(_without_values, self.iterations))))
        body.pop("plan_id")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_plain)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _without_values(iteration: IterationInput) -> IterationInput:
    return replace(iteration, arms=tuple(replace(arm, values={}) for arm in iteration.arms))


def _plain(value: Any) -> Any:
    if isinstance(value, ProportionSummary | MeanSummary | CountSummary):
        return {"type": type(value).__name__, **asdict(value)}
    raise TypeError(f"cannot hash {type(value).__name__}")


def summary_of(kind: MetricKind, result: ArmResult) -> Summary:
    """The engine's summary type for a stored result of a metric kind."""
    if kind is MetricKind.BINARY:
        return ProportionSummary(n=result.n, successes=result.successes or 0)
    if kind is MetricKind.CONTINUOUS:
        return MeanSummary(n=result.n, mean=result.mean or 0.0, sd=result.sd or 0.0)
    return CountSummary(n=result.n, total=result.total or 0.0, exposure=result.exposure or 0.0)


def _latest_locked_plan(view: overviews.PilotOverview) -> tuple[PlanInput | None, int | None]:
    locked = [plan for plan in view.plans if plan.plan.lock_hash]
    if not locked:
        return None, None
    latest = locked[-1]
    plan = latest.plan
    return (
        PlanInput(
            version=plan.plan_version,
            lock_hash=plan.lock_hash or "",
            alpha=plan.alpha,
            alternative=plan.sidedness.value,
            multiple_testing=plan.multiple_testing.value,
            sequential=plan.sequential,
            roles={metric.key: link.role.value for link, metric in latest.metrics},
            tests={metric.key: link.test for link, metric in latest.metrics if link.test},
        ),
        plan.id,
    )


def _unit_values(
    session: Session, view: overviews.PilotOverview, metric_of: dict[int, Metric]
) -> dict[tuple[int, str, str], tuple[str, ...]]:
    """Values behind continuous results derived from datasets, by (arm id, arm, metric key).

    Omnibus tests across iterations use them directly, so values sharing many leading digits
    keep their precision (a stored mean is already rounded to a float). Nothing else reads
    them, so a pilot with one iteration skips reading its files again.
    """
    if len(view.iterations) < 2:
        return {}
    wanted: dict[int, list[tuple[overviews.ArmView, Metric]]] = {}
    for iteration in view.iterations:
        for arm in iteration.arms:
            for metric_id, result in arm.results.items():
                metric = metric_of[metric_id]
                if result.dataset_id is not None and metric.kind is MetricKind.CONTINUOUS:
                    wanted.setdefault(result.dataset_id, []).append((arm, metric))
    values: dict[tuple[int, str, str], tuple[str, ...]] = {}
    for dataset_id, pairs in wanted.items():
        dataset = session.get_one(Dataset, dataset_id)
        content = datasets.dataset_content(session=session, dataset=dataset)
        mapping = ColumnMapping.model_validate(dataset.column_mapping)
        names = list(dict.fromkeys(arm.arm.name for arm, _ in pairs))
        by_metric = datasets.outcome_values(content, mapping, names)
        for arm, metric in pairs:
            cells = by_metric.get(metric.key, {}).get(arm.arm.name, ())
            values[(arm.arm.id or 0, arm.arm.name, metric.key)] = cells
    return values


def read_pilot_inputs(*, session: Session, pilot_slug: str) -> PilotInput:
    """The pilot's summaries per iteration, arm and metric, and its latest locked plan."""
    view = overviews.get_pilot_overview(session=session, slug=pilot_slug)
    metric_of: dict[int, Metric] = {m.id: m for m in view.metrics if m.id is not None}
    unit_values = _unit_values(session, view, metric_of)
    plan, plan_id = _latest_locked_plan(view)
    return PilotInput(
        pilot=view.pilot.slug,
        planned_sample_size=view.pilot.planned_sample_size,
        metric_kinds={metric.key: metric.kind.value for metric in view.metrics},
        iterations=tuple(
            IterationInput(
                number=iteration.iteration.number,
                what_changed=iteration.iteration.what_changed,
                arms=tuple(
                    ArmInput(
                        name=arm.arm.name,
                        is_control=arm.arm.is_control,
                        allocation=arm.arm.allocation,
                        summaries={
                            metric_of[metric_id].key: summary_of(metric_of[metric_id].kind, result)
                            for metric_id, result in sorted(arm.results.items())
                        },
                        values={
                            key: cells
                            for (arm_id, _, key), cells in unit_values.items()
                            if arm_id == arm.arm.id
                        },
                    )
                    for arm in iteration.arms
                ),
            )
            for iteration in view.iterations
        ),
        plan=plan,
        dataset_hashes=tuple(
            dataset.sha256
            for iteration in view.iterations
            for dataset in datasets.list_datasets(
                session=session, pilot_slug=pilot_slug, number=iteration.iteration.number
            )
        ),
        plan_id=plan_id,
    )


CONFIRMATORY_ROLES = frozenset({MetricRole.PRIMARY.value, MetricRole.SECONDARY.value})
