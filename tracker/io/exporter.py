"""Write the database back out as portfolio files: one `<policy-slug>.yaml` per policy.

Lossless by construction: every field the importer reads is written, in a fixed key order and
in the order records were created, so export → import into an empty database → export gives
byte-identical files.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from tracker.io import yamlfile
from tracker.io.reader import FORMAT
from tracker.models import ArmResult, Metric, Policy
from tracker.models.enums import MetricKind
from tracker.services import datasets, overviews, records

KIND_FIELDS = {
    MetricKind.BINARY: ("successes",),
    MetricKind.CONTINUOUS: ("mean", "sd"),
    MetricKind.COUNT: ("total", "exposure"),
}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes that were stored as UTC."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _result(metric: Metric, result: ArmResult) -> dict[str, Any]:
    row: dict[str, Any] = {"metric": metric.key, "n": result.n}
    row.update({name: getattr(result, name) for name in KIND_FIELDS[metric.kind]})
    if result.note:
        row["note"] = result.note
    return row


def _write_datasets(
    session: Session, directory: Path, policy_slug: str, views: list[overviews.PilotOverview]
) -> dict[int, list[dict[str, Any]]]:
    """Write each iteration's CSVs under `<policy-slug>-data/` and return their file entries."""
    entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for view in views:
        for iteration in view.iterations:
            number = iteration.iteration.number
            folder = Path(f"{policy_slug}-data", view.pilot.slug, f"v{number}")
            used: set[str] = set()
            for dataset in datasets.list_datasets(
                session=session, pilot_slug=view.pilot.slug, number=number
            ):
                name = dataset.filename
                if name in used:  # two uploads with one name: keep both, told apart by hash
                    name = f"{dataset.sha256[:12]}-{name}"
                used.add(name)
                (directory / folder).mkdir(parents=True, exist_ok=True)
                content = datasets.dataset_content(session=session, dataset=dataset)
                (directory / folder / name).write_bytes(content)
                entries[records.id_of(iteration.iteration)].append(
                    {
                        "file": (folder / name).as_posix(),
                        "sha256": dataset.sha256,
                        "column_mapping": dataset.column_mapping,
                    }
                )
    return entries


