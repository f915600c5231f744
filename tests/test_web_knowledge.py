"""The "What we learned" page (/knowledge) on the example portfolio: the example searches, the
filters kept in the URL, the headline result linked to its analysis, and user text escaped."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import app_session, seed, text_of
from tracker.models.enums import DecisionOutcome, Role
from tracker.services import iterations, results
from tracker.services.actors import Actor
from tracker.services.analysis import run_analysis

LESSON = re.compile(r'<div class="govuk-summary-card" id="lesson-([a-z0-9-]+)">')
COUNCIL_TAX = "council-tax-text-reminders-pilot"
NHS = "southwark-nhs-health-check-invitation-trial"
RHODE_ISLAND = "ridoh-covid-sms-2021"


def _page(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/knowledge{query}")
    assert response.status_code == 200, query
    return response.get_data(as_text=True)


def _lessons(page: str) -> list[str]:
    return LESSON.findall(page)


def test_every_lesson_newest_first_with_a_sentence_saying_what_the_page_is(
    example_client: FlaskClient,
) -> None:
    page = _page(example_client)
    assert _lessons(page) == [
        f"{COUNCIL_TAX}-v3",  # decided 27 February 2024
        f"{COUNCIL_TAX}-v2",
        f"{COUNCIL_TAX}-v1",
        f"{RHODE_ISLAND}-v3",  # complete, undecided: dated by its end, 14 June 2021
        f"{RHODE_ISLAND}-v2",  # decided 9 June 2021
        f"{RHODE_ISLAND}-v1",
        f"{NHS}-v1",  # ended 31 December 2014
        "nsw-dehejia-wahba-experimental-sample-v1",  # no date: last, by policy title
        "ggl-2006-michigan-primary-mailings-v1",
    ]
    text = text_of(page)
    assert "What we learned What each finished pilot and each decision" in text
    assert "9 lessons Newest first" in text
    assert "Clear filters" not in text
    assert 'href="/knowledge" aria-current="true"' in page  # the nav's "What we learned"


def test_reminder_finds_the_council_tax_pilot_and_the_nhs_health_check_trial(
    example_client: FlaskClient,
) -> None:
    page = _page(example_client, "?q=reminder")
    assert _lessons(page) == [
        f"{COUNCIL_TAX}-v3",
        f"{COUNCIL_TAX}-v2",
        f"{COUNCIL_TAX}-v1",
        f"{NHS}-v1",
    ]
    text = text_of(page)
    assert "4 lessons Matching every word of “reminder”. Clear filters" in text
    assert '<a class="govuk-link" href="#results">Skip the filters to the 4 lessons</a>' in page
    assert 'name="q" type="text" spellcheck="false" value="reminder"' in page
    # the takeaway, the decision, the hypotheses with their status, the metrics
    card = text_of(page[page.index(f'id="lesson-{COUNCIL_TAX}-v3"') :])
    assert "Decision and what we learned Scale on 27 February 2024 by Revenues and Benefits" in card
    assert "It will be sent to every eligible account from March 2024." in card
    assert "What we changed v3: norm text with and without a help signpost" in card
    assert "will reduce avoidable call-centre contacts without reducing payment. Supported" in card
    assert "Measured by Paid the overdue instalment within 14 days" in card
    nhs = text_of(page[page.index(f'id="lesson-{NHS}-v1"') :])
    assert "No decision was recorded for v1. The pilot is Complete" in nhs
    assert "sending a reminder text message after the invitation letter" in nhs
    assert _lessons(_page(example_client, "?q=REMINDER+sms")) == [f"{NHS}-v1"]


def test_vaccination_finds_the_rhode_island_trial(example_client: FlaskClient) -> None:
    assert _lessons(_page(example_client, "?q=vaccination")) == [
        f"{RHODE_ISLAND}-v3",
        f"{RHODE_ISLAND}-v2",
        f"{RHODE_ISLAND}-v1",
    ]


def test_filters_are_get_parameters_kept_in_the_form(example_client: FlaskClient) -> None:
    page = _page(example_client, "?outcome=scale")
    assert _lessons(page) == [f"{COUNCIL_TAX}-v3"]
    assert 'name="outcome" type="checkbox" value="scale" checked' in page
    assert "1 lesson Matching the filters chosen." in text_of(page)
    refuted = _page(example_client, "?hypothesis=refuted&tag=vaccination")
    assert _lessons(refuted) == [f"{RHODE_ISLAND}-v3", f"{RHODE_ISLAND}-v2", f"{RHODE_ISLAND}-v1"]
    assert '<option value="vaccination" selected>vaccination</option>' in refuted
    by_metric = _page(example_client, "?metric=Attended+an+NHS+Health+Check&q=letter")
    assert _lessons(by_metric) == [f"{NHS}-v1"]
    assert "and the filters chosen" in text_of(by_metric)
    assert _lessons(_page(example_client, "?outcome=nonsense")) == _lessons(_page(example_client))


def test_no_match_explains_what_to_try(example_client: FlaskClient) -> None:
    page = _page(example_client, "?q=100%25")  # no text has "100%": the % is not a wildcard
    assert _lessons(page) == []
    text = text_of(page)
    assert "0 lessons" in text and "No lesson matches your search." in text
    assert "use fewer words, or shorter ones" in text
    assert "Skip the filters" not in text
    assert '<a class="govuk-link" href="/knowledge">clear all the filters</a>' in page


def test_user_text_is_escaped(example_client: FlaskClient) -> None:
    page = _page(example_client, "?q=%3Cscript%3Ealert(1)%3C/script%3E&tag=%22%3E%3Cb%3E")
    assert "<script>alert(1)" not in page and '"><b>' not in page
    assert "Matching every word of “&lt;script&gt;alert(1)&lt;/script&gt;”" in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert '<option value="&#34;&gt;&lt;b&gt;" selected>' in page


def test_the_headline_result_in_words_links_to_the_analysis(example_app: Flask) -> None:
    with app_session(example_app) as session:
        run_analysis(session=session, actor=Actor.system("test"), pilot_slug=COUNCIL_TAX)
        session.commit()
    page = _page(signed_in_client(example_app, role=Role.VIEWER), "?q=signpost")
    card = page[page.index(f'id="lesson-{COUNCIL_TAX}-v3"') :]
    assert re.search(
        r"Result Paid the overdue instalment within 14 days: between [\d.]+ and [\d.]+ "
        r"percentage points more with \S.* than with Letter only \(v3, the best of 2 arms, "
        r"95% confidence interval\)",
        text_of(card),
    )
    link = f'href="/pilots/{COUNCIL_TAX}/iterations/3/results-analysis"'
    assert link in card
    assert "No analysis of v3 has been stored yet." not in card


def test_an_empty_portfolio_says_how_lessons_appear(app: Flask) -> None:
    page = _page(signed_in_client(app))
    text = text_of(page)
    assert "0 lessons" in text
    assert "Nothing has been learned here yet. A lesson appears when a team records a decision" in (
        text
    )
    assert '<option value="" selected>All metrics</option>' in page


def test_recorded_text_is_escaped_in_every_part_of_a_lesson(app: Flask) -> None:
    attack = "<script>alert('x')</script>"

    def build(session: Session) -> None:
        factories.make_policy(session, title=f"Policy {attack}", tags=[f"tag {attack}"])
        factories.make_metric(session, key="take-up", name=f"Rate {attack}")
        factories.make_hypothesis(session, we_believe=f"a letter {attack}", measured_by="take-up")
        factories.make_pilot(session, title=f"Pilot {attack}", hypothesis_keys=["letters-work"])
        factories.make_iteration_with_arms(
            session, arms=(("control", True, 0.5), (f"arm {attack}", False, 0.5))
        )
        factories.record_results(
            session,
            {
                arm: {"metric": "take-up", "n": 500, "successes": successes}
                for arm, successes in (("control", 100), (f"arm {attack}", 150))
            },
        )
        iterations.update_iteration(
            session=session,
            actor=factories.EDITOR,
            pilot_slug="letter-trial",
            number=1,
            data={"what_changed": f"Changed {attack}", "why": f"Because {attack}"},
            expected_version=None,
        )
        results.record_decision(
            session=session,
            actor=factories.EDITOR,
            pilot_slug="letter-trial",
            number=1,
            data={
                "outcome": DecisionOutcome.SCALE,
                "rationale": f"Learned {attack}",
                "decided_by": f"Board {attack}",
                "decided_on": date(2025, 5, 1),
            },
        )
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug="letter-trial")

    seed(app, build)
    page = _page(signed_in_client(app), "?q=script")
    assert _lessons(page) == ["letter-trial-v1"]
    assert "<script>alert" not in page
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    for shown in ("Policy", "Pilot", "Rate", "a letter", "Changed", "Because", "Learned", "Board"):
        assert f"{shown} {escaped}" in page, shown
    assert f"more with arm {escaped} than with control" in page  # the headline
    assert f'<option value="tag {escaped}">tag {escaped}</option>' in page
