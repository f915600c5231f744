"""Iterations of a pilot (v1, v2, …) and their arms: what changed, why, and who got what."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tracker.models import Arm, ArmCreate, ArmUpdate, Iteration, IterationCreate, IterationUpdate
from tracker.services import records
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, ValidationFailed
from tracker.services.pilots import get_pilot

ALLOCATION_TOLERANCE = 0.001


def get_iteration(*, session: Session, pilot_slug: str, number: int) -> Iteration:
    pilot = get_pilot(session=session, slug=pilot_slug)
    iteration: Iteration = records.one_or_not_found(
        session,
        select(Iteration).where(Iteration.pilot_id == pilot.id, Iteration.number == number),
        "iteration",
        f"{pilot_slug} v{number}",
    )
    return iteration


def list_iterations(*, session: Session, pilot_slug: str) -> list[Iteration]:
    pilot = get_pilot(session=session, slug=pilot_slug)
    return list(
        session.exec(
            select(Iteration).where(Iteration.pilot_id == pilot.id).order_by(col(Iteration.number))
        )
    )


def create_iteration(
    *, session: Session, actor: Actor, pilot_slug: str, data: IterationCreate | dict[str, Any]
) -> Iteration:
    """Start iteration vN of a pilot, saying what changed from the last one and why."""
    iteration = records.validated(IterationCreate, data)
    pilot = get_pilot(session=session, slug=pilot_slug)
    records.unique_or_conflict(
        session,
        select(Iteration).where(
            Iteration.pilot_id == pilot.id, Iteration.number == iteration.number
        ),
        f"pilot {pilot_slug} already has an iteration {iteration.number}",
    )
    return records.insert(
        session,
        actor=actor,
        record=Iteration(**iteration.model_dump(), pilot_id=records.id_of(pilot)),
        summary=f"{pilot_slug}: started iteration v{iteration.number}",
    )


def update_iteration(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    data: IterationUpdate | dict[str, Any],
    expected_version: int | None,
) -> Iteration:
    changes = records.validated(IterationUpdate, data)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    values = records.changes_of(changes)
    # Validate the edited iteration as a whole, so cross-field rules (dates in order) still hold.
    records.validated(IterationCreate, {**iteration.model_dump(), **values})
    return records.update(
        session,
        actor=actor,
        record=iteration,
        changes=values,
        expected_version=expected_version,
        summary=f"{pilot_slug}: edited iteration v{number}",
    )


def list_arms(*, session: Session, iteration: Iteration) -> list[Arm]:
    return list(
        session.exec(select(Arm).where(Arm.iteration_id == iteration.id).order_by(col(Arm.id)))
    )


def get_arm(*, session: Session, iteration: Iteration, name: str) -> Arm:
    arm: Arm = records.one_or_not_found(
        session,
        select(Arm).where(Arm.iteration_id == iteration.id, Arm.name == name),
        "arm",
        name,
    )
    return arm


def _check_arms(arms: list[Arm], changed: Arm) -> None:
    """At most one control arm, and planned shares that do not add up to more than everyone."""
    others = [arm for arm in arms if arm.id != changed.id]
    if changed.is_control and any(arm.is_control for arm in others):
        raise Conflict("this iteration already has a control arm; an iteration has only one")
    total = sum(arm.allocation for arm in others) + changed.allocation
    if total > 1 + ALLOCATION_TOLERANCE:
        raise ValidationFailed.single(
            "allocation",
            f"the arms' planned shares would add up to {total:.3f}; they cannot exceed 1",
        )


def create_arm(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    data: ArmCreate | dict[str, Any],
) -> Arm:
    """Add an arm to an iteration, with its planned share of units."""
    arm_data = records.validated(ArmCreate, data)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    records.unique_or_conflict(
        session,
        select(Arm).where(Arm.iteration_id == iteration.id, Arm.name == arm_data.name),
        f"iteration v{number} already has an arm called {arm_data.name!r}",
    )
    arm = Arm(**arm_data.model_dump(), iteration_id=records.id_of(iteration))
    _check_arms(list_arms(session=session, iteration=iteration), arm)
    return records.insert(
        session, actor=actor, record=arm, summary=f"{pilot_slug} v{number}: added arm {arm.name}"
    )


def update_arm(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    name: str,
    data: ArmUpdate | dict[str, Any],
    expected_version: int | None,
) -> Arm:
    changes = records.validated(ArmUpdate, data)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    arm = get_arm(session=session, iteration=iteration, name=name)
    values = records.changes_of(changes)
    if values.get("name", name) != name:
        records.unique_or_conflict(
            session,
            select(Arm).where(Arm.iteration_id == iteration.id, Arm.name == values["name"]),
            f"iteration v{number} already has an arm called {values['name']!r}",
        )
    proposed = Arm(**{**arm.model_dump(), **values})
    _check_arms(list_arms(session=session, iteration=iteration), proposed)
    return records.update(
        session,
        actor=actor,
        record=arm,
        changes=values,
        expected_version=expected_version,
        summary=f"{pilot_slug} v{number}: edited arm {name}",
    )
