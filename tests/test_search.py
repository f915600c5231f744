"""Finding policies and pilots (services/search.py): each filter alone, combined, text literal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from tests.web_helpers import make_search_pilots, make_search_policies
from tracker.models.enums import EvaluationType, IterationStatus, PilotStatus, PolicyStage
from tracker.services import search
from tracker.services.search import PilotFilters, PolicyFilters


@pytest.fixture
def portfolio(session: Session) -> Session:
    """Four policies whose texts differ only where the tests need them to."""
    make_search_policies(session)
    session.commit()
    return session


def _slugs(session: Session, **filters: Any) -> list[str]:
    found = search.search_policies(session=session, filters=PolicyFilters(**filters))
    return [summary.policy.slug for summary in found]


def test_no_filter_lists_every_policy_by_title(portfolio: Session) -> None:
    assert _slugs(portfolio) == ["bus-passes", "school-meals", "library-cards", "route-500"]
    assert not PolicyFilters().active


def test_stages_are_alternatives(portfolio: Session) -> None:
    assert _slugs(portfolio, stages=(PolicyStage.ALPHA,)) == ["bus-passes", "route-500"]
    assert _slugs(portfolio, stages=(PolicyStage.IDEA, PolicyStage.LIVE)) == [
        "school-meals",
        "library-cards",
    ]
    assert _slugs(portfolio, stages=(PolicyStage.BETA,)) == []


def test_team_and_tag_match_exactly(portfolio: Session) -> None:
    assert _slugs(portfolio, team="Transport") == ["bus-passes", "route-500"]
    assert _slugs(portfolio, team="transport") == []
    assert _slugs(portfolio, tag="travel") == ["bus-passes", "route-500"]
    assert _slugs(portfolio, tag="school") == []  # a tag is matched whole, not "schools"
    assert _slugs(portfolio, tag='the "quoted" tag') == ["school-meals"]


def test_text_matches_title_problem_team_or_tag_ignoring_case(portfolio: Session) -> None:
    assert _slugs(portfolio, text="SCHOOL") == ["school-meals", "library-cards"]  # title, tag
    assert _slugs(portfolio, text="pensioners") == ["bus-passes"]  # problem statement
    assert _slugs(portfolio, text="cultu") == ["library-cards"]  # team
    assert _slugs(portfolio, text="older peo") == ["bus-passes"]  # part of a tag
    assert _slugs(portfolio, text='"quoted"') == ["school-meals"]


def test_stage_and_text_combine(portfolio: Session) -> None:
    assert _slugs(portfolio, stages=(PolicyStage.ALPHA,), text="bus") == [
        "bus-passes",
        "route-500",
    ]
    assert _slugs(portfolio, stages=(PolicyStage.ALPHA,), text="50%") == ["bus-passes"]
    assert _slugs(portfolio, stages=(PolicyStage.LIVE,), text="bus") == []
    assert _slugs(portfolio, team="Transport", tag="older people", text="off") == ["bus-passes"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", ["bus-passes", "school-meals"]),  # only the literal per cent signs
        ("50%", ["bus-passes"]),  # not "500"
        ("_", ["school-meals"]),  # the tag take_up, not every text
        ("take_up", ["school-meals"]),  # not "takeup" (as an unescaped _ would match)
        ("\\", ["route-500"]),
        ("C:\\reports", ["route-500"]),
        (",", []),  # the JSON between tags is not text
        ('", "', []),
        ("[", []),
    ],
)
def test_like_wildcards_in_the_text_are_taken_literally(
    portfolio: Session, text: str, expected: list[str]
) -> None:
    assert _slugs(portfolio, text=text) == expected


def test_policy_choices_list_each_team_and_tag_once(portfolio: Session) -> None:
    choices = search.policy_choices(session=portfolio)
    assert choices.teams == ["Culture", "Education", "Transport"]
    assert choices.tags == ["older people", "schools", "take_up", 'the "quoted" tag', "travel"]


def test_query_values_are_parsed_and_unknown_ones_ignored() -> None:
    assert search.parse_choices(["beta", "nonsense", "idea"], PolicyStage) == (
        PolicyStage.IDEA,
        PolicyStage.BETA,
    )
    assert search.clean_text("  x" * 300)[:3] == "x  "
    assert len(search.clean_text("y" * 1000)) == search.TEXT_MAX
    assert search.like_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


@pytest.fixture
def pilots(portfolio: Session) -> Session:
    """Three pilots over two policies; one has two iterations."""
    make_search_pilots(portfolio)
    portfolio.commit()
    return portfolio


def _pilots(session: Session, **filters: Any) -> list[str]:
    found = search.find_pilots(session=session, filters=PilotFilters(**filters)).items
    return [match.pilot.slug for match in found]


def test_pilots_are_listed_by_policy_then_title_with_their_latest_iteration(
    pilots: Session,
) -> None:
    found = search.find_pilots(session=pilots, filters=PilotFilters()).items
    assert [(m.policy.slug, m.pilot.slug) for m in found] == [
        ("bus-passes", "bus-discount"),
        ("school-meals", "meals-process"),
        ("school-meals", "letter-trial"),
    ]
    latest = {m.pilot.slug: m.latest_iteration for m in found}
    assert latest["bus-discount"] is None
    letter = latest["letter-trial"]
    assert letter is not None and (letter.number, letter.status) == (2, IterationStatus.RUNNING)


def test_pilot_filters_alone_and_combined(pilots: Session) -> None:
    assert _pilots(pilots, statuses=(PilotStatus.RUNNING,)) == ["bus-discount", "letter-trial"]
    assert _pilots(pilots, statuses=(PilotStatus.RUNNING, PilotStatus.COMPLETE)) == [
        "bus-discount",
        "meals-process",
        "letter-trial",
    ]
    assert _pilots(pilots, evaluation_types=(EvaluationType.PROCESS,)) == ["meals-process"]
    assert _pilots(pilots, policy="school-meals") == ["meals-process", "letter-trial"]
    assert _pilots(pilots, text="LEEDS") == ["bus-discount", "letter-trial"]
    assert _pilots(pilots, text="leeds", statuses=(PilotStatus.RUNNING,), policy="bus-passes") == [
        "bus-discount"
    ]
    assert _pilots(pilots, text="leeds_", statuses=(PilotStatus.RUNNING,)) == ["bus-discount"]
    assert _pilots(pilots, text="100%") == ["meals-process"]
    assert _pilots(pilots, text="%") == ["meals-process"]
    assert _pilots(pilots, policy="no-such-policy") == []


def test_the_policy_filter_offers_policies_with_pilots(pilots: Session) -> None:
    assert search.policy_options(session=pilots) == [
        ("bus-passes", "Bus passes at 50% off"),
        ("school-meals", "Free school meals"),
    ]
