"""The read models behind the policy and pilot pages return what was written, in order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from tracker.models.enums import DecisionOutcome, MetricKind, MetricRole, PolicyStage
from tracker.services import overviews, plans, policies, results
from tracker.services.errors import NotFound

from .factories import (
    ANALYST,
    EDITOR,
    FIRST_DAY,
    decision_data,
    make_engagement,
    make_hypothesis,
    make_iteration_with_arms,
    make_metric,
    make_pilot,
    make_plan,
    make_policy,
    make_user_need,
)


def build_portfolio(session: Session) -> None:
    """Two policies; the first with history, needs, hypotheses, engagements and two pilots."""
    make_policy(session, title="Zebra crossings", slug="school-meals")
    make_policy(session, slug="apprenticeships", title="Apprenticeships")
    policies.decide_stage(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data=decision_data(PolicyStage.DISCOVERY, decided_on=FIRST_DAY + timedelta(days=7)),
        expected_version=1,
    )
    for key in ("take-up", "days", "visits"):
        make_metric(session, key=key, kind=MetricKind.BINARY)
    make_user_need(session, key="need-1", metric_keys=["visits", "take-up"])
    make_user_need(session, key="need-2")
    make_hypothesis(session, key="h1", measured_by="take-up")
    make_hypothesis(session, key="h2")
    make_engagement(session, key="late", held_on=date(2025, 5, 1))
    make_engagement(session, key="early", held_on=date(2025, 2, 1))
    make_pilot(session, slug="letter-trial", hypothesis_keys=["h2", "h1"])
    make_pilot(session, slug="text-trial")


def test_policy_summaries_count_pilots_and_sort_by_title(session: Session) -> None:
    build_portfolio(session)
    summaries = overviews.list_policy_summaries(session=session)
    assert [(s.policy.slug, s.pilot_count) for s in summaries] == [
        ("apprenticeships", 0),
        ("school-meals", 2),
    ]


def test_the_policy_overview_holds_everything_in_order(session: Session) -> None:
    build_portfolio(session)
    view = overviews.get_policy_overview(session=session, slug="school-meals")

    assert view.policy.stage is PolicyStage.DISCOVERY
    assert [(d.sequence, d.to_stage) for d in view.stage_history] == [
        (1, PolicyStage.IDEA),
        (2, PolicyStage.DISCOVERY),
    ]
    assert [m.key for m in view.metrics] == ["take-up", "days", "visits"]
    assert [(v.need.key, [m.key for m in v.metrics]) for v in view.user_needs] == [
        ("need-1", ["take-up", "visits"]),
        ("need-2", []),
    ]
    assert [h.key for h in view.hypotheses] == ["h1", "h2"]
    assert [e.key for e in view.engagements] == ["early", "late"]
    assert [p.slug for p in view.pilots] == ["letter-trial", "text-trial"]
    assert set(view.metric_by_id()) == {m.id for m in view.metrics}


def test_an_empty_policy_overview_is_empty(session: Session) -> None:
    build_portfolio(session)
    view = overviews.get_policy_overview(session=session, slug="apprenticeships")
    assert len(view.stage_history) == 1
    assert view.metrics == []
    assert view.user_needs == []
    assert view.hypotheses == []
    assert view.engagements == []
    assert view.pilots == []


def test_the_pilot_overview_holds_plans_iterations_results_and_decisions(session: Session) -> None:
    build_portfolio(session)
    make_plan(
        session,
        metrics=[("visits", MetricRole.GUARDRAIL), ("take-up", MetricRole.PRIMARY)],
    )
    plans.lock_plan(
        session=session, actor=ANALYST, pilot_slug="letter-trial", version=1, expected_version=1
    )
    make_plan(session, metrics=[("days", MetricRole.PRIMARY)], amendment_reason="New data")
    make_iteration_with_arms(session, number=2, arms=(("b", True, 0.5), ("a", False, 0.5)))
    make_iteration_with_arms(session, number=1)
    results.record_result(
        session=session,
        actor=ANALYST,
        pilot_slug="letter-trial",
        number=2,
        arm_name="a",
        data={"metric": "take-up", "n": 100, "successes": 30},
    )
    results.record_decision(
        session=session,
        actor=EDITOR,
        pilot_slug="letter-trial",
        number=1,
        data={
            "outcome": DecisionOutcome.ADAPT,
            "rationale": "Try a shorter letter",
            "decided_by": "Board",
            "decided_on": date(2025, 4, 1),
        },
    )

    view = overviews.get_pilot_overview(session=session, slug="letter-trial")

    assert (view.pilot.slug, view.policy.slug) == ("letter-trial", "school-meals")
    assert [m.key for m in view.metrics] == ["take-up", "days", "visits"]
    assert [h.key for h in view.hypotheses] == ["h1", "h2"]
    assert [p.plan.plan_version for p in view.plans] == [1, 2]
    assert view.plans[0].plan.lock_hash is not None
    assert [(link.role, m.key) for link, m in view.plans[0].metrics] == [
        (MetricRole.PRIMARY, "take-up"),
        (MetricRole.GUARDRAIL, "visits"),
    ]
    assert [i.iteration.number for i in view.iterations] == [1, 2]
    v1, v2 = view.iterations
    assert [a.arm.name for a in v1.arms] == ["control", "new letter"]
    assert [a.arm.name for a in v2.arms] == ["b", "a"]
    assert v1.decision is not None and v1.decision.outcome is DecisionOutcome.ADAPT
    assert v2.decision is None
    [result] = v2.arms[1].results.values()
    assert (result.n, result.successes) == (100, 30)
    assert v2.arms[0].results == {}
    assert [m.key for m in view.reported_metrics()] == ["take-up"]


def test_a_pilot_with_nothing_yet_has_an_empty_overview(session: Session) -> None:
    build_portfolio(session)
    view = overviews.get_pilot_overview(session=session, slug="text-trial")
    assert view.hypotheses == []
    assert view.plans == []
    assert view.iterations == []
    assert view.reported_metrics() == []


def test_unknown_slugs_are_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as raised:
        overviews.get_policy_overview(session=session, slug="nowhere")
    assert (raised.value.entity, raised.value.key) == ("policy", "nowhere")
    with pytest.raises(NotFound) as raised:
        overviews.get_pilot_overview(session=session, slug="nowhere")
    assert (raised.value.entity, raised.value.key) == ("pilot", "nowhere")
