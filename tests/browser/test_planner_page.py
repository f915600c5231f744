"""The planner page in a browser: the power curve draws offline, with its table, at two widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import screenshot_folder, sign_in, watch_page
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

PILOT = "ggl-2006-michigan-primary-mailings"


def test_planner_draws_its_power_curve(
    page: Page, live_server: str, pytestconfig: pytest.Config
) -> None:
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    output = screenshot_folder(pytestconfig)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/pilots/{PILOT}/planner")
        page.wait_for_selector("#power-curve .main-svg", state="attached", timeout=20_000)
        page.wait_for_load_state("networkidle")
        assert (
            page.evaluate("document.getElementById('power-curve').data.length") == 2
        )  # the curve and the answer
        assert page.locator("#power-curve g.trace.scatter").count() == 2
        assert page.locator("#power-curve-table tbody tr").count() > 10
        assert page.locator("#current-mde").count() == 1
        page.screenshot(path=str(output / f"planner-{width}.png"), full_page=True)

    # A bad input: the error summary links to the field, and no chart is drawn.
    page.goto(f"{live_server}/planner?kind=binary&solve_for=n&baseline=0.5&effect=0.1&alpha=2")
    summary = page.locator(".govuk-error-summary")
    assert (
        summary.get_by_role(
            "link", name="The significance level must be between 0 and 1, like 0.05"
        ).count()
        == 1
    )
    assert page.locator("#power-curve").count() == 0
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
