"""Analysis plans: versioned, lockable pre-registration of how a pilot will be analysed.

Locking stores the SHA-256 of the plan's canonical JSON, so anyone can later check that the
analysis ran under the plan that was registered before the data arrived.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from tracker.models import (
    AnalysisPlan,
    AnalysisPlanCreate,
    AnalysisPlanUpdate,
    Metric,
    Pilot,
    PlanMetric,
    PlanMetricSpec,
)
from tracker.models.base import utcnow
from tracker.models.enums import AuditAction, MetricRole
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, FieldError, NotAllowed, ValidationFailed
from tracker.services.pilots import get_pilot

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
)


def get_plan(*, session: Session, pilot_slug: str, version: int) -> AnalysisPlan:
    pilot = get_pilot(session=session, slug=pilot_slug)
    plan: AnalysisPlan = records.one_or_not_found(
        session,
        select(AnalysisPlan).where(
            AnalysisPlan.pilot_id == pilot.id, AnalysisPlan.plan_version == version
        ),
        "analysis plan",
        f"{pilot_slug} v{version}",
    )
    return plan


def list_plans(*, session: Session, pilot_slug: str) -> list[AnalysisPlan]:
    pilot = get_pilot(session=session, slug=pilot_slug)
    return list(
        session.exec(
            select(AnalysisPlan)
            .where(AnalysisPlan.pilot_id == pilot.id)
            .order_by(col(AnalysisPlan.plan_version))
        )
    )


def plan_metric_specs(*, session: Session, plan: AnalysisPlan) -> list[PlanMetricSpec]:
    """The plan's metrics by key, role and test, in the order they were named."""
    return metric_specs_by_plan(session=session, plan_ids=[plan.id or 0]).get(plan.id or 0, [])


def metric_specs_by_plan(
    *, session: Session, plan_ids: list[int]
) -> dict[int, list[PlanMetricSpec]]:
    """Each plan's metrics as `plan_metric_specs` gives them, for many plans in one query."""
    rows = session.exec(
        select(PlanMetric, Metric)
        .join(Metric, col(Metric.id) == col(PlanMetric.metric_id))
        .where(col(PlanMetric.plan_id).in_(plan_ids))
        .order_by(col(Metric.id))
    ).all()
    specs: dict[int, list[PlanMetricSpec]] = defaultdict(list)
    for link, metric in rows:
        specs[link.plan_id].append(
            PlanMetricSpec(metric=metric.key, role=link.role, test=link.test)
        )
    return specs


def canonical_plan(pilot_slug: str, plan: AnalysisPlan, metrics: list[PlanMetricSpec]) -> str:
    """The plan as canonical JSON: sorted keys, no whitespace, metrics sorted by key."""
    body: dict[str, Any] = {name: getattr(plan, name) for name in PLAN_FIELDS}
    body["sidedness"] = plan.sidedness.value
    body["multiple_testing"] = plan.multiple_testing.value
    body["pilot"] = pilot_slug
    body["plan_version"] = plan.plan_version
    body["metrics"] = sorted(
        ({"metric": m.metric, "role": m.role.value, "test": m.test} for m in metrics),
        key=lambda item: item["metric"],
    )
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plan_hash(*, session: Session, pilot_slug: str, plan: AnalysisPlan) -> str:
    """SHA-256 (hex) of the canonical JSON of a plan version."""
    canonical = canonical_plan(pilot_slug, plan, plan_metric_specs(session=session, plan=plan))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _spec_set(specs: list[PlanMetricSpec]) -> list[tuple[str, MetricRole, str]]:
    """The specs as a comparable set: they are read back in metric order, not as written."""
    return sorted((spec.metric, spec.role, spec.test) for spec in specs)


