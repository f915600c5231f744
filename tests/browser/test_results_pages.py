"""An analyst runs an iteration's analysis in a real browser and reads it: forest plot and table."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import click_and_wait, screenshot_folder, sign_in, watch_page
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

GGL = "ggl-2006-michigan-primary-mailings"


def test_analyst_runs_and_reads_the_results_of_an_iteration(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    watch = watch_page(page)
    sign_in(page, live_server, Role.ANALYST)
    page.goto(f"{live_server}/pilots/{GGL}")
    click_and_wait(page, page.get_by_role("link", name="Read the analysis of v1").first)
    assert page.get_by_text("The analysis of this iteration has not been run yet.").count() == 1
    click_and_wait(page, page.get_by_role("button", name="Run the analysis"))

    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")
    charts = page.locator(".app-chart.js-plotly-plot")
    assert charts.count() >= 1
    # plotly.js drew the embedded figure: one point per arm against control.
    points = charts.first.evaluate("el => el.data[0].x.length")
    assert points == 4
    table = page.locator("table[id^='results-']").first
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 4
    assert page.get_by_role("link", name="Download every table as CSV").count() == 1
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"

    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)  # plotly resizes the chart to the new width
        page.screenshot(path=output / f"results-analysis-{width}.png", full_page=True)
    # plotly's own toolbar saves the chart as PNG and as SVG in the browser (after the
    # screenshots, because plotly shows a notice while it saves).
    for kind in ("png", "svg"):
        with page.expect_download() as download:
            charts.first.locator(f".modebar-btn[data-title*='{kind}' i]").click(force=True)
        assert download.value.suggested_filename.endswith(f".{kind}")
    assert watch.off_host == []
