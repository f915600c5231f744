"""The one-page pilot report's content: gathered, shortened and capped so it fits one page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from tests import factories
from tracker.db import get_engine
from tracker.models.enums import DecisionOutcome, HypothesisStatus, MetricRole
from tracker.services import plans, results
from tracker.services.analysis import run_analysis
from tracker.services.errors import NotFound
from tracker.services.report import (
    MAX_ITERATIONS,
    MAX_NEEDS,
    Capped,
    get_pilot_report,
    hypothesis_sentence,
    shorten,
)

COUNCIL_TAX = "council-tax-text-reminders-pilot"


def test_shorten_cuts_at_a_word_and_says_so() -> None:
    assert shorten("  a short\n text ", 40) == "a short text"
    cut = shorten("The generic text was replaced by a personalised text giving the amount", 30)
    assert cut == "The generic text was replaced…"
    assert len(cut) <= 30


def test_capped_keeps_the_first_or_the_latest_and_counts_the_rest() -> None:
    assert Capped.first([1, 2, 3, 4], 2) == Capped([1, 2], 2)
    assert Capped.last([1, 2, 3, 4, 5], 3) == Capped([3, 4, 5], 2)
    assert Capped.first([1], 3) == Capped([1], 0)


def test_a_long_hypothesis_keeps_what_it_is_measured_by() -> None:
    sentence = hypothesis_sentence("a " * 100, "parents", "raise take-up.", "Take-up")
    assert sentence.startswith("We believe that a a")
    assert sentence.endswith("for parents will raise take-up, measured by Take-up.")
    assert "…" in sentence


def test_the_example_council_tax_pilot_report(example_url: str) -> None:
    with Session(get_engine(example_url)) as session:
        report = get_pilot_report(session=session, slug=COUNCIL_TAX)
        assert report.policy.illustrative
        assert len(report.hypotheses.shown) == 3 and report.hypotheses.more == 0
        assert all(line.sentence.startswith("We believe that") for line in report.hypotheses.shown)
        assert report.hypotheses.shown[0].status == HypothesisStatus.SUPPORTED
        assert "measured by Paid the overdue instalment within 14 days" in (
            report.hypotheses.shown[0].sentence
        )
        # Four user needs: two on the page, "and 2 more".
        assert len(report.needs.shown) == MAX_NEEDS and report.needs.more == 2
        assert report.needs.shown[0].startswith("As a resident")
        assert [line.number for line in report.iterations.shown] == [1, 2, 3]
        assert [line.outcome for line in report.iterations.shown] == ["adapt", "adapt", "scale"]
        assert all(len(line.rationale) <= 130 for line in report.iterations.shown)
        assert report.actual_start == date(2023, 7, 3)
        assert report.plan is not None and len(report.plan.lock_hash) == 64
        assert report.plan.version == 1
        # No stored analysis yet: no results (the report never computes them on the fly).
        assert report.results is None

        run = run_analysis(session=session, actor=factories.ANALYST, pilot_slug=COUNCIL_TAX)
        session.commit()
        report = get_pilot_report(session=session, slug=COUNCIL_TAX)
    results = report.results
    assert results is not None and results.run.id == run.id
    assert results.metric.key == "paid-within-14-days"
    assert results.iterations == [1, 2, 3]
    assert results.headline is not None and results.headline.iteration == 3
    assert results.headline.words.startswith("Paid the overdue instalment within 14 days: between")
    assert {point.metric for point in results.points} == {"paid-within-14-days"}


def test_a_pilot_without_plan_needs_or_iterations(session: Session) -> None:
    factories.make_policy(session)
    factories.make_pilot(session)
    report = get_pilot_report(session=session, slug="letter-trial")
    assert report.plan is None
    assert report.hypotheses.shown == [] and report.needs.shown == []
    assert report.iterations.shown == [] and report.results is None
    assert report.actual_start is None and report.actual_end is None


def test_many_iterations_show_the_latest_and_the_plan_is_the_latest_locked(
    session: Session,
) -> None:
    factories.make_trial(session)
    for number in range(2, 7):
        factories.make_iteration(session, number=number, what_changed=f"Change {number}")
    results.record_decision(
        session=session,
        actor=factories.EDITOR,
        pilot_slug="letter-trial",
        number=6,
        data={
            "outcome": DecisionOutcome.STOP,
            "rationale": "No effect. " * 40,
            "decided_by": "Board",
            "decided_on": date(2025, 6, 1),
        },
    )
    for reason in (None, "A second look"):
        plan = factories.make_plan(
            session, metrics=[("take-up", MetricRole.PRIMARY)], amendment_reason=reason
        )
        plans.lock_plan(
            session=session,
            actor=factories.ANALYST,
            pilot_slug="letter-trial",
            version=plan.plan_version,
            expected_version=None,
        )
    factories.make_plan(  # a draft, not locked: not the plan the report names
        session, metrics=[("take-up", MetricRole.PRIMARY)], amendment_reason="Draft"
    )
    report = get_pilot_report(session=session, slug="letter-trial")
    shown = report.iterations.shown
    assert [line.number for line in shown] == list(range(7 - MAX_ITERATIONS, 7))
    assert report.iterations.more == 6 - MAX_ITERATIONS
    assert shown[-1].outcome == "stop" and shown[-1].rationale.endswith("…")
    assert shown[-1].decided_on == date(2025, 6, 1)
    assert report.plan is not None and report.plan.version == 2


def test_an_unknown_pilot_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        get_pilot_report(session=session, slug="no-such-pilot")
