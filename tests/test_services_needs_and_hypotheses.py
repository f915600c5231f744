"""User needs, hypotheses and the engagement log: records linked to their policy by key."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from tracker.models import Hypothesis, UserNeed
from tracker.models.enums import AuditAction, EngagementGroup, HypothesisStatus, MetricKind
from tracker.services import engagements, hypotheses, user_needs
from tracker.services.errors import Conflict, NotFound, ValidationFailed

from .factories import (
    EDITOR,
    audit_count,
    audit_trail,
    make_engagement,
    make_hypothesis,
    make_iteration,
    make_metric,
    make_pilot,
    make_policy,
    make_user_need,
)


def fields(raised: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in raised.value.errors]


@pytest.fixture
def policy(session: Session) -> None:
    """A policy with three metrics, created in the order a, b, c."""
    make_policy(session)
    for key in ("a", "b", "c"):
        make_metric(session, key=key)


def update_need(session: Session, version: int | None, **data: object) -> UserNeed:
    return user_needs.update_user_need(
        session=session,
        actor=EDITOR,
        policy_slug="school-meals",
        key="know-eligibility",
        data=data,
        expected_version=version,
    )


def need_keys(session: Session) -> list[str]:
    need = user_needs.get_user_need(
        session=session, policy_slug="school-meals", key="know-eligibility"
    )
    return user_needs.metric_keys_of(session=session, need=need)


# --- user needs --------------------------------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_a_user_need_links_the_metrics_named_by_key(session: Session) -> None:
    need = make_user_need(session, metric_keys=["a", "c"], evidence_source="Interviews")
    assert need_keys(session) == ["a", "c"]
    trail = audit_trail(session, need)
    assert [event.action for event in trail] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert (trail[1].before, trail[1].after) == ({"metric_keys": []}, {"metric_keys": ["a", "c"]})
    listed = user_needs.list_user_needs(session=session, policy_slug="school-meals")
    assert [n.key for n in listed] == ["know-eligibility"]


@pytest.mark.usefixtures("policy")
def test_an_unknown_metric_key_names_metric_keys(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_user_need(session, metric_keys=["a", "nope"])
    assert fields(raised) == ["metric_keys"]
    assert "nope" in str(raised.value)
    assert "'a'" not in str(raised.value)


def test_a_metric_of_another_policy_is_unknown(session: Session) -> None:
    make_policy(session)
    make_policy(session, slug="other")
    make_metric(session, policy_slug="other", key="elsewhere")
    with pytest.raises(ValidationFailed) as raised:
        make_user_need(session, metric_keys=["elsewhere"])
    assert fields(raised) == ["metric_keys"]


@pytest.mark.usefixtures("policy")
def test_a_metric_named_twice_names_metric_keys(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_user_need(session, metric_keys=["a", "a"])
    assert fields(raised) == ["metric_keys"]


@pytest.mark.usefixtures("policy")
def test_a_duplicate_user_need_key_is_a_conflict(session: Session) -> None:
    make_user_need(session)
    with pytest.raises(Conflict, match="know-eligibility"):
        make_user_need(session)


@pytest.mark.usefixtures("policy")
def test_user_need_text_must_not_be_empty(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_user_need(session, as_a="", i_need="")
    assert sorted(fields(raised)) == ["as_a", "i_need"]


@pytest.mark.usefixtures("policy")
def test_none_for_a_required_column_is_a_field_error_not_a_database_error(
    session: Session,
) -> None:
    make_user_need(session, evidence_source="Interviews")
    with pytest.raises(ValidationFailed) as raised:
        update_need(session, 1, evidence_source=None, so_that="I can plan")
    assert fields(raised) == ["evidence_source"]
    need = user_needs.list_user_needs(session=session, policy_slug="school-meals")[0]
    assert (need.evidence_source, need.version) == ("Interviews", 1)


@pytest.mark.usefixtures("policy")
def test_relinking_metrics_replaces_the_links_and_bumps_the_version(session: Session) -> None:
    make_user_need(session, metric_keys=["a"])
    need = update_need(session, 1, metric_keys=["b", "c"])
    assert need_keys(session) == ["b", "c"]
    assert need.version == 2
    event = audit_trail(session, need)[-1]
    assert (event.before, event.after) == ({"metric_keys": ["a"]}, {"metric_keys": ["b", "c"]})
    with pytest.raises(Conflict):
        update_need(session, 1, metric_keys=["a"])
    assert need_keys(session) == ["b", "c"]


@pytest.mark.usefixtures("policy")
def test_resaving_the_same_metric_links_changes_nothing(session: Session) -> None:
    make_user_need(session, metric_keys=["c", "a"])  # not in the order they are read back
    count = audit_count(session)
    for keys in (["c", "a"], ["a", "c"]):
        need = update_need(session, 1, metric_keys=keys)
        assert need.version == 1
        assert audit_count(session) == count
    assert need_keys(session) == ["a", "c"]


@pytest.mark.usefixtures("policy")
def test_leaving_metric_keys_out_keeps_the_links(session: Session) -> None:
    make_user_need(session, metric_keys=["a"])
    need = update_need(session, 1, so_that="they can eat")
    assert (need.so_that, need.version) == ("they can eat", 2)
    assert need_keys(session) == ["a"]
    with pytest.raises(ValidationFailed) as raised:
        update_need(session, 2, metric_keys=["zzz"])
    assert fields(raised) == ["metric_keys"]
    assert need_keys(session) == ["a"]


def test_a_need_of_an_unknown_policy_or_key_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        make_user_need(session, policy_slug="nowhere")
    make_policy(session)
    with pytest.raises(NotFound):
        update_need(session, 1, so_that="x")


# --- hypotheses --------------------------------------------------------------------------------


def update_hypothesis(session: Session, version: int | None, **data: object) -> Hypothesis:
    return hypotheses.update_hypothesis(
        session=session,
        actor=EDITOR,
        policy_slug="school-meals",
        key="letters-work",
        data=data,
        expected_version=version,
    )


@pytest.mark.usefixtures("policy")
def test_a_hypothesis_is_measured_by_a_metric_named_by_key(session: Session) -> None:
    days = make_metric(session, key="days", kind=MetricKind.CONTINUOUS)
    hypothesis = make_hypothesis(session, measured_by="days")
    assert hypothesis.metric_id == days.id
    assert hypothesis.status is HypothesisStatus.UNTESTED
    stored = hypotheses.get_hypothesis(
        session=session, policy_slug="school-meals", key="letters-work"
    )
    assert stored.metric_id == days.id


@pytest.mark.usefixtures("policy")
def test_an_unknown_measured_by_names_measured_by(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_hypothesis(session, measured_by="nope")
    assert fields(raised) == ["measured_by"]
    assert hypotheses.list_hypotheses(session=session, policy_slug="school-meals") == []


@pytest.mark.usefixtures("policy")
def test_a_hypothesis_without_a_metric_is_allowed(session: Session) -> None:
    assert make_hypothesis(session).metric_id is None


@pytest.mark.usefixtures("policy")
def test_update_hypothesis_moves_status_and_metric(session: Session) -> None:
    d = make_metric(session, key="d")
    make_hypothesis(session, measured_by="a")
    hypothesis = update_hypothesis(session, 1, status="supported", measured_by="d")
    assert (hypothesis.status, hypothesis.metric_id, hypothesis.version) == (
        HypothesisStatus.SUPPORTED,
        d.id,
        2,
    )
    hypothesis = update_hypothesis(session, 2, measured_by=None)
    assert (hypothesis.metric_id, hypothesis.version) == (None, 3)
    with pytest.raises(ValidationFailed) as raised:
        update_hypothesis(session, 3, measured_by="nope")
    assert fields(raised) == ["measured_by"]
    with pytest.raises(ValidationFailed) as raised:
        update_hypothesis(session, 3, status="proven")
    assert fields(raised) == ["status"]


@pytest.mark.usefixtures("policy")
def test_leaving_measured_by_out_keeps_the_metric(session: Session) -> None:
    hypothesis = make_hypothesis(session, measured_by="b")
    metric_id = hypothesis.metric_id
    assert update_hypothesis(session, 1, will="raise take-up a lot").metric_id == metric_id


@pytest.mark.usefixtures("policy")
def test_a_duplicate_hypothesis_key_is_a_conflict(session: Session) -> None:
    make_hypothesis(session)
    with pytest.raises(Conflict):
        make_hypothesis(session)


# --- engagements -------------------------------------------------------------------------------


def test_an_engagement_can_stand_alone_or_be_tied_to_an_iteration(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    iteration = make_iteration(session, number=2)
    alone = make_engagement(session, key="survey", participants=120)
    tied = make_engagement(session, key="staff", pilot="letter-trial", iteration=2)
    assert (alone.iteration_id, alone.participants) == (None, 120)
    assert tied.iteration_id == iteration.id
    keys = [
        e.key for e in engagements.list_engagements(session=session, policy_slug="school-meals")
    ]
    assert keys == ["survey", "staff"]


def test_an_unknown_iteration_names_iteration(session: Session) -> None:
    make_policy(session)
    make_pilot(session)
    make_iteration(session, number=1)
    for pilot, number in [("letter-trial", 2), ("no-such-pilot", 1), ("letter-trial", None)]:
        with pytest.raises(ValidationFailed) as raised:
            make_engagement(session, pilot=pilot, iteration=number)
        assert fields(raised) == ["iteration"], (pilot, number)
    with pytest.raises(ValidationFailed) as raised:
        make_engagement(session, iteration=1)
    assert fields(raised) == ["iteration"]
    assert engagements.list_engagements(session=session, policy_slug="school-meals") == []


def test_an_iteration_of_another_policys_pilot_is_unknown(session: Session) -> None:
    make_policy(session)
    make_policy(session, slug="other")
    make_pilot(session, policy_slug="other", slug="other-trial")
    make_iteration(session, pilot_slug="other-trial", number=1)
    with pytest.raises(ValidationFailed) as raised:
        make_engagement(session, pilot="other-trial", iteration=1)
    assert fields(raised) == ["iteration"]


def test_engagement_fields_are_checked_by_name(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        make_engagement(session, group="journalists", participants=-1, what_we_heard="")
    assert sorted(fields(raised)) == ["group", "participants", "what_we_heard"]


def test_update_engagement_and_duplicate_keys(session: Session) -> None:
    make_policy(session)
    make_engagement(session)
    with pytest.raises(Conflict):
        make_engagement(session)
    entry = engagements.update_engagement(
        session=session,
        actor=EDITOR,
        policy_slug="school-meals",
        key="parent-workshop",
        data={"group": EngagementGroup.PUBLIC, "held_on": date(2025, 2, 1)},
        expected_version=1,
    )
    assert (entry.group, entry.held_on, entry.version) == (
        EngagementGroup.PUBLIC,
        date(2025, 2, 1),
        2,
    )
