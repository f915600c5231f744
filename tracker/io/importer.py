"""Write checked portfolio files through the services, matching records by their stable keys.

Re-importing a file updates records in place (policy and pilot slugs, metric / need / hypothesis
/ engagement keys, iteration numbers, arm names, plan versions) and never duplicates them.
Records in the database that a file does not mention are kept, never deleted: an import must not
silently lose what someone entered in the app. Every write goes through the services, so it is
validated and audited like any other change; the caller commits or rolls back as one unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, select

from tracker.io import yamlfile
from tracker.io.bulk import ITERATION_FIELDS, NewRecords
from tracker.io.problems import PortfolioError, Problem
from tracker.io.reader import SourceFile, dataset_path, read_files
from tracker.models import (
    AnalysisPlan,
    Arm,
    ArmResult,
    Dataset,
    Engagement,
    Hypothesis,
    Iteration,
    Metric,
    Pilot,
    Policy,
    UserNeed,
)
from tracker.services import (
    datasets,
    engagements,
    hypotheses,
    iterations,
    metrics,
    pilots,
    plans,
    policies,
    records,
    results,
    user_needs,
)
from tracker.services.actors import Actor
from tracker.services.errors import ServiceError, ValidationFailed

# Where a service's field name differs from the file's key.
FILE_KEYS = {
    "is_control": "control",
    "to_stage": "to",
    "hypothesis_keys": "hypotheses",
    "metric_keys": "metrics",
}
POLICY_FIELDS = (
    "title",
    "illustrative",
    "published",
    "team",
    "problem_statement",
    "tags",
    "theory_of_change",
)
PILOT_FIELDS = (
    "title",
    "design",
    "unit_of_randomisation",
    "population",
    "place",
    "planned_sample_size",
    "evaluation_type",
    "evidence_strength",
    "status",
    "planned_start",
    "planned_end",
    "citation",
    "source_url",
)
PLAN_FIELDS = (
    "estimand",
    "alpha",
    "sidedness",
    "multiple_testing",
    "covariates",
    "stopping_rule",
    "mde",
    "sequential",
    "amendment_reason",
    "metrics",
)


@dataclass
class ImportReport:
    """What an import did, by kind of record."""

    files: list[str]
    pilot_slugs: list[str] = field(default_factory=list)  # every pilot in the files, in order
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{n} {kind}" for kind, n in sorted(counter.items())) or "nothing"

        return (
            f"Imported {len(self.files)} file(s). Created: {counts(self.created)}. "
            f"Updated: {counts(self.updated)}. Unchanged: {sum(self.unchanged.values())} records."
        )


def _present(raw: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The keys of `names` that the file gives (absent keys keep the model's default)."""
    return {name: raw[name] for name in names if name in raw}


