"""The pilot learning page in a real browser: every chart draws, offline, with its tables."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request

from tests.browser.helpers import sign_in
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

COUNCIL_TAX = "council-tax-text-reminders-pilot"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def test_learning_page_draws_every_chart_offline(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    off_host: list[str] = []

    def watch(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https"} and parts.hostname not in LOCAL_HOSTS:
            off_host.append(request.url)

    page.on("request", watch)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, Role.VIEWER)
    page.goto(f"{live_server}/pilots/{COUNCIL_TAX}")
    with page.expect_navigation():
        page.get_by_role("link", name="How the pilot has learned across iterations").click()
    assert urlsplit(page.url).path == f"/pilots/{COUNCIL_TAX}/learning"
    page.wait_for_selector("#learning-chart-1 .main-svg", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")

    charts = page.locator("[data-chart-figure]")
    assert charts.count() >= 4  # the sample chart and one learning curve per metric
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert "js-plotly-plot" in (chart.get_attribute("class") or "")
        assert chart.evaluate("element => element.data.length") > 0
        assert chart.locator("g.trace").count() > 0
    # Each chart's table alternative is present.
    assert page.locator("#sample-table tbody tr").count() == 3
    for index in range(1, charts.count()):
        assert page.locator(f"#learning-table-{index} tbody tr").count() >= 3
        assert page.locator(f"#across-table-{index}").count() == 1
    assert page.locator("#timeline-table tbody tr").count() == 3
    assert page.get_by_text("does not use sequential monitoring").count() == 1
    assert off_host == [], f"requests to other hosts: {off_host}"
    assert errors == [], f"page errors: {errors}"

    output = Path(pytestconfig.getoption("--output"))
    output.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)  # plotly's responsive redraw
        page.screenshot(path=str(output / f"learning-page-{width}.png"), full_page=True)
        for chart_id in ("sample-chart", "learning-chart-1"):
            page.locator(f"#{chart_id}").screenshot(path=str(output / f"{chart_id}-{width}.png"))
        page.screenshot(path=str(output / f"learning-page-top-{width}.png"))
