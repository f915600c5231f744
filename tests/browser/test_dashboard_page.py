"""A senior official signs in and lands on the portfolio dashboard: every chart draws, offline,
each beside its table, with no edit control in sight (axe-core checks every page it shows)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.helpers import assert_no_edit_controls, screenshot_folder, sign_in, watch_page
from tests.test_web_dashboard import analyse_everything
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

CHART_TABLES = {"pipeline-chart": "pipeline-table", "pilot-status-chart": "pilot-status-table"}
TABLE_ROWS = {"pipeline-table": 6, "pilot-status-table": 5}  # every stage, every status


def test_a_viewer_lands_on_the_dashboard_and_every_chart_draws_offline(
    page: Page, example_app: Flask, live_server: str, pytestconfig: pytest.Config
) -> None:
    analyse_everything(example_app)  # what `make run` does after importing the examples
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    assert urlsplit(page.url).path == "/dashboard"
    assert page.get_by_role("heading", name="Portfolio dashboard", level=1).is_visible()
    page.wait_for_selector("#pilot-status-chart .main-svg", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")

    charts = page.locator("[data-chart-figure]")
    assert sorted(charts.evaluate_all("els => els.map(e => e.id)")) == sorted(CHART_TABLES)
    for chart_id, table_id in CHART_TABLES.items():
        chart = page.locator(f"#{chart_id}")
        assert "js-plotly-plot" in (chart.get_attribute("class") or "")
        assert chart.evaluate("element => element.data.length") > 0
        assert chart.locator("g.trace").count() > 0
        assert page.locator(f"#{table_id} tbody tr").count() == TABLE_ROWS[table_id]
    assert page.locator("#pilot-rag-table tbody tr").count() == 5
    assert page.locator("#rag-rule li").count() == 3
    assert page.get_by_text("from stored analysis run").count() == 5
    assert_no_edit_controls(page)
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"

    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)  # plotly's responsive redraw
        page.screenshot(path=str(output / f"dashboard-{width}.png"), full_page=True)
        for chart_id in CHART_TABLES:
            page.locator(f"#{chart_id}").screenshot(path=str(output / f"{chart_id}-{width}.png"))

    # A filter is a link: applying one keeps it in the address and narrows every section.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Live").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert urlsplit(page.url).query == "q=&stage=live&team=&tag="
    assert page.locator("#pilot-rag-table tbody tr").count() == 1
    assert page.locator("#pilot-status-chart .main-svg").count() >= 1
    assert watch.off_host == []
