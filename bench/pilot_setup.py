"""A policy, its metrics and a pilot with iterations, arms and a locked plan, made through services.

The bench modules that time an upload or an analysis need the same set-up the app's users make
by hand; going through the services keeps it valid by construction (as tests/factories.py does
for the tests). Nothing here is timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from tracker import migrate
from tracker.db import dispose_engine, get_engine

__all__ = ["dispose_engine"]  # the bench modules release a prepared database through here
from tracker.models.enums import Direction, MetricKind, MetricRole, PilotDesign, PolicyStage, Role
from tracker.services import iterations, metrics, pilots, plans, policies
from tracker.services.actors import Actor

ANALYST = Actor(label="bench-analyst@example.gov.uk", role=Role.ANALYST)
EDITOR = Actor(label="bench-editor@example.gov.uk", role=Role.EDITOR)


@dataclass(frozen=True)
class ArmSpec:
    name: str
    is_control: bool
    allocation: float


def migrated_sqlite(path: Path) -> str:
    """A fresh SQLite database at `path`, migrated to head, as its URL."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    dispose_engine(url)
    return url


def make_policy(session: Session, slug: str, metric_kinds: dict[str, MetricKind]) -> None:
    """A policy at the idea stage with one metric per key."""
    policies.create_policy(
        session=session,
        actor=EDITOR,
        data={
            "slug": slug,
            "title": f"Bench policy {slug}",
            "team": "Bench",
            "problem_statement": "How fast the tracker imports and analyses at scale.",
        },
        first_decision={
            "to_stage": PolicyStage.IDEA,
            "rationale": "Benchmark set-up",
            "decided_by": "bench",
            "decided_on": date(2026, 1, 5),
        },
    )
    for key, kind in metric_kinds.items():
        metrics.create_metric(
            session=session,
            actor=ANALYST,
            policy_slug=slug,
            data={"key": key, "name": key, "kind": kind, "direction": Direction.INCREASE},
        )


def make_pilot(
    session: Session,
    *,
    policy_slug: str,
    pilot_slug: str,
    iteration_count: int,
    arms: Sequence[ArmSpec],
    roles: dict[str, MetricRole],
) -> None:
    """A pilot with `iteration_count` iterations of the same arms and a locked plan (Holm)."""
    pilots.create_pilot(
        session=session,
        actor=EDITOR,
        policy_slug=policy_slug,
        data={
            "slug": pilot_slug,
            "title": f"Bench pilot {pilot_slug}",
            "design": PilotDesign.INDIVIDUAL_RCT,
            "hypothesis_keys": [],
        },
    )
    for number in range(1, iteration_count + 1):
        iterations.create_iteration(
            session=session,
            actor=EDITOR,
            pilot_slug=pilot_slug,
            data={"number": number, "title": f"Version {number}"},
        )
        for arm in arms:
            iterations.create_arm(
                session=session,
                actor=EDITOR,
                pilot_slug=pilot_slug,
                number=number,
                data={
                    "name": arm.name,
                    "is_control": arm.is_control,
                    "allocation": arm.allocation,
                },
            )
    plan = plans.create_plan(
        session=session,
        actor=ANALYST,
        pilot_slug=pilot_slug,
        data={
            "estimand": "difference in means and proportions",
            "multiple_testing": "holm",
            "metrics": [{"metric": key, "role": role, "test": ""} for key, role in roles.items()],
        },
    )
    plans.lock_plan(
        session=session,
        actor=ANALYST,
        pilot_slug=pilot_slug,
        version=plan.plan_version,
        expected_version=plan.version,
    )


def session_on(url: str) -> Session:
    """A session on `url` that keeps loaded attributes after commit."""
    return Session(get_engine(url), expire_on_commit=False)


def interleaved_medians(
    timers: dict[str, Callable[[], float]], repeats: int
) -> dict[str, list[float]]:
    """Run each timer once per round, in the same order every round; the seconds of each."""
    seconds: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            seconds[name].append(timer())
    return seconds


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(action: Callable[[], object]) -> float:
    """Seconds that `action` took, by the monotonic performance counter."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def print_table(rows: list[dict[str, object]]) -> None:
    """The figure rows as a plain table (standalone runs)."""
    print(f"{'figure':58} {'median':>10} {'baseline':>10} {'ratio':>7} {'target':>9} met")
    for row in rows:
        median_s = row.get("median_s")
        baseline_s = row.get("baseline_median_s")
        ratio = row.get("ratio")
        print(
            f"{row['name']:58} "
            f"{_seconds(median_s):>10} {_seconds(baseline_s):>10} "
            f"{(f'{ratio:.2f}' if isinstance(ratio, float) else '-'):>7} "
            f"{row.get('target', ''):>9} {row.get('met')}"
        )
        if row.get("notes"):
            print(f"    {row['notes']}")


def _seconds(value: object) -> str:
    if not isinstance(value, float):
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
