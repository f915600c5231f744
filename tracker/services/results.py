"""Per-arm results (sufficient statistics by metric kind) and the decision closing an iteration."""

from __future__ import annotations

import math
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import (
    Arm,
    ArmResult,
    ArmResultCreate,
    Decision,
    DecisionCreate,
    Iteration,
    Metric,
)
from tracker.models.enums import MetricKind, ResultSource
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.errors import FieldError, ValidationFailed
from tracker.services.iterations import get_arm, get_iteration
from tracker.services.pilots import get_pilot

STAT_FIELDS = ("successes", "mean", "sd", "total", "exposure", "sum", "sum_of_squares")
REQUIRED: dict[MetricKind, tuple[str, ...]] = {
    MetricKind.BINARY: ("successes",),
    MetricKind.CONTINUOUS: ("mean", "sd"),
    MetricKind.COUNT: ("total", "exposure"),
}
CONTINUOUS_FROM_SUMS = ("sum", "sum_of_squares")


def _mean_sd_from_sums(n: int, total: float, sum_of_squares: float) -> tuple[float, float]:
    """Mean and sample sd from Σx and Σx², as the centred form Σx² − (Σx)²/n over n − 1.

    Rounding can make a zero variance come out a hair below zero; anything clearly negative
    means the sums cannot come from real data. A NaN or infinite sum would otherwise pass
    every comparison and be stored as the mean or sd.
    """
    for name, value in (("sum", total), ("sum_of_squares", sum_of_squares)):
        if not math.isfinite(value):
            raise ValidationFailed.single(name, "must be a finite number")
    if n < 2:
        raise ValidationFailed.single("n", "at least 2 units are needed to derive an sd from sums")
    mean = total / n
    centred = sum_of_squares - total * total / n
    if centred < -1e-9 * max(1.0, abs(sum_of_squares)):
        raise ValidationFailed.single(
            "sum_of_squares", "is smaller than (sum)²/n, which no real data can give"
        )
    return mean, math.sqrt(max(centred, 0.0) / (n - 1))


def sufficient_statistics(metric: Metric, data: ArmResultCreate) -> dict[str, Any]:
    """The stored statistics for the metric's kind; fields of another kind are errors."""
    given = {name for name in STAT_FIELDS if getattr(data, name) is not None}
    values: dict[str, Any] = {"n": data.n, "note": data.note}
    if metric.kind is MetricKind.CONTINUOUS and given == set(CONTINUOUS_FROM_SUMS):
        mean, sd = _mean_sd_from_sums(data.n, data.sum or 0.0, data.sum_of_squares or 0.0)
        return {**values, "mean": mean, "sd": sd}
    required = REQUIRED[metric.kind]
    problems = [
        FieldError(name, f"required for a {metric.kind.value} metric")
        for name in required
        if name not in given
    ]
    problems += [
        FieldError(name, f"does not apply to a {metric.kind.value} metric")
        for name in sorted(given - set(required))
    ]
    if metric.kind is MetricKind.BINARY and data.successes is not None and data.successes > data.n:
        problems.append(FieldError("successes", f"cannot exceed n ({data.n})"))
    if metric.kind is MetricKind.CONTINUOUS and data.n < 1:
        problems.append(FieldError("n", "a mean needs at least one unit"))
    for name in ("mean", "sd", "total", "exposure"):
        value = getattr(data, name)
        if value is not None and not math.isfinite(value):
            problems.append(FieldError(name, "must be a finite number"))
    if problems:
        raise ValidationFailed(problems)
    return {**values, **{name: getattr(data, name) for name in required}}


def list_results(*, session: Session, iteration: Iteration) -> list[ArmResult]:
    """Every arm's results in an iteration."""
    return list(
        session.exec(
            select(ArmResult)
            .join(Arm, col(Arm.id) == col(ArmResult.arm_id))
            .where(Arm.iteration_id == iteration.id)
            .order_by(col(Arm.id), col(ArmResult.metric_id))
        )
    )


def record_result(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    arm_name: str,
    data: ArmResultCreate | dict[str, Any],
    expected_version: int | None = None,
    source: ResultSource = ResultSource.SUMMARY,
    dataset_id: int | None = None,
) -> ArmResult:
    """Enter or replace one arm's result on one metric (a replacement is audited before/after)."""
    result_data = records.validated(ArmResultCreate, data)
    pilot = get_pilot(session=session, slug=pilot_slug)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    arm = get_arm(session=session, iteration=iteration, name=arm_name)
    metric = keyed.get_keyed(session, Metric, "policy_id", pilot.policy_id, result_data.metric)
    values = {
        "mean": None,
        "sd": None,
        "successes": None,
        "total": None,
        "exposure": None,
        **sufficient_statistics(metric, result_data),
        "source": source,
        "dataset_id": dataset_id,
    }
    existing = session.exec(
        select(ArmResult).where(ArmResult.arm_id == arm.id, ArmResult.metric_id == metric.id)
    ).first()
    label = f"{pilot_slug} v{number} {arm_name}: {metric.key}"
    if existing is None:
        return records.insert(
            session,
            actor=actor,
            record=ArmResult(arm_id=records.id_of(arm), metric_id=records.id_of(metric), **values),
            summary=f"{label} recorded",
        )
    return records.update(
        session,
        actor=actor,
        record=existing,
        changes=values,
        expected_version=expected_version,
        summary=f"{label} replaced",
    )


def get_decision(*, session: Session, iteration: Iteration) -> Decision | None:
    return session.exec(select(Decision).where(Decision.iteration_id == iteration.id)).first()


def record_decision(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    data: DecisionCreate | dict[str, Any],
    expected_version: int | None = None,
) -> Decision:
    """Record (or revise) what was decided at the end of an iteration, and why."""
    decision = records.validated(DecisionCreate, data)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    existing = get_decision(session=session, iteration=iteration)
    label = f"{pilot_slug} v{number}: decided to {decision.outcome.value}"
    if existing is None:
        return records.insert(
            session,
            actor=actor,
            record=Decision(
                **decision.model_dump(),
                iteration_id=records.id_of(iteration),
                recorded_by_id=actor.user_id,
            ),
            summary=label,
        )
    return records.update(
        session,
        actor=actor,
        record=existing,
        changes=decision.model_dump(),
        expected_version=expected_version,
        summary=label,
    )
