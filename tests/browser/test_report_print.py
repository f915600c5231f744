"""Every example pilot's one-page report prints on exactly one A4 page, with its chart drawn.

The analyses are stored first, as `make run` does (`tracker import --analyse`), so each report
has its latest results and chart. Chromium prints each page as its print preview would (the
stylesheet's @page size and margins), and a PNG of each, in print media, goes to the test
output folder for a person to read.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page
from sqlmodel import Session, col, select

from tests import factories
from tests.browser.helpers import screenshot_folder, sign_in, watch_page
from tracker.db import get_engine
from tracker.models import Pilot
from tracker.models.enums import Role
from tracker.services.analysis import pilot_has_results, run_analysis

pytestmark = pytest.mark.browser

# One PDF page object per printed page; "/Type /Pages" is the page tree, not a page.
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)\b")
# The printable area of A4 less the stylesheet's margins (10mm top and bottom, 12mm at the
# sides), in CSS pixels at 96 per inch.
PRINTABLE = {"width": round(186 / 25.4 * 96), "height": round(277 / 25.4 * 96)}
FOREST_PILOT = "southwark-nhs-health-check-invitation-trial"


def _analysed_pilots(app: Flask) -> list[str]:
    """Store an analysis of every example pilot with results; return every pilot's slug."""
    with Session(get_engine(app.config["DATABASE_URL"])) as session:
        slugs = list(session.exec(select(Pilot.slug).order_by(col(Pilot.id))))
        for slug in slugs:
            if pilot_has_results(session=session, pilot_slug=slug):
                run_analysis(session=session, actor=factories.ANALYST, pilot_slug=slug)
        session.commit()
    return slugs


def _rows_line_up(page: Page) -> None:
    """In a forest plot each arm's point sits on the line of its table row."""
    offsets = page.evaluate(
        """() => {
          const rows = [...document.querySelectorAll('#report-chart-table tbody tr')];
          const points = [...document.querySelectorAll('#report-chart .scatterlayer .point')];
          const middle = (e) => {
            const box = e.getBoundingClientRect();
            return box.top + box.height / 2;
          };
          return rows.map((row, i) => Math.abs(middle(row) - middle(points[i])));
        }"""
    )
    assert len(offsets) == 15 and max(offsets) < 3, offsets


def test_each_example_report_prints_on_one_a4_page(
    page: Page, live_server: str, example_app: Flask, pytestconfig: pytest.Config
) -> None:
    slugs = _analysed_pilots(example_app)
    assert len(slugs) == 5
    watch = watch_page(page)
    sign_in(page, live_server, Role.VIEWER)
    output = screenshot_folder(pytestconfig)
    pages = {}
    for slug in slugs:
        page.set_viewport_size({"width": 1000, "height": 1200})
        page.emulate_media(media=None)  # printing uses print media only when none is emulated
        page.goto(f"{live_server}/pilots/{slug}/report")
        page.wait_for_selector("#report-chart .main-svg", state="attached", timeout=20_000)
        page.wait_for_load_state("networkidle")
        assert page.locator("#report-chart .scatterlayer .point").count() >= 1  # drawn
        assert page.locator("#headline").inner_text().strip() != ""
        if slug == FOREST_PILOT:
            _rows_line_up(page)
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        pages[slug] = len(PDF_PAGE.findall(pdf))

        page.emulate_media(media="print")
        page.set_viewport_size(PRINTABLE)
        page.wait_for_timeout(300)  # plotly redraws at the printed width
        assert page.locator(".app-report__screen-only").is_hidden()
        height = page.evaluate("document.querySelector('#report').getBoundingClientRect().height")
        assert height <= PRINTABLE["height"], f"{slug}: {height}px of {PRINTABLE['height']}px"
        page.screenshot(path=output / f"report-{slug}.png", full_page=True)
    assert pages == dict.fromkeys(slugs, 1)
    assert watch.off_host == [], f"requests to other hosts: {watch.off_host}"
    assert watch.errors == [], f"page errors: {watch.errors}"
