"""The knowledge base (services/knowledge.py): which iterations and pilots are lessons, every word
matched somewhere, each field searched, filters, literal wildcards, newest first — on SQLite and
PostgreSQL alike (every test takes the `session` fixture)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from tests import factories
from tests.factories import ANALYST, EDITOR
from tracker.models.enums import (
    DecisionOutcome,
    HypothesisStatus,
    MetricKind,
    MetricRole,
    PilotStatus,
)
from tracker.services import knowledge, results
from tracker.services.analysis import run_analysis
from tracker.services.knowledge import LessonFilters

LETTER_V1 = "letter-trial v1"
LETTER_V2 = "letter-trial v2"
BUS_V1 = "bus-pilot v1"
BUS_V2 = "bus-pilot v2"
ABANDONED = "abandoned-pilot"


def _decide(
    session: Session, pilot: str, number: int, outcome: DecisionOutcome, rationale: str, on: date
) -> None:
    results.record_decision(
        session=session,
        actor=EDITOR,
        pilot_slug=pilot,
        number=number,
        data={
            "outcome": outcome,
            "rationale": rationale,
            "decided_by": "Programme board",
            "decided_on": on,
        },
    )


def make_lessons(session: Session) -> None:
    """Two policies whose texts differ only where the tests need them to.

    School meals: a running pilot with decided v1 and v2 and an undecided v3 (not a lesson).
    Bus passes: a complete pilot (v1 decided; v2, its last, undecided), a stopped pilot with no
    iteration, and a planned pilot (not a lesson); the metric "Fares paid" is the policy's but
    no pilot's.
    """
    factories.make_policy(session, title="Free school meals", tags=["schools", "take_up"])
    factories.make_metric(session, key="take-up", name="Take up")
    factories.make_metric(session, key="days-to-claim", name="Days to claim")
    factories.make_hypothesis(
        session,
        key="letters-work",
        we_believe="a simpler letter",
        for_users="eligible parents",
        will="raise take-up",
        measured_by="take-up",
        status=HypothesisStatus.SUPPORTED,
    )
    factories.make_pilot(
        session, title="Letter trial", hypothesis_keys=["letters-work"], status=PilotStatus.RUNNING
    )
    factories.make_plan(session, metrics=[("days-to-claim", MetricRole.SECONDARY)])
    factories.make_iteration(
        session, number=1, what_changed="Shorter letter", why="Écoles said it was confusing"
    )
    factories.make_iteration(session, number=2, what_changed="Added a text message")
    factories.make_iteration(session, number=3, what_changed="Nothing decided yet")
    _decide(
        session, "letter-trial", 1, DecisionOutcome.ADAPT, "Rose by 100 families", date(2025, 3, 1)
    )
    _decide(
        session, "letter-trial", 2, DecisionOutcome.SCALE, "Reached 100% of them", date(2025, 6, 1)
    )

    factories.make_policy(session, slug="bus-passes", title="Bus passes", tags=["transport"])
    factories.make_metric(session, policy_slug="bus-passes", key="journeys", name="Bus journeys")
    factories.make_metric(session, policy_slug="bus-passes", key="fares", name="Fares paid")
    factories.make_hypothesis(
        session,
        policy_slug="bus-passes",
        key="free-pass",
        we_believe="a free pass",
        for_users="older residents",
        will="travel more",
        measured_by="journeys",
        status=HypothesisStatus.REFUTED,
    )
    factories.make_pilot(
        session,
        policy_slug="bus-passes",
        slug="bus-pilot",
        title="Bus pilot",
        hypothesis_keys=["free-pass"],
        status=PilotStatus.COMPLETE,
    )
    factories.make_iteration(session, pilot_slug="bus-pilot", number=1, what_changed="Free pass")
    factories.make_iteration(
        session, pilot_slug="bus-pilot", number=2, end_date=date(2024, 9, 30), why="Winter"
    )
    _decide(session, "bus-pilot", 1, DecisionOutcome.STOP, "Too few trips", date(2024, 5, 1))
    factories.make_pilot(
        session,
        policy_slug="bus-passes",
        slug=ABANDONED,
        title="Abandoned pilot",
        status=PilotStatus.STOPPED,
    )
    factories.make_pilot(
        session, policy_slug="bus-passes", slug="planned-pilot", title="Planned pilot"
    )


@pytest.fixture
def portfolio(session: Session) -> Session:
    make_lessons(session)
    session.commit()
    return session


def _found(session: Session, **filters: Any) -> list[str]:
    lessons = knowledge.search_lessons(session=session, filters=LessonFilters(**filters))
    return [
        f"{lesson.pilot.slug} v{lesson.iteration.number}" if lesson.iteration else lesson.pilot.slug
        for lesson in lessons
    ]


def test_lessons_are_decided_iterations_and_concluded_pilots_newest_first(
    portfolio: Session,
) -> None:
    # letter v3 (undecided, pilot running) and the planned pilot taught nothing yet; bus v2 is
    # dated by its end; the stopped pilot without iterations has no date and comes last.
    assert _found(portfolio) == [LETTER_V2, LETTER_V1, BUS_V2, BUS_V1, ABANDONED]
    assert not LessonFilters().active


def test_a_lesson_carries_its_decision_hypotheses_and_metrics(portfolio: Session) -> None:
    lessons = knowledge.search_lessons(session=portfolio, filters=LessonFilters())
    letter_v2, bus_v2 = lessons[0], lessons[2]
    assert letter_v2.decision is not None and letter_v2.decision.outcome == DecisionOutcome.SCALE
    assert letter_v2.learned_on == date(2025, 6, 1)
    assert [h.key for h in letter_v2.hypotheses] == ["letters-work"]
    # take-up through the hypothesis, days-to-claim through the plan, in the policy's order
    assert [m.key for m in letter_v2.metrics] == ["take-up", "days-to-claim"]
    assert bus_v2.decision is None and bus_v2.learned_on == date(2024, 9, 30)
    assert [m.name for m in bus_v2.metrics] == ["Bus journeys"]  # not "Fares paid"
    assert letter_v2.headline is None  # no analysis stored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("simpler", [LETTER_V2, LETTER_V1]),  # we_believe
        ("older residents", [BUS_V2, BUS_V1]),  # for_users
        ("TRAVEL", [BUS_V2, BUS_V1]),  # will, any case
        ("journeys", [BUS_V2, BUS_V1]),  # metric name
        ("days-to", [LETTER_V2, LETTER_V1]),  # metric key (the plan's metric)
        ("families", [LETTER_V1]),  # decision rationale
        ("shorter", [LETTER_V1]),  # what changed
        ("winter", [BUS_V2]),  # why
        ("meals", [LETTER_V2, LETTER_V1]),  # policy title
        ("abandoned", [ABANDONED]),  # pilot title
        ("version 2", [LETTER_V2, BUS_V2]),  # iteration title (the factory's "Version N")
        ("transport", [BUS_V2, BUS_V1, ABANDONED]),  # tag
        ("écoles", [LETTER_V1]),  # non-ASCII: folded the same on both databases
        ("ÉCOLES", [LETTER_V1]),
        ("fares", []),  # a metric of the policy that the pilot does not use
    ],
)
def test_each_field_is_searched(portfolio: Session, text: str, expected: list[str]) -> None:
    assert _found(portfolio, text=text) == expected


def test_every_word_must_appear_somewhere_in_the_lesson(portfolio: Session) -> None:
    assert _found(portfolio, text="simpler confusing") == [LETTER_V1]  # hypothesis + why
    assert _found(portfolio, text="confusing simpler simpler") == [LETTER_V1]
    assert _found(portfolio, text="simpler travel") == []  # in different lessons only
    assert _found(portfolio, text="  bus   TOO  ") == [BUS_V1]
    many = "simpler confusing shorter letter trial meals free school take up parents eligible"
    assert len(many.split()) > knowledge.SQL_WORDS_MAX  # the words past the SQL's are matched too
    assert _found(portfolio, text=many) == [LETTER_V1]
    assert _found(portfolio, text=many + " zebra") == []


def test_like_wildcards_in_the_text_are_literal(portfolio: Session) -> None:
    assert _found(portfolio, text="100%") == [LETTER_V2]  # not "100 families"
    assert _found(portfolio, text="%") == [LETTER_V2]
    assert _found(portfolio, text="t_avel") == []  # "_" is not any character
    assert _found(portfolio, text="take_up") == [LETTER_V2, LETTER_V1]  # the tag
    assert _found(portfolio, text="\\") == []
    assert _found(portfolio, text='"') == []  # not the JSON quotes around tags


def test_filters_by_outcome_status_metric_and_tag(portfolio: Session) -> None:
    assert _found(portfolio, outcomes=(DecisionOutcome.SCALE,)) == [LETTER_V2]
    assert _found(portfolio, outcomes=(DecisionOutcome.STOP, DecisionOutcome.ADAPT)) == [
        LETTER_V1,
        BUS_V1,
    ]
    assert _found(portfolio, outcomes=(DecisionOutcome.CONTINUE,)) == []
    assert _found(portfolio, hypothesis_statuses=(HypothesisStatus.REFUTED,)) == [BUS_V2, BUS_V1]
    assert _found(
        portfolio, hypothesis_statuses=(HypothesisStatus.SUPPORTED, HypothesisStatus.REFUTED)
    ) == [LETTER_V2, LETTER_V1, BUS_V2, BUS_V1]
    assert _found(portfolio, metric="Days to claim") == [LETTER_V2, LETTER_V1]
    assert _found(portfolio, metric="Fares paid") == []
    assert _found(portfolio, metric="days to claim") == []  # the name as listed, exactly
    assert _found(portfolio, tag="transport") == [BUS_V2, BUS_V1, ABANDONED]
    assert _found(portfolio, tag="take") == []  # a tag is matched whole
    combined = {"tag": "schools", "outcomes": (DecisionOutcome.ADAPT,), "text": "letter"}
    assert _found(portfolio, **combined) == [LETTER_V1]
    assert LessonFilters(tag="schools").active


def test_choices_are_the_metrics_and_tags_of_policies_with_pilots(portfolio: Session) -> None:
    factories.make_policy(portfolio, slug="no-pilots", tags=["unseen"])
    factories.make_metric(portfolio, policy_slug="no-pilots", key="unseen", name="Unseen")
    choices = knowledge.lesson_choices(session=portfolio)
    assert choices.metrics == ["Bus journeys", "Days to claim", "Fares paid", "Take up"]
    assert choices.tags == ["schools", "take_up", "transport"]


def test_no_lessons_in_an_empty_portfolio(session: Session) -> None:
    assert _found(session) == []
    assert knowledge.lesson_choices(session=session) == knowledge.LessonChoices([], [])


def test_the_headline_is_the_iterations_own_from_the_newest_run_covering_it(
    session: Session,
) -> None:
    factories.make_policy(session)
    factories.make_metric(session, key="take-up", name="Take up", kind=MetricKind.BINARY)
    factories.make_pilot(session, status=PilotStatus.COMPLETE)
    for number, successes in ((1, 300), (2, 150)):
        factories.make_iteration_with_arms(session, number=number)
        factories.record_results(
            session,
            {
                "control": {"metric": "take-up", "n": 1000, "successes": 200},
                "new letter": {"metric": "take-up", "n": 1000, "successes": successes},
            },
            number=number,
        )
    _decide(session, "letter-trial", 1, DecisionOutcome.ADAPT, "Better", date(2025, 2, 1))
    run_analysis(session=session, actor=ANALYST, pilot_slug="letter-trial")
    latest = run_analysis(session=session, actor=ANALYST, pilot_slug="letter-trial", iteration=2)
    session.commit()

    # v1 is dated by its decision; v2 (the complete pilot's last, undecided, no end date) comes last
    v1, v2 = knowledge.search_lessons(session=session, filters=LessonFilters())
    assert v1.headline is not None and v1.headline.iteration == 1
    assert v1.headline.words.startswith("Take up: between") and "more with new letter" in (
        v1.headline.words
    )
    assert v2.headline is not None and v2.headline.iteration == 2
    assert v2.headline.run_id == latest.id
    assert "less with new letter" in v2.headline.words


def test_the_database_narrows_the_lessons_before_python_confirms_them(portfolio: Session) -> None:
    # SQL alone picks the one lesson for a word found in a single place …
    assert len(knowledge._candidates(portfolio, LessonFilters(text="shorter"))) == 1
    assert len(knowledge._candidates(portfolio, LessonFilters(text="100%"))) == 1
    # … and may keep extra ones (a metric of the policy the pilot does not use), never fewer.
    assert len(knowledge._candidates(portfolio, LessonFilters(text="fares"))) == 3
    assert len(knowledge._candidates(portfolio, LessonFilters(metric="Fares paid"))) == 3
