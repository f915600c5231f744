"""Pilots and their versioned, lockable analysis plans."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlmodel import Session

from tracker.models import AnalysisPlan, Pilot
from tracker.models.enums import AuditAction, MetricRole, MultipleTesting, PilotStatus, Sidedness
from tracker.services import pilots, plans
from tracker.services.errors import Conflict, NotAllowed, NotFound, ValidationFailed

from .factories import (
    ANALYST,
    EDITOR,
    audit_count,
    audit_trail,
    make_hypothesis,
    make_metric,
    make_pilot,
    make_plan,
    make_policy,
)

PRIMARY, SECONDARY, GUARDRAIL = MetricRole.PRIMARY, MetricRole.SECONDARY, MetricRole.GUARDRAIL


def fields(raised: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in raised.value.errors]


@pytest.fixture
def pilot(session: Session) -> Pilot:
    """A pilot of a policy with metrics a, b, c and hypotheses h1, h2."""
    make_policy(session)
    for key in ("a", "b", "c"):
        make_metric(session, key=key)
    make_hypothesis(session, key="h1")
    make_hypothesis(session, key="h2")
    return make_pilot(session)


def update_pilot(session: Session, version: int | None, **data: object) -> Pilot:
    return pilots.update_pilot(
        session=session, actor=EDITOR, slug="letter-trial", data=data, expected_version=version
    )


def update_plan(
    session: Session, plan_version: int, version: int | None, **data: object
) -> AnalysisPlan:
    return plans.update_plan(
        session=session,
        actor=ANALYST,
        pilot_slug="letter-trial",
        version=plan_version,
        data=data,
        expected_version=version,
    )


def lock(session: Session, plan_version: int, version: int | None) -> AnalysisPlan:
    return plans.lock_plan(
        session=session,
        actor=ANALYST,
        pilot_slug="letter-trial",
        version=plan_version,
        expected_version=version,
    )


def hypothesis_keys(session: Session) -> list[str]:
    pilot = pilots.get_pilot(session=session, slug="letter-trial")
    return pilots.hypothesis_keys_of(session=session, pilot=pilot)


def sha256_of(plan: AnalysisPlan, session: Session) -> str:
    specs = plans.plan_metric_specs(session=session, plan=plan)
    canonical = plans.canonical_plan("letter-trial", plan, specs)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- pilots ------------------------------------------------------------------------------------


def test_a_pilot_links_the_hypotheses_it_tests(session: Session) -> None:
    make_policy(session)
    make_hypothesis(session, key="h1")
    make_hypothesis(session, key="h2")
    pilot = make_pilot(session, hypothesis_keys=["h2"], planned_sample_size=400, place="Leeds")
    assert hypothesis_keys(session) == ["h2"]
    stored = pilots.get_pilot(session=session, slug="letter-trial")
    assert (stored.id, stored.planned_sample_size, stored.place) == (pilot.id, 400, "Leeds")
    assert stored.status is PilotStatus.PLANNED


@pytest.mark.usefixtures("pilot")
def test_an_unknown_hypothesis_names_hypothesis_keys(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_pilot(session, slug="second", hypothesis_keys=["h1", "h9"])
    assert fields(raised) == ["hypothesis_keys"]
    assert "h9" in str(raised.value)
    with pytest.raises(ValidationFailed) as raised:
        make_pilot(session, slug="third", hypothesis_keys=["h1", "h1"])
    assert fields(raised) == ["hypothesis_keys"]


def test_a_hypothesis_of_another_policy_is_unknown(session: Session) -> None:
    make_policy(session)
    make_policy(session, slug="other")
    make_hypothesis(session, policy_slug="other", key="theirs")
    with pytest.raises(ValidationFailed) as raised:
        make_pilot(session, hypothesis_keys=["theirs"])
    assert fields(raised) == ["hypothesis_keys"]


@pytest.mark.usefixtures("pilot")
def test_pilot_slugs_are_unique_across_the_portfolio(session: Session) -> None:
    make_policy(session, slug="other")
    with pytest.raises(Conflict, match="letter-trial"):
        make_pilot(session, policy_slug="other")
    assert [p.slug for p in pilots.list_pilots(session=session)] == ["letter-trial"]
    assert pilots.list_pilots(session=session, policy_slug="other") == []


def test_pilot_fields_are_checked_by_name(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        make_pilot(session, slug="Letter Trial", evidence_strength=6, planned_sample_size=0)
    assert sorted(fields(raised)) == ["evidence_strength", "planned_sample_size", "slug"]


def test_planned_dates_must_be_in_order(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed, match="planned_end"):
        make_pilot(session, planned_start=date(2025, 3, 1), planned_end=date(2025, 2, 1))
    make_pilot(session, planned_start=date(2025, 3, 1))
    with pytest.raises(ValidationFailed, match="planned_end"):
        update_pilot(session, 1, planned_end=date(2025, 2, 1))
    assert pilots.get_pilot(session=session, slug="letter-trial").planned_end is None


@pytest.mark.usefixtures("pilot")
def test_update_pilot_relinks_hypotheses_and_bumps_the_version(session: Session) -> None:
    pilot = update_pilot(session, 1, status="running", hypothesis_keys=["h1", "h2"])
    assert (pilot.status, pilot.version) == (PilotStatus.RUNNING, 2)
    assert hypothesis_keys(session) == ["h1", "h2"]

    pilot = update_pilot(session, 2, hypothesis_keys=["h2"])
    assert pilot.version == 3
    assert hypothesis_keys(session) == ["h2"]
    event = audit_trail(session, pilot)[-1]
    assert (event.before, event.after) == (
        {"hypothesis_keys": ["h1", "h2"]},
        {"hypothesis_keys": ["h2"]},
    )
    with pytest.raises(Conflict):
        update_pilot(session, 2, hypothesis_keys=["h1"])

    count = audit_count(session)
    assert update_pilot(session, 3, hypothesis_keys=["h2"], status="running").version == 3
    assert audit_count(session) == count


def test_get_pilot_of_an_unknown_slug_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        pilots.get_pilot(session=session, slug="nothing")
    with pytest.raises(NotFound):
        make_pilot(session, policy_slug="nowhere")


# --- analysis plans ----------------------------------------------------------------------------


@pytest.mark.usefixtures("pilot")
def test_a_plan_is_written_updated_and_locked_under_its_sha256(session: Session) -> None:
    plan = make_plan(session, metrics=[("b", SECONDARY), ("a", PRIMARY)], mde=0.02)
    assert (plan.plan_version, plan.locked_at, plan.lock_hash) == (1, None, None)

    plan = update_plan(session, 1, 1, alpha=0.01, metrics=[{"metric": "a", "role": "primary"}])
    assert (plan.alpha, plan.version) == (0.01, 2)
    assert [s.metric for s in plans.plan_metric_specs(session=session, plan=plan)] == ["a"]

    locked = lock(session, 1, 2)
    assert locked.locked_at is not None
    assert locked.lock_hash == sha256_of(locked, session)
    expected = {
        "alpha": 0.01,
        "amendment_reason": None,
        "covariates": [],
        "estimand": "difference in take-up",
        "mde": 0.02,
        "metrics": [{"metric": "a", "role": "primary", "test": ""}],
        "multiple_testing": "holm",
        "pilot": "letter-trial",
        "plan_version": 1,
        "sequential": False,
        "sidedness": "two_sided",
        "stopping_rule": "",
    }
    by_hand = json.dumps(expected, sort_keys=True, separators=(",", ":"))
    assert locked.lock_hash == hashlib.sha256(by_hand.encode()).hexdigest()
    after = audit_trail(session, locked)[-1].after
    assert after is not None and after["lock_hash"] == locked.lock_hash


@pytest.mark.usefixtures("pilot")
def test_a_locked_plan_is_frozen(session: Session) -> None:
    make_plan(session, metrics=[("a", PRIMARY)])
    lock(session, 1, 1)
    with pytest.raises(NotAllowed, match="amendment"):
        update_plan(session, 1, 2, alpha=0.1)
    with pytest.raises(Conflict, match="already locked"):
        lock(session, 1, 2)
    assert plans.get_plan(session=session, pilot_slug="letter-trial", version=1).alpha == 0.05


@pytest.mark.usefixtures("pilot")
def test_the_lock_hash_is_stable_across_re_reads(session: Session) -> None:
    make_plan(session, metrics=[("a", PRIMARY), ("c", GUARDRAIL)], covariates=["age"], mde=0.1)
    lock_hash = lock(session, 1, 1).lock_hash
    session.commit()
    session.expunge_all()
    plan = plans.get_plan(session=session, pilot_slug="letter-trial", version=1)
    assert plan.lock_hash == lock_hash
    assert plans.plan_hash(session=session, pilot_slug="letter-trial", plan=plan) == lock_hash


@pytest.mark.usefixtures("pilot")
def test_the_hash_follows_the_plan_content_not_the_metric_order(session: Session) -> None:
    make_policy(session, slug="twin")
    make_metric(session, policy_slug="twin", key="c")
    make_metric(session, policy_slug="twin", key="a")
    make_pilot(session, policy_slug="twin", slug="twin-trial")
    ours = make_plan(session, metrics=[("a", PRIMARY), ("c", SECONDARY)])
    theirs = make_plan(session, pilot_slug="twin-trial", metrics=[("c", SECONDARY), ("a", PRIMARY)])
    canonical = {
        plan.id: json.loads(
            plans.canonical_plan(slug, plan, plans.plan_metric_specs(session=session, plan=plan))
        )
        for slug, plan in (("letter-trial", ours), ("twin-trial", theirs))
    }
    assert {**canonical[ours.id], "pilot": "x"} == {**canonical[theirs.id], "pilot": "x"}

    first = sha256_of(ours, session)
    update_plan(session, 1, 1, sidedness=Sidedness.GREATER)
    assert sha256_of(ours, session) != first
    update_plan(session, 1, 2, sidedness=Sidedness.TWO_SIDED)
    assert sha256_of(ours, session) == first
    update_plan(session, 1, 3, metrics=[{"metric": "a", "role": "primary", "test": "z-test"}])
    assert sha256_of(ours, session) != first


@pytest.mark.usefixtures("pilot")
def test_amendments_need_a_reason_and_a_locked_predecessor(session: Session) -> None:
    make_plan(session, metrics=[("a", PRIMARY)])
    with pytest.raises(Conflict, match="not locked"):
        make_plan(session, amendment_reason="Too early")
    lock(session, 1, 1)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as raised:
            make_plan(session, metrics=[("a", PRIMARY)], amendment_reason=reason)
        assert fields(raised) == ["amendment_reason"]

    v2 = make_plan(session, metrics=[("b", PRIMARY)], amendment_reason="Take-up data was late")
    assert (v2.plan_version, v2.locked_at) == (2, None)
    with pytest.raises(Conflict, match="version 2 is not locked"):
        make_plan(session, metrics=[("a", PRIMARY)], amendment_reason="Again")
    listed = plans.list_plans(session=session, pilot_slug="letter-trial")
    assert [(p.plan_version, p.locked_at is not None) for p in listed] == [(1, True), (2, False)]


@pytest.mark.usefixtures("pilot")
def test_an_amendment_cannot_lose_its_reason_in_an_edit(session: Session) -> None:
    make_plan(session, metrics=[("a", PRIMARY)])
    lock(session, 1, 1)
    make_plan(session, metrics=[("a", PRIMARY)], amendment_reason="New metric definitions")
    with pytest.raises(ValidationFailed) as raised:
        update_plan(session, 2, 1, amendment_reason=" ")
    assert fields(raised) == ["amendment_reason"]
    assert update_plan(session, 2, 1, amendment_reason="Clearer").amendment_reason == "Clearer"


@pytest.mark.usefixtures("pilot")
def test_locking_needs_a_primary_metric(session: Session) -> None:
    make_plan(session, metrics=[("a", SECONDARY), ("b", GUARDRAIL)])
    with pytest.raises(ValidationFailed) as raised:
        lock(session, 1, 1)
    assert fields(raised) == ["metrics"]
    assert plans.get_plan(session=session, pilot_slug="letter-trial", version=1).locked_at is None


@pytest.mark.usefixtures("pilot")
def test_plan_metrics_are_checked_by_key(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_plan(session, metrics=[("a", PRIMARY), ("zzz", SECONDARY)])
    assert fields(raised) == ["metrics"]
    with pytest.raises(ValidationFailed) as raised:
        make_plan(session, metrics=[("a", PRIMARY), ("a", SECONDARY)])
    assert fields(raised) == ["metrics"]
    with pytest.raises(ValidationFailed) as raised:
        make_plan(session, alpha=1.5, multiple_testing="bonferroni")
    assert sorted(fields(raised)) == ["alpha", "multiple_testing"]


@pytest.mark.usefixtures("pilot")
def test_changing_only_the_metrics_of_a_plan_bumps_its_version(session: Session) -> None:
    make_plan(session, metrics=[("a", SECONDARY)])
    plan = update_plan(session, 1, 1, metrics=[{"metric": "a", "role": "primary"}])
    assert plan.version == 2
    event = audit_trail(session, plan)[-1]
    assert event.before == {"metrics": [{"metric": "a", "role": "secondary", "test": ""}]}
    with pytest.raises(Conflict):
        lock(session, 1, 1)  # the analyst reviewed the plan before its metrics changed
    lock(session, 1, 2)


@pytest.mark.usefixtures("pilot")
def test_resaving_the_same_plan_metrics_changes_nothing(session: Session) -> None:
    make_plan(session, metrics=[("c", SECONDARY), ("a", PRIMARY)])
    count = audit_count(session)
    for specs in (
        [("c", SECONDARY), ("a", PRIMARY)],
        [("a", PRIMARY), ("c", SECONDARY)],
    ):
        metrics = [{"metric": key, "role": role} for key, role in specs]
        assert update_plan(session, 1, 1, metrics=metrics).version == 1
    assert audit_count(session) == count


@pytest.mark.usefixtures("pilot")
def test_plans_are_written_by_analysts(session: Session) -> None:
    with pytest.raises(NotAllowed):
        make_plan(session, EDITOR)
    plan = make_plan(session, metrics=[("a", PRIMARY)], multiple_testing="benjamini_hochberg")
    assert plan.multiple_testing is MultipleTesting.BENJAMINI_HOCHBERG
    assert audit_trail(session, plan)[0].action is AuditAction.CREATE


@pytest.mark.usefixtures("pilot")
def test_an_unknown_plan_version_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        plans.get_plan(session=session, pilot_slug="letter-trial", version=1)
    with pytest.raises(NotFound):
        lock(session, 1, None)
    with pytest.raises(NotFound):
        make_plan(session, pilot_slug="nothing")
