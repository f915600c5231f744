"""The pilot page in a real browser: GOV.UK styles and scripts load, the chart draws, offline."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route

from tests.browser.helpers import LOCAL_HOSTS
from tests.conftest import TEST_PASSWORD
from tracker.config import STATIC_FOLDER

pytestmark = pytest.mark.browser

PUBLISHED_PILOT = "ggl-2006-michigan-primary-mailings"
VIEWER_EMAIL = "viewer@example.gov.uk"


def test_pilot_page_draws_its_chart_without_the_internet(page: Page, live_server: str) -> None:
    assert (STATIC_FOLDER / "govuk").is_dir(), "GOV.UK Frontend is not built: run `make assets`"
    requested: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []

    def local_only(route: Route) -> None:
        url = route.request.url
        requested.append(url)
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname not in LOCAL_HOSTS:
            blocked.append(url)
            route.abort()
        else:
            route.fallback()  # on to the axe audit's gate (tests/browser/axe.py), then the server

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.route("**/*", local_only)
    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Signed out, the pilot page sends you to sign in and then back to the pilot.
    page.goto(f"{live_server}/pilots/{PUBLISHED_PILOT}")
    assert urlsplit(page.url).path == "/sign-in"
    page.get_by_label("Email address").fill(VIEWER_EMAIL)
    page.get_by_role("textbox", name="Password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path == f"/pilots/{PUBLISHED_PILOT}"
    assert page.get_by_text(f"Signed in as Test viewer ({VIEWER_EMAIL}), viewer").count() == 1
    # Chromium keeps and sends the Secure session cookie on plain http://127.0.0.1.
    session_cookie = [c for c in page.context.cookies() if c["name"] == "session"]
    assert len(session_cookie) == 1 and session_cookie[0]["secure"]
    assert session_cookie[0]["httpOnly"] and session_cookie[0]["sameSite"] == "Lax"
    response = page.reload()
    assert response is not None and response.status == 200
    page.wait_for_selector("#outcome-chart .main-svg", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")

    assert blocked == [], f"requests to other hosts: {blocked}"
    assert errors == [], f"console errors: {errors}"
    assert any(url.endswith("/assets/plotly.min.js") for url in requested)
    # One marker trace per arm, drawn by plotly.js from the embedded figure.
    assert page.locator("#outcome-chart g.trace.scatter").count() == 5
    assert page.locator("#outcome-chart .modebar").count() == 1
    assert page.locator("#outcome-chart .modebar-btn[data-title*='PNG' i]").count() == 1
    # Nothing on the toolbar may send the data away (plotly.js 4 offers "Share chart...").
    assert page.locator("#outcome-chart .modebar-btn[data-title*='Share' i]").count() == 0
    assert page.locator("#outcome-chart [href*='plotly.com']").count() == 0
    # GOV.UK Frontend's CSS and its module script both ran.
    body_classes = page.evaluate("document.body.className")
    assert "govuk-frontend-supported" in body_classes
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font
    navigation = page.locator(".govuk-service-navigation")
    assert navigation.get_attribute("data-govuk-service-navigation-init") is not None
