"""The portfolio dashboard's numbers: pipeline, time in stage, movements, the RAG rule, what each
pilot learned, user needs and evidence, and filters — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tests import factories
from tests.query_count import counted_queries
from tracker.models.enums import DecisionOutcome, MetricRole, PilotStatus, PolicyStage
from tracker.services import plans, policies, results
from tracker.services.analysis import run_analysis
from tracker.services.dashboard import Dashboard, build_dashboard
from tracker.services.dashboard_rag import PilotFacts, Rag, rag_status
from tracker.services.search import PolicyFilters

TODAY = date(2025, 6, 30)

HEALTHY = PilotFacts(
    status=PilotStatus.COMPLETE,
    planned_end=None,
    has_run=True,
    health=[],
    latest_iteration=1,
    latest_decided=True,
    latest_with_results=1,
    latest_with_results_decided=True,
)


def finding(code: str, severity: str) -> dict[str, str]:
    return {"code": code, "severity": severity, "message": f"{code} found"}


# --- The RAG rule, branch by branch (pure: no database) ---------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"health": [finding("sample_ratio_mismatch", "error")]}, "sample-ratio mismatch"),
        ({"health": [finding("empty_arm", "error")]}, "health check failed in the latest"),
        (
            {
                "status": PilotStatus.RUNNING,
                "planned_end": TODAY - timedelta(days=1),
                "latest_decided": False,
            },
            "past its planned end (29 June 2025)",
        ),
        (
            {
                "status": PilotStatus.PLANNED,
                "planned_end": TODAY - timedelta(days=1),
                "latest_iteration": None,
                "latest_decided": False,
            },
            "past its planned end",
        ),
    ],
)
def test_red_when_a_check_fails_or_the_pilot_is_overdue_undecided(
    changes: dict[str, Any], reason: str
) -> None:
    status = rag_status(replace(HEALTHY, **changes), TODAY)
    assert status.colour is Rag.RED
    assert any(reason in text for text in status.reasons), status.reasons


@pytest.mark.parametrize(
    "changes",
    [
        # Finished pilots are not overdue, however late.
        {"status": PilotStatus.COMPLETE, "planned_end": date(2020, 1, 1), "latest_decided": False},
        {"status": PilotStatus.STOPPED, "planned_end": date(2020, 1, 1), "latest_decided": False},
        # A decision on the latest iteration settles an overdue pilot.
        {"status": PilotStatus.RUNNING, "planned_end": date(2020, 1, 1), "latest_decided": True},
        # Ending today is not past the end.
        {"status": PilotStatus.RUNNING, "planned_end": TODAY, "latest_decided": False},
    ],
)
def test_not_red_when_finished_decided_or_not_yet_past_the_end(changes: dict[str, Any]) -> None:
    assert rag_status(replace(HEALTHY, **changes), TODAY).colour is not Rag.RED


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": PilotStatus.RUNNING, "has_run": False, "health": []}, "it is running"),
        ({"status": PilotStatus.ANALYSING, "has_run": False, "health": []}, "it is analysing"),
        ({"health": [finding("minimum_sample", "warning")]}, "health warning (minimum sample)"),
        (
            {"latest_with_results": 2, "latest_with_results_decided": False},
            "the latest iteration with results (v2) has no decision",
        ),
    ],
)
def test_amber_when_unanalysed_warned_or_undecided(changes: dict[str, Any], reason: str) -> None:
    status = rag_status(replace(HEALTHY, **changes), TODAY)
    assert status.colour is Rag.AMBER
    assert any(reason in text for text in status.reasons), status.reasons


def test_green_says_what_was_checked_and_red_outranks_amber() -> None:
    green = rag_status(HEALTHY, TODAY)
    assert green.colour is Rag.GREEN
    assert green.reasons == (
        "the latest analysis passed its health checks",
        "results up to v1 have a decision",
    )
    planned = PilotFacts(PilotStatus.PLANNED, None, False, [], None, False, None, False)
    assert rag_status(planned, TODAY).reasons == ("no analysis yet", "no results recorded yet")
    both = replace(
        HEALTHY,
        health=[finding("sample_ratio_mismatch", "error"), finding("minimum_sample", "warning")],
        latest_with_results_decided=False,
    )
    status = rag_status(both, TODAY)
    assert status.colour is Rag.RED
    assert status.reasons == ("the latest analysis found a sample-ratio mismatch",)


# --- The dashboard from records ---------------------------------------------------------------


def move(session: Session, slug: str, to: PolicyStage, on: date, **fields: Any) -> None:
    policies.decide_stage(
        session=session,
        actor=factories.EDITOR,
        slug=slug,
        data=factories.decision_data(to, decided_on=on, **fields),
        expected_version=None,
    )


def stage(dashboard: Dashboard, which: PolicyStage) -> Any:
    return next(row for row in dashboard.pipeline if row.stage is which)


def test_pipeline_counts_policies_and_days_since_the_decision_that_put_them_there(
    session: Session,
) -> None:
    factories.make_policy(session, slug="a", decided_on=date(2025, 1, 6))
    factories.make_policy(session, slug="b", decided_on=date(2025, 1, 6))
    move(session, "b", PolicyStage.DISCOVERY, date(2025, 5, 30))
    factories.make_policy(session, slug="c", stage=PolicyStage.ALPHA, decided_on=date(2025, 5, 1))
    factories.make_policy(session, slug="d", stage=PolicyStage.ALPHA, decided_on=date(2025, 3, 1))
    factories.make_policy(session, slug="e", stage=PolicyStage.ALPHA, decided_on=date(2025, 4, 1))

    dashboard = build_dashboard(session=session, today=TODAY)

    assert [(row.stage, row.count) for row in dashboard.pipeline] == [
        (PolicyStage.IDEA, 1),
        (PolicyStage.DISCOVERY, 1),
        (PolicyStage.ALPHA, 3),
        (PolicyStage.BETA, 0),
        (PolicyStage.LIVE, 0),
        (PolicyStage.RETIRED, 0),
    ]
    assert stage(dashboard, PolicyStage.IDEA).median_days == 175  # since 6 January
    assert stage(dashboard, PolicyStage.DISCOVERY).longest_days == 31  # not since 6 January
    alpha = stage(dashboard, PolicyStage.ALPHA)
    assert (alpha.median_days, alpha.longest_days) == (90, 121)
    assert alpha.longest_policy.slug == "d"
    beta = stage(dashboard, PolicyStage.BETA)
    assert (beta.median_days, beta.longest_days, beta.longest_policy) == (None, None, None)


def test_movements_count_decisions_in_each_window_and_list_the_latest_whatever_their_date(
    session: Session,
) -> None:
    factories.make_policy(session, slug="old", decided_on=date(2021, 1, 4))
    move(session, "old", PolicyStage.DISCOVERY, date(2022, 2, 1), rationale="Long ago")
    factories.make_policy(session, slug="new", decided_on=TODAY - timedelta(days=90))
    move(session, "new", PolicyStage.DISCOVERY, TODAY - timedelta(days=31))
    move(session, "new", PolicyStage.ALPHA, TODAY - timedelta(days=30), rationale="Prototype")
    move(session, "new", PolicyStage.BETA, TODAY, rationale="Ready")

    moved = build_dashboard(session=session, today=TODAY).movements

    assert [m.decision.rationale for m in moved.windows[30]] == ["Ready", "Prototype"]
    assert [m.decision.to_stage for m in moved.windows[90]] == [
        PolicyStage.BETA,
        PolicyStage.ALPHA,
        PolicyStage.DISCOVERY,
        PolicyStage.IDEA,
    ]
    assert {m.policy.slug for m in moved.windows[90]} == {"new"}
    assert [m.decision.rationale for m in moved.recent][:3] == [
        "Ready",
        "Prototype",
        "Ready for discovery",
    ]
    assert len(moved.recent) == 5 and moved.recent[-1].decision.rationale == "Long ago"
    # Seen from 2022, nothing was recent but the page still shows what was decided last.
    then = build_dashboard(session=session, today=date(2022, 3, 1)).movements
    assert len(then.windows[30]) == 1 and then.windows[90][0].decision.rationale == "Long ago"
    assert [m.decision.rationale for m in then.recent] == ["Long ago", "Ready for idea"]


def decide(session: Session, pilot: str, number: int, outcome: DecisionOutcome) -> None:
    results.record_decision(
        session=session,
        actor=factories.EDITOR,
        pilot_slug=pilot,
        number=number,
        data={
            "outcome": outcome,
            "rationale": f"{outcome.value} after v{number}",
            "decided_by": "Programme board",
            "decided_on": date(2025, 5, 1),
        },
    )


def arm_results(session: Session, pilot: str, control: int, treated: int) -> None:
    factories.record_results(
        session,
        {
            "control": {"metric": "take-up", "n": control, "successes": control // 3},
            "new letter": {"metric": "take-up", "n": treated, "successes": treated // 2},
        },
        pilot_slug=pilot,
    )


def pilot_portfolio(session: Session) -> None:
    """Five pilots, one for each way the RAG rule can go."""
    factories.make_policy(session)
    factories.make_metric(session, key="take-up")
    factories.make_pilot(session, slug="healthy", status=PilotStatus.COMPLETE)
    factories.make_iteration_with_arms(session, pilot_slug="healthy")
    arm_results(session, "healthy", 600, 600)
    factories.make_plan(session, pilot_slug="healthy", metrics=[("take-up", MetricRole.PRIMARY)])
    plans.lock_plan(
        session=session,
        actor=factories.ANALYST,
        pilot_slug="healthy",
        version=1,
        expected_version=None,
    )
    run_analysis(session=session, actor=factories.ANALYST, pilot_slug="healthy")
    decide(session, "healthy", 1, DecisionOutcome.SCALE)

    factories.make_pilot(session, slug="mismatched", status=PilotStatus.ANALYSING)
    factories.make_iteration_with_arms(session, pilot_slug="mismatched")
    arm_results(session, "mismatched", 1000, 500)
    run_analysis(session=session, actor=factories.ANALYST, pilot_slug="mismatched")

    factories.make_pilot(
        session,
        slug="overdue",
        status=PilotStatus.RUNNING,
        planned_start=date(2025, 1, 6),
        planned_end=date(2025, 6, 1),
    )
    factories.make_pilot(session, slug="unanalysed", status=PilotStatus.RUNNING)
    factories.make_iteration_with_arms(session, pilot_slug="unanalysed")
    factories.make_pilot(session, slug="planned")


def test_each_pilot_gets_its_rag_rating_and_the_statuses_add_up(session: Session) -> None:
    pilot_portfolio(session)

    dashboard = build_dashboard(session=session, today=TODAY)

    colours = {card.pilot.slug: card.rag.colour for card in dashboard.pilots}
    assert colours == {
        "healthy": Rag.GREEN,
        "mismatched": Rag.RED,
        "overdue": Rag.RED,
        "unanalysed": Rag.AMBER,
        "planned": Rag.GREEN,
    }
    by_status = {row.status: (row.by_rag, row.total) for row in dashboard.statuses}
    assert by_status[PilotStatus.RUNNING] == ({Rag.RED: 1, Rag.AMBER: 1, Rag.GREEN: 0}, 2)
    assert by_status[PilotStatus.ANALYSING][1] == 1
    assert by_status[PilotStatus.STOPPED][1] == 0
    assert (dashboard.rag_count(Rag.RED), dashboard.rag_count(Rag.GREEN)) == (2, 2)


def test_what_each_pilot_learned_comes_from_its_latest_decision_and_stored_run(
    session: Session,
) -> None:
    pilot_portfolio(session)
    factories.make_iteration_with_arms(session, pilot_slug="healthy", number=2)

    cards = {card.pilot.slug: card for card in build_dashboard(session=session, today=TODAY).pilots}

    healthy = cards["healthy"]
    assert healthy.decided is not None
    iteration, decision = healthy.decided
    assert (iteration.number, decision.outcome) == (1, DecisionOutcome.SCALE)
    assert healthy.latest_iteration is not None and healthy.latest_iteration.number == 2
    assert healthy.headline is not None and healthy.run is not None
    assert healthy.headline.run_id == healthy.run.id
    assert healthy.headline.words.startswith("Take up: between ")
    assert "percentage points more with new letter than with control" in healthy.headline.words
    assert healthy.headline.confirmatory
    unanalysed = cards["unanalysed"]
    assert (unanalysed.run, unanalysed.headline, unanalysed.decided) == (None, None, None)


def test_the_latest_pilot_decision_is_the_newest_across_pilots(session: Session) -> None:
    pilot_portfolio(session)
    newest = build_dashboard(session=session, today=TODAY).latest_pilot_decision()
    assert newest is not None and newest.pilot.slug == "healthy"
    results.record_decision(
        session=session,
        actor=factories.EDITOR,
        pilot_slug="unanalysed",
        number=1,
        data={
            "outcome": DecisionOutcome.STOP,
            "rationale": "Nobody opened the letters",
            "decided_by": "Programme board",
            "decided_on": date(2025, 6, 2),
        },
    )
    newest = build_dashboard(session=session, today=TODAY).latest_pilot_decision()
    assert newest is not None and newest.pilot.slug == "unanalysed"
    assert (
        build_dashboard(
            session=session, filters=PolicyFilters(team="Nobody"), today=TODAY
        ).latest_pilot_decision()
        is None
    )


def test_user_needs_are_counted_with_and_without_evidence(session: Session) -> None:
    factories.make_policy(session, slug="a")
    factories.make_policy(session, slug="b")
    factories.make_user_need(session, policy_slug="a", key="one", evidence_source="Interviews")
    factories.make_user_need(session, policy_slug="a", key="two", evidence_source="  ")
    factories.make_user_need(session, policy_slug="b", key="three")

    needs = build_dashboard(session=session, today=TODAY).needs

    assert needs.with_evidence == 1
    assert [(need.key, policy.slug) for need, policy in needs.without] == [
        ("two", "a"),
        ("three", "b"),
    ]


def test_filters_apply_to_the_whole_dashboard(session: Session) -> None:
    factories.make_policy(session, slug="tax", team="Revenue", tags=["letters"])
    factories.make_policy(session, slug="health", team="Health", tags=["texts"])
    move(session, "health", PolicyStage.DISCOVERY, TODAY)
    factories.make_user_need(session, policy_slug="tax", key="need")
    factories.make_pilot(session, policy_slug="tax", slug="tax-pilot")
    factories.make_pilot(session, policy_slug="health", slug="health-pilot")

    def shown(filters: PolicyFilters) -> tuple[int, list[str], int, int]:
        board = build_dashboard(session=session, filters=filters, today=TODAY)
        assert board.pilot_count == len(board.pilots)
        return (
            board.policy_count,
            sorted(card.pilot.slug for card in board.pilots),
            len(board.needs.without),
            board.movements.counts[30],
        )

    assert shown(PolicyFilters()) == (2, ["health-pilot", "tax-pilot"], 1, 1)
    assert shown(PolicyFilters(team="Revenue")) == (1, ["tax-pilot"], 1, 0)
    assert shown(PolicyFilters(tag="texts")) == (1, ["health-pilot"], 0, 1)
    assert shown(PolicyFilters(stages=(PolicyStage.IDEA,))) == (1, ["tax-pilot"], 1, 0)
    assert shown(PolicyFilters(stages=(PolicyStage.LIVE,))) == (0, [], 0, 0)
    board = build_dashboard(session=session, filters=PolicyFilters(team="Health"), today=TODAY)
    assert [(row.stage, row.count) for row in board.pipeline if row.count] == [
        (PolicyStage.DISCOVERY, 1)
    ]


def test_today_defaults_to_the_real_date(session: Session) -> None:
    assert build_dashboard(session=session).today == date.today()


def test_the_number_of_queries_does_not_grow_with_the_portfolio(session: Session) -> None:
    pilot_portfolio(session)
    session.flush()
    with counted_queries(session) as small:
        build_dashboard(session=session, today=TODAY)
    for index in range(3):
        slug = f"more-{index}"
        factories.make_policy(session, slug=slug)
        factories.make_metric(session, policy_slug=slug, key="take-up")
        factories.make_user_need(session, policy_slug=slug)
        factories.make_pilot(session, policy_slug=slug, slug=f"{slug}-pilot")
        factories.make_iteration_with_arms(session, pilot_slug=f"{slug}-pilot")
        arm_results(session, f"{slug}-pilot", 300, 300)
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug=f"{slug}-pilot")
    session.flush()
    with counted_queries(session) as large:
        build_dashboard(session=session, today=TODAY)
    assert len(large) == len(small) <= 12, large
