"""List pages and API lists a page at a time (issue 8): 50 rows per web page with GOV.UK
pagination that keeps the filters, counts of what is shown, and totals from the database."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.api_helpers import api_client
from tests.conftest import signed_in_client
from tests.test_knowledge import make_lessons
from tests.web_helpers import app_session, seed
from tracker.models.enums import PilotStatus, PolicyStage
from tracker.services import knowledge
from tracker.services.knowledge import LessonFilters

POLICY_ROW = re.compile(r'<a class="govuk-link" href="/policies/(policy-\d+)">')
PILOT_ROW = re.compile(r'<a class="govuk-link" href="/pilots/(pilot-\d+)">')
PAGE_LINK = re.compile(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)"')


def _portfolio(session: Session) -> None:
    """60 policies (the odd ones at alpha, tagged "odd"), the first with 60 pilots."""
    for n in range(1, 61):
        factories.make_policy(
            session,
            slug=f"policy-{n:02d}",
            title=f"Policy {n:02d}",
            stage=PolicyStage.ALPHA if n % 2 else PolicyStage.IDEA,
            tags=["odd"] if n % 2 else [],
        )
    for n in range(1, 61):
        factories.make_pilot(
            session, policy_slug="policy-01", slug=f"pilot-{n:02d}", title=f"Pilot {n:02d}"
        )


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    seed(app, _portfolio)
    return signed_in_client(app)


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_portfolio_shows_fifty_policies_a_page(viewer: FlaskClient) -> None:
    first = _get(viewer, "/")
    assert POLICY_ROW.findall(first) == [f"policy-{n:02d}" for n in range(1, 51)]
    assert "Showing 1 to 50 of 60 policies" in first
    assert "Policies (60)" in first
    assert 'class="govuk-pagination' in first
    assert 'href="/?page=2" rel="next"' in first

    second = _get(viewer, "/?page=2")
    assert POLICY_ROW.findall(second) == [f"policy-{n:02d}" for n in range(51, 61)]
    assert "Showing 51 to 60 of 60 policies" in second
    assert 'href="/" rel="prev"' in second
    assert 'aria-current="page"' in second


def test_page_links_keep_the_filters(viewer: FlaskClient) -> None:
    page = _get(viewer, "/?q=Policy&tag=odd&stage=alpha&page=1")
    assert POLICY_ROW.findall(page) == [f"policy-{n:02d}" for n in range(1, 61, 2)]
    assert "Showing 1 to 30 of 30 policies" in page
    assert "govuk-pagination" not in page  # one page: no links

    pilots = _get(viewer, "/pilots?status=planned&q=pilot")
    assert len(PILOT_ROW.findall(pilots)) == 50
    assert "Showing 1 to 50 of 60 pilots" in pilots
    links = set(PAGE_LINK.findall(pilots))
    assert "/pilots?status=planned&amp;q=pilot&amp;page=2" in links
    assert all("status=planned" in link and "q=pilot" in link for link in links)
    second = _get(viewer, "/pilots?status=planned&q=pilot&page=2")
    assert PILOT_ROW.findall(second) == [f"pilot-{n:02d}" for n in range(51, 61)]


def test_a_page_past_the_end_says_so(viewer: FlaskClient) -> None:
    page = _get(viewer, "/?page=9")
    assert POLICY_ROW.findall(page) == []
    assert "There is no page 9: the 60 policies fill 2 pages." in page
    assert "No policies match" not in page
    assert "Showing" not in page
    assert "There is no page 3: the 60 pilots" in _get(viewer, "/pilots?page=3")


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "", "１", "9" * 10])
def test_a_page_that_is_not_a_positive_whole_number_is_not_found(
    viewer: FlaskClient, page: str
) -> None:
    for path in ("/", "/pilots", "/knowledge"):
        assert viewer.get(path, query_string={"page": page}).status_code == 404, (path, page)


def test_api_lists_are_paged_in_the_database_with_the_total(app: Flask) -> None:
    seed(app, _portfolio)
    client = api_client(app)
    body = client.get("/api/v1/policies?limit=25&offset=50").get_json()
    assert [item["slug"] for item in body["items"]] == [f"policy-{n}" for n in range(51, 61)]
    assert body["page"] == {"total": 60, "limit": 25, "offset": 50, "next_offset": None}
    body = client.get("/api/v1/policies?limit=10&offset=10&tag=odd").get_json()
    assert body["items"][0]["slug"] == "policy-21"
    assert body["page"]["total"] == 30 and body["page"]["next_offset"] == 20
    body = client.get(f"/api/v1/pilots?limit=100&offset={2**70}").get_json()
    assert body["items"] == [] and body["page"]["total"] == 60
    body = client.get("/api/v1/pilots?limit=20&offset=40&status=planned").get_json()
    assert [item["slug"] for item in body["items"]] == [f"pilot-{n}" for n in range(41, 61)]
    assert body["page"]["next_offset"] is None
    assert all(item["status"] == PilotStatus.PLANNED for item in body["items"])


def test_lessons_are_paged_after_matching_with_headlines_for_the_page(app: Flask) -> None:
    seed(app, make_lessons)
    with app_session(app) as session:
        every = knowledge.search_lessons(session=session, filters=LessonFilters())
        page = knowledge.find_lessons(session=session, filters=LessonFilters(), limit=2, offset=2)
    assert len(every) > 3 and page.total == len(every)
    assert [(x.pilot.slug, x.iteration) for x in page.items] == [
        (x.pilot.slug, x.iteration) for x in every[2:4]
    ]
    assert [x.headline for x in page.items] == [x.headline for x in every[2:4]]

    client = signed_in_client(app)
    first = _get(client, "/knowledge")
    assert f"Showing 1 to {len(every)} of {len(every)} lessons" in first
    past = _get(client, "/knowledge?page=2")
    assert f"There is no page 2: the {len(every)} lessons fill 1 page." in past
    assert "lesson-" not in past  # no lesson card
