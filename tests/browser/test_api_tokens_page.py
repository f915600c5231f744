"""A person makes, copies and revokes an API token in a real browser (axe checks every page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import click_and_wait, screenshot_folder, sign_in, watch_page
from tracker.models.enums import Role

pytestmark = pytest.mark.browser


def test_a_viewer_makes_copies_and_revokes_a_token(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    click_and_wait(page, page.get_by_role("link", name="API tokens"))
    click_and_wait(page, page.get_by_role("button", name="Create token"))  # empty: an error
    assert page.locator(".govuk-error-summary").count() == 1
    page.get_by_label("What is this token for?").fill("Nightly upload from the warehouse")
    click_and_wait(page, page.get_by_role("button", name="Create token"))
    token = page.locator("#api-token").inner_text().strip()
    assert token.startswith("tlt_")
    page.screenshot(path=screenshot_folder(pytestconfig) / "api-token-created.png", full_page=True)
    click_and_wait(page, page.get_by_role("link", name="Back to your API tokens"))
    assert token not in page.content()  # shown once, never again
    click_and_wait(
        page,
        page.get_by_role("button", name="Revoke the token for Nightly upload from the warehouse"),
    )
    assert "it no longer works" in page.content()
    assert watch.off_host == [] and watch.errors == []
