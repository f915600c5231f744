"""Iterations, arms, per-arm results by metric kind, and the decision closing an iteration."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from tracker.models import ArmResult, Decision
from tracker.models.enums import AuditAction, DecisionOutcome, IterationStatus, MetricKind
from tracker.services import iterations, results
from tracker.services.errors import Conflict, NotFound, ValidationFailed

from .factories import (
    ANALYST,
    EDITOR,
    audit_trail,
    make_iteration,
    make_iteration_with_arms,
    make_metric,
    make_pilot,
    make_policy,
    make_trial,
)


def fields(raised: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in raised.value.errors]


@pytest.fixture
def trial(session: Session) -> None:
    """take-up (binary), days-to-claim (continuous) and visits (count); v1: control + new letter."""
    make_trial(session)
    make_metric(session, key="visits", kind=MetricKind.COUNT)


def record(session: Session, arm: str = "control", **data: object) -> ArmResult:
    return results.record_result(
        session=session, actor=ANALYST, pilot_slug="letter-trial", number=1, arm_name=arm, data=data
    )


def add_arm(session: Session, number: int = 1, **data: object) -> None:
    iterations.create_arm(
        session=session, actor=EDITOR, pilot_slug="letter-trial", number=number, data=data
    )


# --- iterations and arms -----------------------------------------------------------------------


def test_iterations_are_numbered_within_their_pilot(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    make_pilot(session, slug="other-trial")
    make_iteration(session, number=2, what_changed="Shorter letter", why="v1 was ignored")
    make_iteration(session, number=1)
    make_iteration(session, pilot_slug="other-trial", number=1)
    with pytest.raises(Conflict, match="already has an iteration 2"):
        make_iteration(session, number=2)
    listed = iterations.list_iterations(session=session, pilot_slug="letter-trial")
    assert [(i.number, i.status) for i in listed] == [
        (1, IterationStatus.PLANNED),
        (2, IterationStatus.PLANNED),
    ]
    assert listed[1].why == "v1 was ignored"


def test_iteration_fields_are_checked(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    with pytest.raises(ValidationFailed) as raised:
        make_iteration(session, number=0, status="paused")
    assert sorted(fields(raised)) == ["number", "status"]
    with pytest.raises(ValidationFailed, match="end_date"):
        make_iteration(session, start_date=date(2025, 5, 1), end_date=date(2025, 4, 1))
    make_iteration(session, start_date=date(2025, 5, 1))
    with pytest.raises(ValidationFailed, match="end_date"):
        iterations.update_iteration(
            session=session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            data={"end_date": date(2025, 4, 1)},
            expected_version=1,
        )
    with pytest.raises(NotFound):
        iterations.get_iteration(session=session, pilot_slug="letter-trial", number=7)


@pytest.mark.usefixtures("trial")
def test_arm_names_are_unique_within_an_iteration(session: Session) -> None:
    with pytest.raises(Conflict, match="new letter"):
        add_arm(session, name="new letter", allocation=0.0001)
    make_iteration_with_arms(session, number=2)  # the same names in another iteration are fine
    v1 = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    assert [a.name for a in iterations.list_arms(session=session, iteration=v1)] == [
        "control",
        "new letter",
    ]


def test_an_iteration_has_one_control_arm(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    make_iteration_with_arms(session, arms=(("control", True, 0.4),))
    with pytest.raises(Conflict, match="control"):
        add_arm(session, name="second control", is_control=True, allocation=0.3)
    add_arm(session, name="treatment", allocation=0.3)
    with pytest.raises(Conflict, match="control"):
        iterations.update_arm(
            session=session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            name="treatment",
            data={"is_control": True},
            expected_version=1,
        )
    arm = iterations.update_arm(
        session=session,
        actor=EDITOR,
        pilot_slug="letter-trial",
        number=1,
        name="control",
        data={"allocation": 0.5, "description": "As usual"},
        expected_version=1,
    )
    assert (arm.allocation, arm.is_control, arm.version) == (0.5, True, 2)


def test_allocations_cannot_add_up_to_more_than_one(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    make_iteration_with_arms(session, arms=(("a", True, 0.5), ("b", False, 0.3)))
    with pytest.raises(ValidationFailed) as raised:
        add_arm(session, name="c", allocation=0.21)
    assert fields(raised) == ["allocation"]
    add_arm(session, name="c", allocation=0.2)  # exactly 1 in all
    with pytest.raises(ValidationFailed) as raised:
        iterations.update_arm(
            session=session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            name="b",
            data={"allocation": 0.4},
            expected_version=1,
        )
    assert fields(raised) == ["allocation"]
    with pytest.raises(ValidationFailed) as raised:
        add_arm(session, name="d", allocation=0)
    assert fields(raised) == ["allocation"]


@pytest.mark.usefixtures("trial")
def test_renaming_an_arm_onto_another_is_a_conflict(session: Session) -> None:
    with pytest.raises(Conflict, match="control"):
        iterations.update_arm(
            session=session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            name="new letter",
            data={"name": "control"},
            expected_version=1,
        )


# --- results -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("trial")
def test_results_are_stored_by_metric_kind(session: Session) -> None:
    binary = record(session, metric="take-up", n=200, successes=50, note="by hand")
    continuous = record(session, metric="days-to-claim", n=200, mean=12.5, sd=3.0)
    count = record(session, metric="visits", n=200, total=37, exposure=400.0)
    assert (binary.n, binary.successes, binary.mean, binary.note) == (200, 50, None, "by hand")
    assert (continuous.mean, continuous.sd, continuous.successes) == (12.5, 3.0, None)
    assert (count.total, count.exposure, count.sd) == (37, 400.0, None)
    v1 = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    assert len(results.list_results(session=session, iteration=v1)) == 3


DAYS = "days-to-claim"
BAD_RESULTS: list[tuple[dict[str, Any], list[str]]] = [
    ({"metric": "take-up", "n": 10, "successes": 11}, ["successes"]),
    ({"metric": "take-up", "n": 10}, ["successes"]),
    ({"metric": "take-up", "n": 10, "successes": 3, "mean": 0.3}, ["mean"]),
    ({"metric": "take-up", "n": -1, "successes": 0}, ["n"]),
    ({"metric": DAYS, "n": 10, "mean": 4.0}, ["sd"]),
    ({"metric": DAYS, "n": 10, "mean": 4.0, "sd": -1.0}, ["sd"]),
    (
        {"metric": DAYS, "n": 10, "mean": 4.0, "sd": 1.0, "successes": 2},
        ["successes"],
    ),
    ({"metric": DAYS, "n": 0, "mean": 4.0, "sd": 1.0}, ["n"]),
    ({"metric": DAYS, "n": 5, "mean": float("nan"), "sd": 1.0}, ["mean"]),
    ({"metric": DAYS, "n": 5, "sum": 10.0}, ["mean", "sd", "sum"]),
    ({"metric": "visits", "n": 10, "total": 4}, ["exposure"]),
    ({"metric": "visits", "n": 10, "total": 4, "exposure": 0}, ["exposure"]),
    ({"metric": "visits", "n": 10, "total": 4, "exposure": 9, "sd": 1.0}, ["sd"]),
    ({"metric": "visits", "n": 10, "total": float("inf"), "exposure": 9}, ["total"]),
]


@pytest.mark.usefixtures("trial")
def test_bad_results_name_the_field(session: Session) -> None:
    for data, named in BAD_RESULTS:
        with pytest.raises(ValidationFailed) as raised:
            record(session, **data)
        assert sorted(fields(raised)) == named, data
    v1 = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    assert results.list_results(session=session, iteration=v1) == []


@pytest.mark.usefixtures("trial")
@pytest.mark.parametrize(
    "sample", [[3.0, 5.0, 4.0, 10.0, 8.0], [2.5, 2.5], [1e3 + 0.1, 1e3 - 0.2, 1e3, 1e3 + 0.4]]
)
def test_continuous_results_from_sums_match_numpy(session: Session, sample: list[float]) -> None:
    values = np.array(sample)
    stored = record(
        session,
        metric="days-to-claim",
        n=len(sample),
        sum=float(values.sum()),
        sum_of_squares=float((values**2).sum()),
    )
    assert stored.mean == pytest.approx(values.mean(), rel=1e-12)
    assert stored.sd == pytest.approx(values.std(ddof=1), rel=1e-6, abs=1e-9)


@pytest.mark.usefixtures("trial")
def test_impossible_sums_are_rejected(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        record(session, metric="days-to-claim", n=3, sum=30.0, sum_of_squares=100.0)
    assert fields(raised) == ["sum_of_squares"]
    with pytest.raises(ValidationFailed) as raised:
        record(session, metric="days-to-claim", n=1, sum=3.0, sum_of_squares=9.0)
    assert fields(raised) == ["n"]
    nan, inf = float("nan"), float("inf")
    for total, squares, named in [
        (nan, 1.0, "sum"),
        (inf, 1.0, "sum"),
        (1.0, inf, "sum_of_squares"),
    ]:
        with pytest.raises(ValidationFailed) as raised:
            record(session, metric="days-to-claim", n=3, sum=total, sum_of_squares=squares)
        assert fields(raised) == [named]
    with pytest.raises(ValidationFailed) as raised:
        record(session, metric="take-up", n=3, sum=1.0, sum_of_squares=1.0)
    assert sorted(fields(raised)) == ["successes", "sum", "sum_of_squares"]


@pytest.mark.usefixtures("trial")
def test_recording_again_replaces_the_result_and_audits_the_change(session: Session) -> None:
    first = record(session, metric="take-up", n=200, successes=50)
    second = record(session, metric="take-up", n=210, successes=50)
    assert second.id == first.id
    assert (second.n, second.version) == (210, 2)
    v1 = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    assert [r.n for r in results.list_results(session=session, iteration=v1)] == [210]
    trail = audit_trail(session, second)
    assert [e.action for e in trail] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert (trail[1].before, trail[1].after) == ({"n": 200}, {"n": 210})
    with pytest.raises(Conflict):
        results.record_result(
            session=session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            number=1,
            arm_name="control",
            data={"metric": "take-up", "n": 1, "successes": 1},
            expected_version=1,
        )


@pytest.mark.usefixtures("trial")
def test_results_name_known_metrics_and_arms(session: Session) -> None:
    with pytest.raises(NotFound) as raised:
        record(session, metric="nothing", n=1, successes=1)
    assert raised.value.key == "nothing"
    with pytest.raises(NotFound):
        record(session, arm="placebo", metric="take-up", n=1, successes=1)
    with pytest.raises(NotFound):
        results.record_result(
            session=session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            number=9,
            arm_name="control",
            data={"metric": "take-up", "n": 1, "successes": 1},
        )


# --- decisions ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("trial")
def test_record_decision_creates_then_revises(session: Session) -> None:
    def decide(
        outcome: DecisionOutcome | str, rationale: str, version: int | None = None
    ) -> Decision:
        return results.record_decision(
            session=session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            data={
                "outcome": outcome,
                "rationale": rationale,
                "decided_by": "Programme board",
                "decided_on": date(2025, 6, 1),
            },
            expected_version=version,
        )

    v1 = iterations.get_iteration(session=session, pilot_slug="letter-trial", number=1)
    assert results.get_decision(session=session, iteration=v1) is None
    first = decide(DecisionOutcome.ADAPT, "Take-up rose but claims were slow")
    revised = decide(DecisionOutcome.SCALE, "Slow claims were a data error", version=1)
    assert revised.id == first.id
    assert (revised.outcome, revised.version) == (DecisionOutcome.SCALE, 2)
    stored = results.get_decision(session=session, iteration=v1)
    assert stored is not None and stored.rationale == "Slow claims were a data error"
    event = audit_trail(session, revised)[-1]
    assert event.before == {"outcome": "adapt", "rationale": "Take-up rose but claims were slow"}
    with pytest.raises(Conflict):
        decide(DecisionOutcome.STOP, "Stale", version=1)
    with pytest.raises(ValidationFailed) as raised:
        decide("pause", "")
    assert sorted(fields(raised)) == ["outcome", "rationale"]