def _pilot(
    overview: overviews.PilotOverview, datasets_of: dict[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    pilot = overview.pilot
    metric_of = {metric.id: metric for metric in overview.metrics}
    return {
        "slug": pilot.slug,
        "title": pilot.title,
        "design": pilot.design.value,
        "unit_of_randomisation": pilot.unit_of_randomisation,
        "population": pilot.population,
        "place": pilot.place,
        "planned_sample_size": pilot.planned_sample_size,
        "evaluation_type": pilot.evaluation_type.value,
        "evidence_strength": pilot.evidence_strength,
        "status": pilot.status.value,
        "planned_start": _day(pilot.planned_start),
        "planned_end": _day(pilot.planned_end),
        "citation": pilot.citation,
        "source_url": pilot.source_url,
        "hypotheses": [hypothesis.key for hypothesis in overview.hypotheses],
        "analysis_plans": [
            {
                "version": view.plan.plan_version,
                "estimand": view.plan.estimand,
                "alpha": view.plan.alpha,
                "sidedness": view.plan.sidedness.value,
                "multiple_testing": view.plan.multiple_testing.value,
                "covariates": view.plan.covariates,
                "stopping_rule": view.plan.stopping_rule,
                "mde": view.plan.mde,
                "sequential": view.plan.sequential,
                "amendment_reason": view.plan.amendment_reason,
                "metrics": [
                    {"metric": metric.key, "role": link.role.value, "test": link.test}
                    for link, metric in view.metrics
                ],
                "locked_at": _moment(view.plan.locked_at),
                "lock_hash": view.plan.lock_hash,
            }
            for view in overview.plans
        ],
        "iterations": [
            {
                "number": view.iteration.number,
                "title": view.iteration.title,
                "what_changed": view.iteration.what_changed,
                "why": view.iteration.why,
                "start_date": _day(view.iteration.start_date),
                "end_date": _day(view.iteration.end_date),
                "status": view.iteration.status.value,
                "arms": [
                    {
                        "name": arm.arm.name,
                        "control": arm.arm.is_control,
                        "allocation": arm.arm.allocation,
                        "description": arm.arm.description,
                        "results": [
                            _result(metric_of[metric_id], result)
                            for metric_id, result in sorted(arm.results.items())
                        ],
                    }
                    for arm in view.arms
                ],
                "datasets": datasets_of.get(records.id_of(view.iteration), []),
                "decision": None
                if view.decision is None
                else {
                    "outcome": view.decision.outcome.value,
                    "rationale": view.decision.rationale,
                    "decided_by": view.decision.decided_by,
                    "decided_on": _day(view.decision.decided_on),
                },
            }
            for view in overview.iterations
        ],
    }


def policy_document(*, session: Session, slug: str, directory: Path) -> dict[str, Any]:
    """One policy, with everything under it, as a portfolio document; CSVs go to `directory`."""
    view = overviews.get_policy_overview(session=session, slug=slug)
    policy = view.policy
    metric_of = view.metric_by_id()
    pilot_views = [
        overviews.get_pilot_overview(session=session, slug=pilot.slug) for pilot in view.pilots
    ]
    iteration_of = {
        iteration.iteration.id: (pilot_view.pilot.slug, iteration.iteration.number)
        for pilot_view in pilot_views
        for iteration in pilot_view.iterations
    }
    datasets_of = _write_datasets(session, directory, policy.slug, pilot_views)
    document = {
        "slug": policy.slug,
        "title": policy.title,
        "illustrative": policy.illustrative,
        "published": policy.published,
        "team": policy.team,
        "stage": policy.stage.value,
        "problem_statement": policy.problem_statement,
        "tags": policy.tags,
        "theory_of_change": policy.theory_of_change,
        "stage_history": [
            {
                "from": decision.from_stage.value if decision.from_stage else None,
                "to": decision.to_stage.value,
                "decided_on": _day(decision.decided_on),
                "decided_by": decision.decided_by,
                "rationale": decision.rationale,
                "skip_reason": decision.skip_reason,
                "evidence": decision.evidence,
            }
            for decision in view.stage_history
        ],
        "metrics": [
            {
                "key": metric.key,
                "name": metric.name,
                "kind": metric.kind.value,
                "unit": metric.unit,
                "direction": metric.direction.value,
                "minimum_important_difference": metric.minimum_important_difference,
                "description": metric.description,
            }
            for metric in view.metrics
        ],
        "user_needs": [
            {
                "key": need.need.key,
                "as_a": need.need.as_a,
                "i_need": need.need.i_need,
                "so_that": need.need.so_that,
                "evidence_source": need.need.evidence_source,
                "metrics": [metric.key for metric in need.metrics],
            }
            for need in view.user_needs
        ],
        "hypotheses": [
            {
                "key": hypothesis.key,
                "we_believe": hypothesis.we_believe,
                "for_users": hypothesis.for_users,
                "will": hypothesis.will,
                "measured_by": metric_of[hypothesis.metric_id].key
                if hypothesis.metric_id
                else None,
                "status": hypothesis.status.value,
            }
            for hypothesis in view.hypotheses
        ],
        "engagements": [
            {
                "key": entry.key,
                "group": entry.group.value,
                "method": entry.method.value,
                "held_on": _day(entry.held_on),
                "participants": entry.participants,
                "what_we_heard": entry.what_we_heard,
                "what_changed": entry.what_changed,
                "pilot": iteration_of[entry.iteration_id][0] if entry.iteration_id else None,
                "iteration": iteration_of[entry.iteration_id][1] if entry.iteration_id else None,
            }
            for entry in view.engagements
        ],
        "pilots": [_pilot(pilot_view, datasets_of) for pilot_view in pilot_views],
    }
    return {"format": FORMAT, "policies": [document]}


def export_directory(*, session: Session, directory: Path) -> list[Path]:
    """Write `<slug>.yaml` for every policy into `directory`, returning the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for slug in session.exec(select(Policy.slug).order_by(col(Policy.slug))):
        path = directory / f"{slug}.yaml"
        document = policy_document(session=session, slug=slug, directory=directory)
        path.write_text(yamlfile.dump(document), "utf-8")
        written.append(path)
    return written
