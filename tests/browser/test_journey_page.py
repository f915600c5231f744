"""The policy journey page in a real browser: the stage chart draws offline, with its table."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import click_and_wait, screenshot_folder, sign_in, watch_page
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

COUNCIL = "council-tax-text-reminders"


def test_a_viewer_follows_a_policy_from_idea_to_live(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    page.goto(f"{live_server}/policies/{COUNCIL}")
    click_and_wait(page, page.get_by_role("link", name="How this policy got here"))
    assert urlsplit(page.url).path == f"/policies/{COUNCIL}/journey"
    page.wait_for_selector("#stage-chart .main-svg", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("#stage-chart").evaluate("el => el.data[0].y.length") >= 5
    assert page.locator("#stage-table tbody tr").count() == 5
    assert page.locator(".app-timeline > li").count() >= 5 + 3 + 3 + 7
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"
    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        page.screenshot(path=output / f"journey-{width}.png", full_page=True)
