"""The portfolio's and the pilot list's filters: GET query strings, GOV.UK controls, linkable."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import signed_in_client
from tests.web_helpers import make_search_pilots, make_search_policies, seed
from tracker.models.enums import PolicyStage

POLICY_LINK = re.compile(r'<a class="govuk-link" href="/policies/([a-z0-9-]+)">')
PILOT_LINK = re.compile(r'<a class="govuk-link" href="/pilots/([a-z0-9-]+)">')


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    """A viewer on the search tests' small portfolio: four policies, three pilots."""
    seed(app, make_search_policies)
    seed(app, make_search_pilots)
    return signed_in_client(app)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _results(page: str, link: re.Pattern[str] = POLICY_LINK) -> list[str]:
    table = page[page.index('<table class="govuk-table">') :] if "<table" in page else ""
    return link.findall(table)


def test_the_portfolio_without_filters_lists_everything_and_offers_the_filters(
    viewer: FlaskClient,
) -> None:
    page = _page(viewer, "/")
    assert _results(page) == ["bus-passes", "school-meals", "library-cards", "route-500"]
    assert '<form method="get" action="/"' in page
    assert "Policies (4)" in page
    assert "match" not in page and "Clear filters" not in page
    for stage in PolicyStage:
        assert f'name="stage" type="checkbox" value="{stage.value}"' in page
    assert '<option value="Transport">Transport</option>' in page
    assert '<option value="travel">travel</option>' in page
    assert '<option value="" selected>All teams</option>' in page
    assert '<a class="govuk-link" href="/pilots">Find a pilot</a>' in page


def test_stage_and_text_combine_and_the_form_keeps_them(viewer: FlaskClient) -> None:
    page = _page(viewer, "/?stage=alpha&stage=live&q=BUS")
    assert _results(page) == ["bus-passes", "route-500"]
    assert '<h2 class="govuk-heading-m" id="results">2 policies match</h2>' in page
    assert '<a class="govuk-link" href="/">Clear filters</a>' in page
    assert 'value="alpha" checked' in page and 'value="live" checked' in page
    assert 'value="idea" checked' not in page
    assert 'name="q" type="text" spellcheck="false" value="BUS"' in page


def test_team_tag_and_wildcard_text(viewer: FlaskClient) -> None:
    page = _page(viewer, "/?team=Transport&tag=older+people")
    assert _results(page) == ["bus-passes"]
    assert "1 policy matches" in page
    assert '<option value="Transport" selected>' in page
    assert '<option value="older people" selected>' in page
    assert _results(_page(viewer, "/?q=50%25")) == ["bus-passes"]  # not "500"
    assert _results(_page(viewer, "/?q=_")) == ["school-meals"]  # the tag take_up only


def test_no_match_says_so_and_unknown_values_are_ignored(viewer: FlaskClient) -> None:
    page = _page(viewer, "/?stage=beta")
    assert "0 policies match" in page and "No policies match these filters" in page
    assert _results(_page(viewer, "/?stage=nonsense")) == [
        "bus-passes",
        "school-meals",
        "library-cards",
        "route-500",
    ]
    page = _page(viewer, "/?team=Gone+team")
    assert '<option value="Gone team" selected>Gone team</option>' in page


def test_the_pilot_list_filters_by_status_evaluation_policy_and_text(
    viewer: FlaskClient,
) -> None:
    page = _page(viewer, "/pilots")
    assert _results(page, PILOT_LINK) == ["bus-discount", "meals-process", "letter-trial"]
    assert "Pilots (3)" in page and "Clear filters" not in page
    assert "v2: Version 2" in page and "None yet" in page
    assert '<option value="bus-passes">Bus passes at 50% off</option>' in page

    page = _page(viewer, "/pilots?status=planned&status=running&q=leeds")
    assert _results(page, PILOT_LINK) == ["bus-discount", "letter-trial"]
    assert "2 pilots match" in page
    assert '<a class="govuk-link" href="/pilots">Clear filters</a>' in page
    assert 'value="planned" checked' in page and 'value="complete" checked' not in page

    page = _page(viewer, "/pilots?evaluation=process")
    assert _results(page, PILOT_LINK) == ["meals-process"] and "1 pilot matches" in page
    page = _page(viewer, "/pilots?policy=bus-passes&q=trial")
    assert _results(page, PILOT_LINK) == ["bus-discount"]
    assert '<option value="bus-passes" selected>' in page


def test_empty_portfolio_pages_say_so(client: FlaskClient) -> None:
    assert "There are no policies yet" in _page(client, "/")
    assert "There are no pilots yet" in _page(client, "/pilots")


def test_the_example_portfolio_filters_by_tag(example_client: FlaskClient) -> None:
    page = _page(example_client, "/?tag=published-trial")
    assert "illustrative" not in " ".join(_results(page))
    assert len(_results(page)) >= 3
    assert "council-tax-text-reminders" not in _results(page)
    assert _results(_page(example_client, "/?tag=illustrative")) == ["council-tax-text-reminders"]
    page = _page(example_client, "/pilots?q=council")
    assert _results(page, PILOT_LINK) == ["council-tax-text-reminders-pilot"]
