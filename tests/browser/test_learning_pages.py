"""The pilot learning page in a real browser: every chart draws, offline, with its tables."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import screenshot_folder, sign_in, watch_page
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

COUNCIL_TAX = "council-tax-text-reminders-pilot"


def test_learning_page_draws_every_chart_offline(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    watch = watch_page(page)
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
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"

    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)  # plotly's responsive redraw
        page.screenshot(path=str(output / f"learning-page-{width}.png"), full_page=True)
        for chart_id in ("sample-chart", "learning-chart-1"):
            page.locator(f"#{chart_id}").screenshot(path=str(output / f"{chart_id}-{width}.png"))
        page.screenshot(path=str(output / f"learning-page-top-{width}.png"))
