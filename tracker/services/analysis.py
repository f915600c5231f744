"""Run the statistics engine over a pilot and keep the run, so every number can be reproduced."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import AnalysisRun, Arm, ArmResult, Dataset, Iteration, Pilot
from tracker.services import records
from tracker.services.actors import Actor
from tracker.services.adjusted_rows import adjusted_comparisons
from tracker.services.analysis_inputs import read_pilot_inputs
from tracker.services.comparisons import compare_pilot
from tracker.services.errors import NotFound
from tracker.services.iterations import get_iteration
from tracker.services.pilots import get_pilot

LIBRARIES = ("numpy", "scipy", "pandas", "statsmodels")


def library_versions() -> dict[str, str]:
    """The versions that computed a run: the same inputs on the same versions, the same numbers."""
    versions = {name: metadata.version(name) for name in LIBRARIES}
    versions["python"] = platform.python_version()
    versions["tracker"] = metadata.version("test-and-learn-tracker")
    return versions


def pilot_has_results(*, session: Session, pilot_slug: str) -> bool:
    """Whether the pilot has anything to analyse: a per-arm result or a unit-level dataset."""
    pilot_id = records.id_of(get_pilot(session=session, slug=pilot_slug))
    in_pilot = col(Iteration.pilot_id) == pilot_id
    summary = (
        select(ArmResult.id)
        .join(Arm, col(Arm.id) == col(ArmResult.arm_id))
        .join(Iteration, col(Iteration.id) == col(Arm.iteration_id))
        .where(in_pilot)
    )
    dataset = select(Dataset.id).join(Iteration, col(Iteration.id) == col(Dataset.iteration_id))
    return any(
        session.exec(query.limit(1)).first() is not None
        for query in (summary, dataset.where(in_pilot))
    )


def run_analysis(
    *, session: Session, actor: Actor, pilot_slug: str, iteration: int | None = None
) -> AnalysisRun:
    """Compute every comparison of a pilot (or one iteration) and store the run."""
    pilot = get_pilot(session=session, slug=pilot_slug)
    if iteration is not None:
        get_iteration(session=session, pilot_slug=pilot_slug, number=iteration)  # NotFound
    inputs = read_pilot_inputs(session=session, pilot_slug=pilot_slug)
    rows = compare_pilot(inputs, iteration) + adjusted_comparisons(
        session=session, inputs=inputs, iteration=iteration
    )
    return records.insert(
        session,
        actor=actor,
        record=AnalysisRun(
            pilot_id=records.id_of(pilot),
            iteration_number=iteration,
            run_by_id=actor.user_id,
            actor_label=actor.label[:200],
            plan_id=inputs.plan_id,
            plan_hash=inputs.plan_hash,
            inputs_hash=inputs.inputs_hash(),
            options={
                "iteration": iteration,
                "plan_version": inputs.plan.version if inputs.plan else None,
            },
            library_versions=library_versions(),
            rows=[row.as_dict() for row in rows],
        ),
        summary=f"{pilot_slug}: analysed {len(rows)} comparisons",
    )


def latest_run(*, session: Session, pilot_slug: str) -> AnalysisRun:
    """The most recent stored run of a pilot, or NotFound."""
    pilot = get_pilot(session=session, slug=pilot_slug)
    run = session.exec(
        select(AnalysisRun)
        .where(AnalysisRun.pilot_id == pilot.id)
        .order_by(col(AnalysisRun.id).desc())
    ).first()
    if run is None:
        raise NotFound("analysis run", pilot_slug)
    return run


def list_runs(*, session: Session, pilot_slug: str) -> list[AnalysisRun]:
    """A pilot's stored runs, newest first (NotFound for an unknown pilot)."""
    pilot = get_pilot(session=session, slug=pilot_slug)
    return list(
        session.exec(
            select(AnalysisRun)
            .where(AnalysisRun.pilot_id == pilot.id)
            .order_by(col(AnalysisRun.id).desc())
        )
    )


def get_run(*, session: Session, run_id: int) -> tuple[AnalysisRun, str]:
    """A stored run and the slug of its pilot, or NotFound."""
    row = session.exec(
        select(AnalysisRun, Pilot.slug)
        .join(Pilot, col(Pilot.id) == col(AnalysisRun.pilot_id))
        .where(AnalysisRun.id == run_id)
    ).first()
    if row is None:
        raise NotFound("analysis run", run_id)
    run, slug = row
    return run, slug


def _utc_text(moment: datetime) -> str:
    """RFC 3339 with its offset: SQLite hands a stored UTC time back without one."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def run_document(run: AnalysisRun, pilot_slug: str) -> dict[str, Any]:
    """A stored run as `tracker analyse --json` prints it and the API returns it.

    One builder for both, so a pipeline reading the API and a person reading the CLI see the
    same document for the same run, whichever database it was read back from.
    """
    return {
        "pilot": pilot_slug,
        "run_id": run.id,
        "created_at": _utc_text(run.created_at),
        "inputs_hash": run.inputs_hash,
        "plan_hash": run.plan_hash,
        "library_versions": run.library_versions,
        "comparisons": run.rows,
    }