class _Writer:
    """Applies one portfolio to the database, reporting a failed write at its place in the file."""

    def __init__(self, session: Session, actor: Actor, report: ImportReport) -> None:
        self.session = session
        self.actor = actor
        self.report = report
        self.new_records = NewRecords(session, actor)

    @contextmanager
    def at(self, source: SourceFile, path: yamlfile.Path) -> Iterator[None]:
        try:
            yield
        except ValidationFailed as error:
            problems = []
            for issue in error.errors:
                first = issue.field.split(".")[0]
                if " " in issue.field:  # a place in a data file, e.g. "row 7, column paid"
                    source.problem(path, f"{issue.field}: {issue.message}")
                    problems.append(source.problems[-1])
                    continue
                field_path = (*path, FILE_KEYS.get(first, first)) if first != "input" else path
                source.problem(field_path, issue.message)
                problems.append(source.problems[-1])
            raise PortfolioError(problems) from None
        except ServiceError as error:
            source.problem(path, str(error))
            raise PortfolioError([source.problems[-1]]) from None

    def upsert(
        self,
        kind: str,
        existing: SQLModel | None,
        create: Callable[[], object],
        update: Callable[[], object] | None = None,
    ) -> None:
        """Create when missing; otherwise update and count whether anything changed.

        Services that create-or-replace by themselves pass only `create`.
        """
        if existing is None:
            create()
            self.report.created[kind] += 1
            return
        version = getattr(existing, "version", 1)
        (update or create)()
        changed = getattr(existing, "version", 1) != version
        (self.report.updated if changed else self.report.unchanged)[kind] += 1

    def find(self, model: type[SQLModel], **where: Any) -> Any:
        statement = select(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return self.session.exec(statement).first()

    def policy(self, source: SourceFile, path: yamlfile.Path, raw: dict[str, Any]) -> None:
        slug = raw["slug"]
        history = [_decision_payload(entry) for entry in raw["stage_history"]]
        existing = self.find(Policy, slug=slug)
        with self.at(source, path):
            self.upsert(
                "policies",
                existing,
                lambda: policies.create_policy(
                    session=self.session,
                    actor=self.actor,
                    data={"slug": slug, **_present(raw, POLICY_FIELDS)},
                    first_decision=history[0],
                ),
                lambda: policies.update_policy(
                    session=self.session,
                    actor=self.actor,
                    slug=slug,
                    data=_present(raw, POLICY_FIELDS),
                    expected_version=None,
                ),
            )
        self.stage_history(source, path, slug, history, existing)
        policy = self.find(Policy, slug=slug)
        for index, metric in enumerate(raw.get("metrics", [])):
            self.metric(source, (*path, "metrics", index), policy, metric)
        for index, need in enumerate(raw.get("user_needs", [])):
            self.keyed(
                source,
                (*path, "user_needs", index),
                policy,
                UserNeed,
                "user needs",
                {**_without(need, "metrics"), "metric_keys": need.get("metrics", [])},
                user_needs.create_user_need,
                user_needs.update_user_need,
            )
        for index, hypothesis in enumerate(raw.get("hypotheses", [])):
            self.keyed(
                source,
                (*path, "hypotheses", index),
                policy,
                Hypothesis,
                "hypotheses",
                hypothesis,
                hypotheses.create_hypothesis,
                hypotheses.update_hypothesis,
            )
        for index, pilot in enumerate(raw.get("pilots", [])):
            self.pilot(source, (*path, "pilots", index), policy, pilot)
        # Engagements may name the iterations just added.
        self.report.created.update(self.new_records.flush())
        for index, entry in enumerate(raw.get("engagements", [])):
            self.keyed(
                source,
                (*path, "engagements", index),
                policy,
                Engagement,
                "engagements",
                entry,
                engagements.create_engagement,
                engagements.update_engagement,
            )

    def stage_history(
        self,
        source: SourceFile,
        path: yamlfile.Path,
        slug: str,
        history: list[dict[str, Any]],
        existing: Policy | None,
    ) -> None:
        """Stage history is append-only: the stored history must be the start of the file's."""
        stored = policies.stage_history(session=self.session, slug=slug)
        for index, decision in enumerate(stored):
            entry_path = (*path, "stage_history", index)
            if index >= len(history):
                source.problem(
                    (*path, "stage_history"),
                    f"the database has {len(stored)} stage decisions but the file only "
                    f"{len(history)}; stage history is append-only",
                )
                raise PortfolioError([source.problems[-1]])
            wanted = history[index]
            same = (
                decision.to_stage.value == wanted["to_stage"]
                and decision.decided_on.isoformat() == wanted["decided_on"]
                and decision.rationale == wanted["rationale"]
            )
            if not same:
                source.problem(
                    entry_path,
                    "differs from the stage decision stored in the database "
                    f"({decision.from_stage or 'new'} → {decision.to_stage.value} on "
                    f"{decision.decided_on}); stage history is append-only",
                )
                raise PortfolioError([source.problems[-1]])
        for index in range(len(stored), len(history)):
            with self.at(source, (*path, "stage_history", index)):
                policies.decide_stage(
                    session=self.session,
                    actor=self.actor,
                    slug=slug,
                    data=history[index],
                    expected_version=None,
                )
            self.report.created["stage decisions"] += 1
        if existing is None:
            self.report.created["stage decisions"] += 1  # the first, made with the policy
        else:
            self.report.unchanged["stage decisions"] += len(stored)

    def metric(
        self, source: SourceFile, path: yamlfile.Path, policy: Policy, raw: dict[str, Any]
    ) -> None:
        existing = self.find(Metric, policy_id=policy.id, key=raw["key"])
        if existing is not None and existing.kind.value != raw["kind"]:
            source.problem(
                (*path, "kind"),
                f"the database holds this metric as {existing.kind.value}; a metric's kind "
                "cannot change once recorded",
            )
            raise PortfolioError([source.problems[-1]])
        self.keyed(
            source,
            path,
            policy,
            Metric,
            "metrics",
            raw,
            metrics.create_metric,
            metrics.update_metric,
            exclude=("kind",),
        )

    def keyed(
        self,
        source: SourceFile,
        path: yamlfile.Path,
        policy: Policy,
        model: type[SQLModel],
        kind: str,
        raw: dict[str, Any],
        create: Callable[..., object],
        update: Callable[..., object],
        exclude: tuple[str, ...] = (),
    ) -> None:
        """Upsert a record a policy names by key (metric, need, hypothesis, engagement)."""
        existing = self.find(model, policy_id=policy.id, key=raw["key"])
        changes = _without(raw, "key", *exclude)
        with self.at(source, path):
            self.upsert(
                kind,
                existing,
                lambda: create(
                    session=self.session, actor=self.actor, policy_slug=policy.slug, data=raw
                ),
                lambda: update(
                    session=self.session,
                    actor=self.actor,
                    policy_slug=policy.slug,
                    key=raw["key"],
                    data=changes,
                    expected_version=None,
                ),
            )

    def keys_of(self, policy: Policy) -> tuple[dict[str, int], dict[str, Metric]]:
        """A policy's hypothesis ids and metrics by key, for records written in bulk."""
        hypothesis_ids = self.session.exec(
            select(Hypothesis.key, Hypothesis.id).where(Hypothesis.policy_id == policy.id)
        )
        metric_rows = self.session.exec(select(Metric).where(Metric.policy_id == policy.id))
        return (
            {key: int(id_ or 0) for key, id_ in hypothesis_ids},
            {metric.key: metric for metric in metric_rows},
        )

    def pilot(
        self, source: SourceFile, path: yamlfile.Path, policy: Policy, raw: dict[str, Any]
    ) -> None:
        slug = raw["slug"]
        self.report.pilot_slugs.append(slug)
        data = {**_present(raw, PILOT_FIELDS), "hypothesis_keys": raw.get("hypotheses", [])}
        existing = self.find(Pilot, slug=slug)
        with_data = any(iteration.get("datasets") for iteration in raw.get("iterations", []))
        if existing is None and not with_data:  # all new: written in bulk
            hypothesis_ids, metric_by_key = self.keys_of(policy)
            self.new_records.pilot(
                partial(self.at, source),
                path,
                (records.id_of(policy), policy.slug),
                hypothesis_ids,
                metric_by_key,
                raw,
                {"slug": slug, **data},
            )
            return
        with self.at(source, path):
            self.upsert(
                "pilots",
                existing,
                lambda: pilots.create_pilot(
                    session=self.session,
                    actor=self.actor,
                    policy_slug=policy.slug,
                    data={"slug": slug, **data},
                ),
                lambda: pilots.update_pilot(
                    session=self.session,
                    actor=self.actor,
                    slug=slug,
                    data=data,
                    expected_version=None,
                ),
            )
        pilot = self.find(Pilot, slug=slug)
        for index, plan in enumerate(raw.get("analysis_plans", [])):
            self.plan(source, (*path, "analysis_plans", index), pilot, plan)
        stored = set(
            self.session.exec(select(Iteration.number).where(Iteration.pilot_id == pilot.id))
        )
        _, metric_by_key = self.keys_of(policy)
        for index, iteration in enumerate(raw.get("iterations", [])):
            iteration_path = (*path, "iterations", index)
            if iteration["number"] in stored or iteration.get("datasets"):
                self.iteration(source, iteration_path, pilot, iteration)
                continue
            self.new_records.iteration(
                partial(self.at, source),
                iteration_path,
                (records.id_of(pilot), pilot.slug),
                metric_by_key,
                iteration,
            )

    def plan(
        self, source: SourceFile, path: yamlfile.Path, pilot: Pilot, raw: dict[str, Any]
    ) -> None:
        version = raw["version"]
        existing: AnalysisPlan | None = self.find(
            AnalysisPlan, pilot_id=pilot.id, plan_version=version
        )
        if existing is not None and existing.lock_hash is not None:
            if existing.lock_hash != raw.get("lock_hash"):
                source.problem(
                    path,
                    f"plan version {version} is locked in the database (SHA-256 "
                    f"{existing.lock_hash}) and the file's version differs; amend the plan "
                    "as a new version instead",
                )
                raise PortfolioError([source.problems[-1]])
            self.report.unchanged["analysis plans"] += 1
            return
        data = _present(raw, PLAN_FIELDS)
        with self.at(source, path):
            self.upsert(
                "analysis plans",
                existing,
                lambda: plans.create_plan(
                    session=self.session, actor=self.actor, pilot_slug=pilot.slug, data=data
                ),
                lambda: plans.update_plan(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    version=version,
                    data=data,
                    expected_version=None,
                ),
            )
            if raw.get("lock_hash"):
                locked = plans.lock_plan(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    version=version,
                    expected_version=None,
                    locked_at=datetime.fromisoformat(raw["locked_at"]),
                )
                if locked.lock_hash != raw["lock_hash"]:
                    source.problem(
                        (*path, "lock_hash"),
                        f"does not match the plan's content (its SHA-256 is {locked.lock_hash}): "
                        "the plan was changed after it was locked",
                    )
                    raise PortfolioError([source.problems[-1]])

    def iteration(
        self, source: SourceFile, path: yamlfile.Path, pilot: Pilot, raw: dict[str, Any]
    ) -> None:
        number = raw["number"]
        data = _present(raw, ITERATION_FIELDS)
        with self.at(source, path):
            self.upsert(
                "iterations",
                self.find(Iteration, pilot_id=pilot.id, number=number),
                lambda: iterations.create_iteration(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    data={"number": number, **data},
                ),
                lambda: iterations.update_iteration(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    number=number,
                    data=data,
                    expected_version=None,
                ),
            )
        iteration = self.find(Iteration, pilot_id=pilot.id, number=number)
        for index, arm in enumerate(raw["arms"]):
            self.arm(source, (*path, "arms", index), pilot, iteration, arm)
        for index, dataset in enumerate(raw.get("datasets", [])):
            self.dataset(source, (*path, "datasets", index), pilot, iteration, dataset)
        if raw.get("decision"):
            with self.at(source, (*path, "decision")):
                existing = results.get_decision(session=self.session, iteration=iteration)
                self.upsert(
                    "decisions",
                    existing,
                    lambda: results.record_decision(
                        session=self.session,
                        actor=self.actor,
                        pilot_slug=pilot.slug,
                        number=number,
                        data=raw["decision"],
                    ),
                )

    def dataset(
        self,
        source: SourceFile,
        path: yamlfile.Path,
        pilot: Pilot,
        iteration: Iteration,
        raw: dict[str, Any],
    ) -> None:
        """Store a CSV once per iteration: the same bytes again are recognised by SHA-256."""
        if self.find(Dataset, iteration_id=iteration.id, sha256=raw["sha256"]) is not None:
            self.report.unchanged["datasets"] += 1
            return
        csv_path = dataset_path(source, raw)
        with self.at(source, path):
            datasets.store_dataset(
                session=self.session,
                actor=self.actor,
                pilot_slug=pilot.slug,
                number=iteration.number,
                filename=csv_path.name,
                content=csv_path.read_bytes(),
                column_mapping=raw["column_mapping"],
            )
        self.report.created["datasets"] += 1

    def arm(
        self,
        source: SourceFile,
        path: yamlfile.Path,
        pilot: Pilot,
        iteration: Iteration,
        raw: dict[str, Any],
    ) -> None:
        data = {
            "name": raw["name"],
            "is_control": raw["control"],
            "allocation": raw["allocation"],
            **_present(raw, ("description",)),
        }
        with self.at(source, path):
            self.upsert(
                "arms",
                self.find(Arm, iteration_id=iteration.id, name=raw["name"]),
                lambda: iterations.create_arm(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    number=iteration.number,
                    data=data,
                ),
                lambda: iterations.update_arm(
                    session=self.session,
                    actor=self.actor,
                    pilot_slug=pilot.slug,
                    number=iteration.number,
                    name=raw["name"],
                    data=_without(data, "name"),
                    expected_version=None,
                ),
            )
        arm = self.find(Arm, iteration_id=iteration.id, name=raw["name"])
        for index, result in enumerate(raw.get("results", [])):
            metric = self.find(Metric, policy_id=pilot.policy_id, key=result["metric"])
            with self.at(source, (*path, "results", index)):
                self.upsert(
                    "results",
                    self.find(ArmResult, arm_id=arm.id, metric_id=metric.id),
                    partial(
                        results.record_result,
                        session=self.session,
                        actor=self.actor,
                        pilot_slug=pilot.slug,
                        number=iteration.number,
                        arm_name=raw["name"],
                        data=result,
                    ),
                )


def _without(raw: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key not in names}


def _decision_payload(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "to_stage": entry["to"],
        **_present(entry, ("rationale", "skip_reason", "evidence", "decided_by", "decided_on")),
    }


def import_path(
    *, session: Session, path: Path | str, actor_label: str = "import", actor: Actor | None = None
) -> ImportReport:
    """Check every file under `path`, then write them all; PortfolioError if anything is wrong.

    Nothing is committed here: the caller commits on success or rolls back on PortfolioError,
    so an import is all-or-nothing.
    """
    sources = read_files(Path(path))
    report = ImportReport(files=[source.name for source in sources])
    writer = _Writer(session, actor or Actor.system(actor_label), report)
    for source in sources:
        for policy_path, policy in source.policies():
            writer.policy(source, policy_path, policy)
    session.flush()
    return report


__all__ = ["ImportReport", "PortfolioError", "Problem", "import_path"]
