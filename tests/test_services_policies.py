"""Policies, their stage history and their metrics, through tracker.services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from tracker.models import StageDecision
from tracker.models.enums import MetricKind, PolicyStage
from tracker.services import metrics, policies
from tracker.services.errors import Conflict, NotAllowed, NotFound, ValidationFailed

from .factories import (
    ANALYST,
    EDITOR,
    FIRST_DAY,
    audit_trail,
    decision_data,
    make_metric,
    make_policy,
    policy_data,
)


def fields(raised: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in raised.value.errors]


def decide(
    session: Session, to_stage: PolicyStage, version: int | None, **fields: object
) -> StageDecision:
    return policies.decide_stage(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data=decision_data(to_stage, **fields),
        expected_version=version,
    )


# --- creating a policy -------------------------------------------------------------------------


def test_create_policy_records_the_first_stage_decision(session: Session) -> None:
    policy = make_policy(session, tags=["schools"], theory_of_change={"inputs": ["letters"]})

    assert policy.stage is PolicyStage.IDEA
    assert policy.version == 1
    [first] = policies.stage_history(session=session, slug="school-meals")
    assert (first.sequence, first.from_stage, first.to_stage) == (1, None, PolicyStage.IDEA)
    assert first.policy_id == policy.id
    assert first.decided_on == FIRST_DAY
    stored = policies.get_policy(session=session, slug="school-meals")
    assert stored.tags == ["schools"]
    assert stored.theory_of_change == {"inputs": ["letters"]}


def test_the_stage_comes_from_the_first_decision_not_the_policy_fields(session: Session) -> None:
    policy = policies.create_policy(
        session=session,
        actor=EDITOR,
        data=policy_data(stage=PolicyStage.LIVE),
        first_decision=decision_data(PolicyStage.IDEA),
    )
    assert policy.stage is PolicyStage.IDEA


def test_a_bad_slug_is_rejected_naming_slug(session: Session) -> None:
    for slug in ["Bad Slug", "UPPER", "-leading", "trailing-", "two--dashes", "", "x" * 81]:
        with pytest.raises(ValidationFailed) as raised:
            make_policy(session, slug=slug)
        assert fields(raised) == ["slug"], slug
    assert policies.list_policies(session=session) == []
    assert make_policy(session, slug="a-1-b").slug == "a-1-b"


def test_a_missing_title_names_title(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_policy(session, title="")
    assert fields(raised) == ["title"]


def test_an_unknown_theory_of_change_part_names_theory_of_change(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_policy(session, theory_of_change={"inputs": ["x"], "wishes": ["y"]})
    assert fields(raised) == ["theory_of_change"]
    assert "wishes" in str(raised.value)


def test_a_duplicate_policy_slug_is_a_conflict(session: Session) -> None:
    make_policy(session)
    with pytest.raises(Conflict, match="school-meals"):
        make_policy(session, title="Another title")
    assert len(policies.list_policies(session=session)) == 1


def test_starting_past_idea_needs_a_skip_reason(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_policy(session, stage=PolicyStage.ALPHA, skip_reason="")
    assert fields(raised) == ["skip_reason"]

    policy = make_policy(session, stage=PolicyStage.ALPHA, skip_reason="Inherited pilot")
    assert policy.stage is PolicyStage.ALPHA
    [first] = policies.stage_history(session=session, slug="school-meals")
    assert first.skip_reason == "Inherited pilot"


def test_a_blank_rationale_names_rationale(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        policies.create_policy(
            session=session,
            actor=EDITOR,
            data=policy_data(),
            first_decision=decision_data(rationale="   "),
        )
    assert fields(raised) == ["rationale"]


def test_get_policy_of_an_unknown_slug_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as raised:
        policies.get_policy(session=session, slug="nowhere")
    assert (raised.value.entity, raised.value.key) == ("policy", "nowhere")


def test_list_policies_is_ordered_by_title(session: Session) -> None:
    make_policy(session, slug="b", title="Zebra crossings")
    make_policy(session, slug="a", title="Apprenticeships")
    assert [p.title for p in policies.list_policies(session=session)] == [
        "Apprenticeships",
        "Zebra crossings",
    ]


# --- stage decisions ---------------------------------------------------------------------------


def test_decide_stage_moves_the_stage_and_appends_history(session: Session) -> None:
    make_policy(session)
    later = FIRST_DAY + timedelta(days=30)
    decision = decide(
        session, PolicyStage.DISCOVERY, 1, decided_on=later, evidence=["https://example.org/r"]
    )

    assert (decision.from_stage, decision.to_stage) == (PolicyStage.IDEA, PolicyStage.DISCOVERY)
    assert decision.sequence == 2
    policy = policies.get_policy(session=session, slug="school-meals")
    assert policy.stage is PolicyStage.DISCOVERY
    assert policy.version == 2
    history = policies.stage_history(session=session, slug="school-meals")
    assert [(d.sequence, d.to_stage) for d in history] == [
        (1, PolicyStage.IDEA),
        (2, PolicyStage.DISCOVERY),
    ]
    assert history[1].evidence == ["https://example.org/r"]


def test_a_full_walk_through_the_stages_needs_no_skip_reason(session: Session) -> None:
    make_policy(session)
    version = 1
    for step, stage in enumerate(list(PolicyStage)[1:], start=1):
        decide(session, stage, version, decided_on=FIRST_DAY + timedelta(days=step))
        version += 1
    history = policies.stage_history(session=session, slug="school-meals")
    assert [d.to_stage for d in history] == list(PolicyStage)
    assert [d.sequence for d in history] == list(range(1, len(PolicyStage) + 1))
    assert all(d.skip_reason is None for d in history)


def test_skipping_a_stage_needs_a_skip_reason(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.ALPHA, 1)
    assert fields(raised) == ["skip_reason"]
    assert policies.get_policy(session=session, slug="school-meals").stage is PolicyStage.IDEA
    assert len(policies.stage_history(session=session, slug="school-meals")) == 1

    decide(session, PolicyStage.ALPHA, 1, skip_reason="Discovery done by another department")
    assert policies.get_policy(session=session, slug="school-meals").stage is PolicyStage.ALPHA


def test_a_blank_skip_reason_does_not_count(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.BETA, 1, skip_reason="  \n ")
    assert fields(raised) == ["skip_reason"]


def test_moving_back_a_stage_needs_a_reason_too(session: Session) -> None:
    make_policy(session, stage=PolicyStage.ALPHA)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.DISCOVERY, 1)
    assert fields(raised) == ["skip_reason"]
    decide(session, PolicyStage.DISCOVERY, 1, skip_reason="Alpha showed we misread the need")
    assert policies.get_policy(session=session, slug="school-meals").stage is (
        PolicyStage.DISCOVERY
    )


def test_deciding_the_same_stage_fails_naming_to_stage(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.IDEA, 1)
    assert "to_stage" in fields(raised)
    assert len(policies.stage_history(session=session, slug="school-meals")) == 1


def test_a_decision_before_the_previous_one_fails_naming_decided_on(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.DISCOVERY, 1, decided_on=FIRST_DAY - timedelta(days=1))
    assert fields(raised) == ["decided_on"]
    assert FIRST_DAY.isoformat() in str(raised.value)

    decide(session, PolicyStage.DISCOVERY, 1, decided_on=FIRST_DAY)  # the same day is fine


def test_a_decision_on_a_stale_version_is_a_conflict(session: Session) -> None:
    make_policy(session)
    policies.update_policy(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data={"title": "New"},
        expected_version=1,
    )
    with pytest.raises(Conflict) as raised:
        decide(session, PolicyStage.DISCOVERY, 1)
    assert raised.value.current is not None
    assert raised.value.current["title"] == "New"
    assert len(policies.stage_history(session=session, slug="school-meals")) == 1
    decide(session, PolicyStage.DISCOVERY, 2)


def test_decide_stage_of_an_unknown_policy_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        policies.decide_stage(
            session=session,
            actor=EDITOR,
            slug="nowhere",
            data=decision_data(PolicyStage.DISCOVERY),
            expected_version=None,
        )


def test_decide_stage_audits_the_decision_and_the_stage_change(session: Session) -> None:
    policy = make_policy(session)
    decision = decide(session, PolicyStage.DISCOVERY, 1)

    [created] = audit_trail(session, decision)
    assert created.action.value == "create"
    assert created.after is not None and created.after["to_stage"] == "discovery"
    update = audit_trail(session, policy)[-1]
    assert (update.before, update.after) == ({"stage": "idea"}, {"stage": "discovery"})


# --- editing a policy --------------------------------------------------------------------------


def test_update_policy_changes_fields_and_bumps_the_version(session: Session) -> None:
    make_policy(session)
    policy = policies.update_policy(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data={"title": "Universal school meals", "tags": ["schools", "food"]},
        expected_version=1,
    )
    assert policy.version == 2
    stored = policies.get_policy(session=session, slug="school-meals")
    assert (stored.title, stored.tags) == ("Universal school meals", ["schools", "food"])


def test_update_policy_cannot_move_the_stage(session: Session) -> None:
    make_policy(session)
    policies.update_policy(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data={"stage": "live"},
        expected_version=1,
    )
    policy = policies.get_policy(session=session, slug="school-meals")
    assert (policy.stage, policy.version) == (PolicyStage.IDEA, 1)


def test_update_policy_rejects_an_unknown_theory_of_change_part(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        policies.update_policy(
            session=session,
            actor=EDITOR,
            slug="school-meals",
            data={"theory_of_change": {"dreams": []}},
            expected_version=1,
        )
    assert fields(raised) == ["theory_of_change"]


def test_update_policy_of_an_unknown_slug_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        policies.update_policy(
            session=session, actor=EDITOR, slug="nowhere", data={"title": "x"}, expected_version=1
        )


# --- metrics -----------------------------------------------------------------------------------


def test_create_metric_belongs_to_its_policy(session: Session) -> None:
    policy = make_policy(session)
    metric = make_metric(session, key="days-to-claim", kind=MetricKind.CONTINUOUS, unit="days")
    assert metric.policy_id == policy.id
    stored = metrics.get_metric(session=session, policy_slug="school-meals", key="days-to-claim")
    assert (stored.kind, stored.unit) == (MetricKind.CONTINUOUS, "days")


def test_a_duplicate_metric_key_is_a_conflict_within_a_policy_only(session: Session) -> None:
    make_policy(session)
    make_policy(session, slug="other")
    make_metric(session)
    with pytest.raises(Conflict, match="take-up"):
        make_metric(session, kind=MetricKind.COUNT)
    make_metric(session, policy_slug="other")
    assert [m.key for m in metrics.list_metrics(session=session, policy_slug="other")] == [
        "take-up"
    ]


def test_a_bad_metric_key_or_kind_names_the_field(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        make_metric(session, key="Take Up")
    assert fields(raised) == ["key"]
    with pytest.raises(ValidationFailed) as raised:
        make_metric(session, kind="ratio")
    assert fields(raised) == ["kind"]


def test_a_metric_of_an_unknown_policy_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        make_metric(session, policy_slug="nowhere")


def test_update_metric_keeps_its_kind(session: Session) -> None:
    make_policy(session)
    make_metric(session)
    metric = metrics.update_metric(
        session=session,
        actor=ANALYST,
        policy_slug="school-meals",
        key="take-up",
        data={"kind": "count", "unit": "share of pupils"},
        expected_version=1,
    )
    assert (metric.kind, metric.unit, metric.version) == (MetricKind.BINARY, "share of pupils", 2)


def test_get_metric_of_an_unknown_key_is_not_found(session: Session) -> None:
    make_policy(session)
    with pytest.raises(NotFound):
        metrics.get_metric(session=session, policy_slug="school-meals", key="nothing")


def test_editors_cannot_define_metrics(session: Session) -> None:
    make_policy(session)
    with pytest.raises(NotAllowed, match="analyst"):
        make_metric(session, EDITOR)
    assert metrics.list_metrics(session=session, policy_slug="school-meals") == []


def test_decided_on_is_a_real_date(session: Session) -> None:
    make_policy(session)
    with pytest.raises(ValidationFailed) as raised:
        decide(session, PolicyStage.DISCOVERY, 1, decided_on="2025-02-30")
    assert fields(raised) == ["decided_on"]
