"""Brand-new pilots and iterations from a portfolio file, written a few statements at a time.

Writing through the services costs several queries for every record (each service looks its
parents up again, checks for a duplicate, flushes and audits): at a million results that is
hours, most of it round trips. When the database has no pilot with a file's slug, or no
iteration with a file's number, every record under it is new, so the importer hands it here:
each record is validated by the same schemas and rules as the services (`records.validated`,
`results.sufficient_statistics`, the role check, the plan's SHA-256), buffered as plain rows, and
written by `flush` with one executemany INSERT per table, under ids reserved beforehand.

The audit trail is the one the services write, event for event: a CREATE with the record's
snapshot for every record, plus for a pilot the "linked hypotheses" event and for a plan the
"metrics of plan" and "locked" events, with the same summaries, before and after. Records that
already exist keep going through the services, which update them in place.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tracker.io import yamlfile
from tracker.models import (
    AnalysisPlan,
    AnalysisPlanCreate,
    Arm,
    ArmCreate,
    ArmResult,
    ArmResultCreate,
    AuditEvent,
    Decision,
    DecisionCreate,
    Iteration,
    IterationCreate,
    Metric,
    Pilot,
    PilotCreate,
    PilotHypothesis,
    PlanMetric,
)
from tracker.models.base import utcnow
from tracker.models.enums import AuditAction, ResultSource
from tracker.services import records
from tracker.services.actors import Actor, require_write
from tracker.services.errors import ValidationFailed
from tracker.services.plans import canonical_plan
from tracker.services.results import sufficient_statistics

At = Callable[[yamlfile.Path], AbstractContextManager[None]]
NO_STATISTICS = dict.fromkeys(("successes", "mean", "sd", "total", "exposure"))
# Parents first; link tables (no id, no audit event of their own) after their parents.
ORDER: tuple[type[SQLModel], ...] = (
    Pilot,
    PilotHypothesis,
    AnalysisPlan,
    PlanMetric,
    Iteration,
    Arm,
    ArmResult,
    Decision,
)
PARENT_KEY: dict[type[SQLModel], str] = {
    PilotHypothesis: "pilot_id",
    AnalysisPlan: "pilot_id",
    PlanMetric: "plan_id",
    Iteration: "pilot_id",
    Arm: "iteration_id",
    ArmResult: "arm_id",
    Decision: "iteration_id",
}
LINKS = (PilotHypothesis, PlanMetric)
ITERATION_FIELDS = ("title", "what_changed", "why", "start_date", "end_date", "status")
WRITTEN = ("pilot", "analysis_plan", "iteration", "arm", "arm_result", "decision")


@dataclass
class _Row:
    """One record waiting to be inserted, with the audit events its service would write."""

    values: dict[str, Any]
    summary: str = ""
    parent: _Row | None = None
    created: dict[str, Any] = field(default_factory=dict)  # as its CREATE showed them, if changed
    later: list[tuple[dict[str, Any], dict[str, Any], str]] = field(default_factory=list)
    id: int | None = None


@dataclass
class NewRecords:
    """Validated new pilots and iterations waiting for one bulk write per table."""

    session: Session
    actor: Actor
    rows: dict[type[SQLModel], list[_Row]] = field(default_factory=dict)
    created: Counter[str] = field(default_factory=Counter)

    def _add(self, model: type[SQLModel], row: _Row) -> _Row:
        self.rows.setdefault(model, []).append(row)
        return row

    def pilot(
        self,
        at: At,
        path: yamlfile.Path,
        policy: tuple[int, str],
        hypotheses: dict[str, int],
        metrics: dict[str, Metric],
        raw: dict[str, Any],
        fields: dict[str, Any],
    ) -> None:
        """Validate a pilot that is new to the database, with its plans and iterations."""
        policy_id, policy_slug = policy
        with at(path):
            for kind in WRITTEN:
                require_write(self.actor, kind)
            data = records.validated(PilotCreate, fields)
        pilot = self._add(
            Pilot,
            _Row(
                {**data.model_dump(exclude={"hypothesis_keys"}), "policy_id": policy_id},
                f"{policy_slug}: set up pilot {data.title}",
            ),
        )
        self.created["pilots"] += 1
        if data.hypothesis_keys:
            pilot.later.append(
                (
                    {"hypothesis_keys": []},
                    {"hypothesis_keys": data.hypothesis_keys},
                    f"Linked hypotheses of pilot {data.slug}",
                )
            )
            for key in data.hypothesis_keys:
                self._add(PilotHypothesis, _Row({"hypothesis_id": hypotheses[key]}, parent=pilot))
        for index, plan in enumerate(raw.get("analysis_plans", [])):
            self.plan(at, (*path, "analysis_plans", index), pilot, data.slug, metrics, plan)
        for index, iteration in enumerate(raw.get("iterations", [])):
            self.iteration(at, (*path, "iterations", index), (pilot, data.slug), metrics, iteration)

    def plan(
        self,
        at: At,
        path: yamlfile.Path,
        pilot: _Row,
        pilot_slug: str,
        metrics: dict[str, Metric],
        raw: dict[str, Any],
    ) -> None:
        """A plan version as create_plan and lock_plan would write it, lock hash checked."""
        version = raw["version"]
        with at(path):
            data = records.validated(AnalysisPlanCreate, raw)
        values = {**data.model_dump(exclude={"metrics"}), "plan_version": version}
        values.update(locked_at=None, locked_by_id=None, lock_hash=None)
        row = self._add(
            AnalysisPlan, _Row(values, f"{pilot_slug}: wrote analysis plan v{version}", pilot)
        )
        self.created["analysis plans"] += 1
        if data.metrics:
            specs = [spec.model_dump(mode="json") for spec in data.metrics]
            summary = f"{pilot_slug}: metrics of plan v{version}"
            row.later.append(({"metrics": []}, {"metrics": specs}, summary))
        for spec in data.metrics:
            link = {"metric_id": metrics[spec.metric].id, "role": spec.role, "test": spec.test}
            self._add(PlanMetric, _Row(link, parent=row))
        if not raw.get("lock_hash"):
            return
        plan = AnalysisPlan(**{**values, "pilot_id": 0})
        canonical = canonical_plan(pilot_slug, plan, data.metrics)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        if digest != raw["lock_hash"]:
            with at(path):
                raise ValidationFailed.single(
                    "lock_hash",
                    f"does not match the plan's content (its SHA-256 is {digest}): "
                    "the plan was changed after it was locked",
                )
        locked_at = datetime.fromisoformat(raw["locked_at"])
        locked = {"locked_at": locked_at, "locked_by_id": self.actor.user_id, "lock_hash": digest}
        row.created = dict.fromkeys(locked)
        row.values.update(locked, version=2)  # lock_plan's update is the plan's second version
        after = {name: value for name, value in locked.items() if value is not None}
        after["locked_at"] = locked_at.isoformat()
        summary = f"{pilot_slug}: locked analysis plan v{version}"
        row.later.append((dict.fromkeys(after), after, summary))

    def iteration(
        self,
        at: At,
        path: yamlfile.Path,
        pilot: tuple[_Row | int, str],
        metrics: dict[str, Metric],
        raw: dict[str, Any],
    ) -> None:
        """Validate an iteration that is new to the database, with its arms, results, decision."""
        parent, pilot_slug = pilot
        number = raw["number"]
        fields = {name: raw[name] for name in ITERATION_FIELDS if name in raw}
        with at(path):
            for kind in WRITTEN:
                require_write(self.actor, kind)
            data = records.validated(IterationCreate, {"number": number, **fields})
        values = data.model_dump()
        if isinstance(parent, int):
            values["pilot_id"] = parent
        iteration = self._add(
            Iteration,
            _Row(
                values,
                f"{pilot_slug}: started iteration v{number}",
                parent if isinstance(parent, _Row) else None,
            ),
        )
        self.created["iterations"] += 1
        for index, arm_raw in enumerate(raw["arms"]):
            arm_path = (*path, "arms", index)
            with at(arm_path):
                arm_data = records.validated(
                    ArmCreate,
                    {
                        "name": arm_raw["name"],
                        "is_control": arm_raw["control"],
                        "allocation": arm_raw["allocation"],
                        **{k: v for k, v in arm_raw.items() if k == "description"},
                    },
                )
            arm = self._add(
                Arm,
                _Row(
                    arm_data.model_dump(),
                    f"{pilot_slug} v{number}: added arm {arm_data.name}",
                    iteration,
                ),
            )
            self.created["arms"] += 1
            for result_index, result_raw in enumerate(arm_raw.get("results", [])):
                with at((*arm_path, "results", result_index)):
                    result = records.validated(ArmResultCreate, result_raw)
                    metric = metrics[result.metric]
                    values = {
                        **NO_STATISTICS,
                        **sufficient_statistics(metric, result),
                        "metric_id": metric.id,
                        "source": ResultSource.SUMMARY,
                        "dataset_id": None,
                    }
                label = f"{pilot_slug} v{number} {arm_data.name}: {metric.key}"
                self._add(ArmResult, _Row(values, f"{label} recorded", arm))
                self.created["results"] += 1
        if raw.get("decision"):
            with at((*path, "decision")):
                decision = records.validated(DecisionCreate, raw["decision"])
            self._add(
                Decision,
                _Row(
                    {**decision.model_dump(), "recorded_by_id": self.actor.user_id},
                    f"{pilot_slug} v{number}: decided to {decision.outcome.value}",
                    iteration,
                ),
            )
            self.created["decisions"] += 1

    def flush(self) -> Counter[str]:
        """Insert every buffered record, parents first, and write each one's audit events.

        Returns how many of each kind were created since the last flush.
        """
        now = utcnow()
        events: list[dict[str, Any]] = []
        for model in ORDER:
            rows = self.rows.get(model, [])
            if not rows:
                continue
            for row in rows:
                if row.parent is not None:
                    row.values[PARENT_KEY[model]] = row.parent.id
            table = model.__table__  # type: ignore[attr-defined]
            if model in LINKS:
                self.session.execute(sa.insert(table), [row.values for row in rows])
                continue
            for row, new_id in zip(rows, self._reserve_ids(table, len(rows)), strict=True):
                row.id = new_id
                row.values = {
                    "id": new_id,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                    **row.values,
                }
                events.extend(self._events(model, row, now))
            self.session.execute(sa.insert(table), [row.values for row in rows])
        if events:
            audit_table = AuditEvent.__table__  # type: ignore[attr-defined]
            self.session.execute(sa.insert(audit_table), events)
        self.rows.clear()
        created, self.created = self.created, Counter()
        return created

    def _reserve_ids(self, table: sa.Table, count: int) -> list[int]:
        """Ids for `count` new rows, taken first so the INSERT needs no RETURNING.

        A multi-row INSERT … RETURNING in parameter order costs the driver a parse of the whole
        statement per batch; a plain executemany is several times faster. PostgreSQL hands out
        ids from the table's own sequence, safe beside other writers. SQLite gives a new row the
        largest id plus one anyway, and this transaction already holds its write lock.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            taken = self.session.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": count},
            )
            return [int(new_id) for new_id in taken.scalars()]
        highest = self.session.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
        return list(range(highest + 1, highest + 1 + count))

    def _events(self, model: type[SQLModel], row: _Row, now: datetime) -> list[dict[str, Any]]:
        """The CREATE event and any later ones the service would have written for this row."""
        shown = {**row.values, **row.created, "id": row.id}
        changes = [
            (AuditAction.CREATE, None, records.snapshot_of(model, shown), row.summary),
            *((AuditAction.UPDATE, before, after, summary) for before, after, summary in row.later),
        ]
        return [
            {
                "occurred_at": now,
                "actor_id": self.actor.user_id,
                "actor_label": self.actor.label[:200],
                "action": action,
                "entity_type": str(model.__tablename__),
                "entity_id": row.id,
                "summary": summary[:500],
                "before": before,
                "after": after,
            }
            for action, before, after, summary in changes
        ]