def _set_metrics(
    session: Session, actor: Actor, pilot: Pilot, plan: AnalysisPlan, specs: list[PlanMetricSpec]
) -> bool:
    """Replace the metrics a plan names, auditing the change; True if they changed."""
    keys = [spec.metric for spec in specs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValidationFailed.single("metrics", f"named more than once: {', '.join(duplicates)}")
    before = plan_metric_specs(session=session, plan=plan)
    if _spec_set(before) == _spec_set(specs):
        return False
    ids = keyed.ids_for_keys(session, Metric, "policy_id", pilot.policy_id, keys, "metrics")
    for link in session.exec(select(PlanMetric).where(PlanMetric.plan_id == plan.id)):
        session.delete(link)
    session.flush()
    session.add_all(
        PlanMetric(plan_id=records.id_of(plan), metric_id=metric_id, role=spec.role, test=spec.test)
        for metric_id, spec in zip(ids, specs, strict=True)
    )
    session.flush()
    records.audit(
        session,
        actor=actor,
        action=AuditAction.UPDATE,
        record=plan,
        before={"metrics": [spec.model_dump(mode="json") for spec in before]},
        after={"metrics": [spec.model_dump(mode="json") for spec in specs]},
        summary=f"{pilot.slug}: metrics of plan v{plan.plan_version}",
    )
    return True


def create_plan(
    *, session: Session, actor: Actor, pilot_slug: str, data: AnalysisPlanCreate | dict[str, Any]
) -> AnalysisPlan:
    """Write the next plan version; after v1 it is an amendment and must say why."""
    plan_data = records.validated(AnalysisPlanCreate, data)
    pilot = get_pilot(session=session, slug=pilot_slug)
    latest = session.exec(
        select(AnalysisPlan)
        .where(AnalysisPlan.pilot_id == pilot.id)
        .order_by(col(AnalysisPlan.plan_version).desc())
    ).first()
    if latest is not None and latest.locked_at is None:
        raise Conflict(
            f"plan version {latest.plan_version} is not locked yet: edit it instead of amending"
        )
    if latest is not None and not (plan_data.amendment_reason or "").strip():
        raise ValidationFailed.single(
            "amendment_reason", "an amended plan (version 2 or later) must say why it changed"
        )
    count = session.exec(
        select(func.count()).select_from(AnalysisPlan).where(AnalysisPlan.pilot_id == pilot.id)
    ).one()
    # Check the keys before inserting, so a rejected plan leaves nothing behind in the session
    # (a stray unlocked version would block the corrected one as "not locked yet").
    keyed.ids_for_keys(
        session,
        Metric,
        "policy_id",
        pilot.policy_id,
        [m.metric for m in plan_data.metrics],
        "metrics",
    )
    plan = records.insert(
        session,
        actor=actor,
        record=AnalysisPlan(
            **plan_data.model_dump(exclude={"metrics"}),
            pilot_id=records.id_of(pilot),
            plan_version=count + 1,
        ),
        summary=f"{pilot.slug}: wrote analysis plan v{count + 1}",
    )
    _set_metrics(session, actor, pilot, plan, plan_data.metrics)
    return plan


def update_plan(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    version: int,
    data: AnalysisPlanUpdate | dict[str, Any],
    expected_version: int | None,
) -> AnalysisPlan:
    """Edit an unlocked plan version; a locked one is frozen (amend it as a new version)."""
    changes = records.validated(AnalysisPlanUpdate, data)
    pilot = get_pilot(session=session, slug=pilot_slug)
    plan = get_plan(session=session, pilot_slug=pilot_slug, version=version)
    if plan.locked_at is not None:
        raise NotAllowed(
            f"plan version {version} was locked on {plan.locked_at:%Y-%m-%d}; "
            "write an amendment (a new version) instead"
        )
    if (
        plan.plan_version > 1
        and "amendment_reason" in changes.model_fields_set
        and not (changes.amendment_reason or "").strip()
    ):
        # create_plan insists on a reason for an amendment; an edit must not quietly drop it.
        raise ValidationFailed.single(
            "amendment_reason", "an amended plan (version 2 or later) must say why it changed"
        )
    plan_version = plan.version
    records.update(
        session,
        actor=actor,
        record=plan,
        changes=records.changes_of(changes, exclude=frozenset({"metrics"})),
        expected_version=expected_version,
        summary=f"{pilot_slug}: edited analysis plan v{version}",
    )
    relinked = changes.metrics is not None and _set_metrics(
        session, actor, pilot, plan, changes.metrics
    )
    if relinked and plan.version == plan_version:
        # Else locking at the version the analyst reviewed could freeze metrics they never saw.
        records.bump_version(session, plan)
    return plan


def lock_plan(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    version: int,
    expected_version: int | None,
    locked_at: datetime | None = None,
) -> AnalysisPlan:
    """Freeze a plan version under the SHA-256 of its canonical form.

    `locked_at` lets the importer restore the original lock time of a plan locked elsewhere.
    """
    plan = get_plan(session=session, pilot_slug=pilot_slug, version=version)
    if plan.locked_at is not None:
        raise Conflict(f"plan version {version} is already locked")
    specs = plan_metric_specs(session=session, plan=plan)
    if not any(spec.role is MetricRole.PRIMARY for spec in specs):
        raise ValidationFailed([FieldError("metrics", "name a primary metric before locking")])
    return records.update(
        session,
        actor=actor,
        record=plan,
        changes={
            "locked_at": locked_at or utcnow(),
            "locked_by_id": actor.user_id,
            "lock_hash": plan_hash(session=session, pilot_slug=pilot_slug, plan=plan),
        },
        expected_version=expected_version,
        summary=f"{pilot_slug}: locked analysis plan v{version}",
    )
