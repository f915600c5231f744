"""The policy team's journey in the browser: an editor logs a new iteration with two arms, then
an analyst enters each arm's results for a metric, and both see them on the pilot page.

Only the first page is opened by its address; everything else is done by following links and
pressing buttons by their visible names, as a user would. Every page is checked by axe-core.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import click_and_wait, open_by_link, sign_in
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

POLICY = "Text message reminders for council tax"
PILOT_TITLE = "Council tax text reminder pilot"
PILOT = "council-tax-text-reminders-pilot"
METRIC = "Paid the overdue instalment within 14 days"


def open_pilot(page: Page) -> None:
    """From the portfolio, through the policy, to the pilot."""
    open_by_link(page, POLICY)
    open_by_link(page, PILOT_TITLE)
    assert urlsplit(page.url).path == f"/pilots/{PILOT}"


def fill_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def add_arm(page: Page, number: int, name: str, share: str, *, control: bool) -> None:
    click_and_wait(page, page.get_by_role("link", name=f"Add an arm to iteration {number}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Add an arm to iteration {number}")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill(f"Residents get the {name.lower()}.")
    page.get_by_label("Planned share").fill(share)
    if control:
        page.get_by_label("This is the control arm").check()
    click_and_wait(page, page.get_by_role("button", name="Save arm"))


def test_an_editor_logs_an_iteration_and_an_analyst_enters_its_results(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, Role.EDITOR)
    open_pilot(page)
    iterations_before = page.locator("main h3[id^='iteration-']").count()
    number = iterations_before + 1

    # Add an iteration: a mistake first, then what changed, why and the dates.
    click_and_wait(page, page.get_by_role("link", name="Add an iteration"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an iteration")
    page.get_by_label("Iteration number").fill(str(number))
    page.get_by_label("Title").fill("Plain-English text")
    page.get_by_label("What we changed").fill("We rewrote the text in plain English.")
    page.get_by_label("Why we changed it").fill("Residents told us the old text was unclear.")
    fill_date(page, "Start date", "1", "9", "2024")
    fill_date(page, "End date", "31", "8", "2024")  # before the start: an error
    page.get_by_label("Running").check()
    click_and_wait(page, page.get_by_role("button", name="Save iteration"))
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert "end date" in summary.inner_text().lower()
    fill_date(page, "End date", "30", "11", "2024")
    click_and_wait(page, page.get_by_role("button", name="Save iteration"))

    # Back on the pilot page, at the new iteration.
    assert urlsplit(page.url).path == f"/pilots/{PILOT}"
    iteration = page.locator(f"#iteration-{number}")
    expect(iteration).to_contain_text("Plain-English text")
    expect(page.locator("main")).to_contain_text("We rewrote the text in plain English.")
    expect(page.locator("main")).to_contain_text("Residents told us the old text was unclear.")
    expect(page.locator("main")).to_contain_text("1 September 2024 to 30 November 2024")

    add_arm(page, number, "Current text", "50", control=True)
    add_arm(page, number, "Plain-English text", "50", control=False)
    arms = page.get_by_role("table", name=f"Arms in iteration {number}")
    half = re.compile(r"50(\.0)?%")
    expect(arms.get_by_role("row", name=re.compile(r"Current text \(control\)"))).to_contain_text(
        half
    )
    expect(arms.get_by_role("row", name=re.compile("Plain-English text"))).to_contain_text(half)

    # Results are an analyst's task: sign out, and sign in as an analyst.
    click_and_wait(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, live_server, Role.ANALYST)
    open_pilot(page)
    click_and_wait(page, page.get_by_role("link", name=f"Enter results for iteration {number}"))
    click_and_wait(page, page.get_by_role("link", name=f"Enter results for {METRIC}"))
    for arm, n, successes in (
        ("Current text", "1200", "540"),
        ("Plain-English text", "1180", "602"),
    ):
        fieldset = page.get_by_role("group", name=re.compile(re.escape(arm)))
        fieldset.get_by_label("Units (n)").fill(n)
        fieldset.get_by_label("Successes").fill(successes)
    click_and_wait(page, page.get_by_role("button", name="Save results"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Saved {METRIC} results")

    # The pilot page shows both arms' results.
    click_and_wait(page, page.locator(".govuk-back-link"))
    results = page.get_by_role("table", name=f"Iteration {number} results: {METRIC}")
    expect(results).to_contain_text("Current text")
    expect(results.get_by_role("row", name=re.compile("Current text"))).to_contain_text("1,200")
    expect(results.get_by_role("row", name=re.compile("Plain-English text"))).to_contain_text("602")
