"""A viewer asks "what did we learn about reminders?" on the knowledge page, in a real browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.helpers import (
    assert_no_edit_controls,
    click_and_wait,
    screenshot_folder,
    sign_in,
    watch_page,
)
from tests.web_helpers import app_session
from tracker.models.enums import Role
from tracker.services.actors import Actor
from tracker.services.analysis import run_analysis

pytestmark = pytest.mark.browser

COUNCIL_TAX = "council-tax-text-reminders-pilot"


def test_viewer_searches_what_we_learned_about_reminders(
    page: Page, live_server: str, example_app: Flask, pytestconfig: pytest.Config
) -> None:
    with app_session(example_app) as session:  # a stored analysis gives the headline result
        run_analysis(session=session, actor=Actor.system("test set-up"), pilot_slug=COUNCIL_TAX)
        session.commit()
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    click_and_wait(page, page.get_by_role("link", name="What we learned"))
    assert page.get_by_role("heading", level=1).inner_text() == "What we learned"
    assert page.get_by_role("heading", name="9 lessons").count() == 1

    page.get_by_label("Search").fill("reminder")
    click_and_wait(page, page.get_by_role("button", name="Apply filters"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["reminder"]
    assert page.get_by_role("heading", name="4 lessons").count() == 1
    assert page.get_by_role("link", name="Skip the filters to the 4 lessons").count() == 1
    cards = page.locator("main .govuk-summary-card")
    assert cards.count() == 4
    titles = [cards.nth(i).get_by_role("heading", level=3).inner_text() for i in range(4)]
    assert titles[0] == "Council tax text reminder pilot (illustrative), v3"
    assert titles[3].startswith("NHS Health Check invitation letters and SMS")
    first = cards.first
    assert first.locator(".govuk-tag", has_text="Scale").count() == 1
    assert "percentage points more with" in first.inner_text()
    assert_no_edit_controls(page)

    # The headline links to the iteration's analysis.
    click_and_wait(page, first.get_by_role("link", name="Read the analysis of v3"))
    assert urlsplit(page.url).path == f"/pilots/{COUNCIL_TAX}/iterations/3/results-analysis"
    page.go_back()
    page.evaluate("window.scrollTo(0, 0)")

    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(output / f"knowledge-reminder-{width}.png"), full_page=True)
        page.screenshot(path=str(output / f"knowledge-reminder-top-{width}.png"))
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"
