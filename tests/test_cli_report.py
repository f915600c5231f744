"""`tracker report`: the one-page report as a standalone HTML file, or a PDF through Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session

from tests import factories
from tests.conftest import unavailable
from tracker.cli import _chromium, main
from tracker.db import get_engine
from tracker.services.analysis import run_analysis

COUNCIL_TAX = "council-tax-text-reminders-pilot"
TITLE = "Council tax text reminder pilot (illustrative)"

Cli = Callable[..., Result]


@pytest.fixture
def report_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, example_url: str
) -> Callable[..., Result]:
    """Run `tracker report …` on the example portfolio, with the council tax pilot analysed."""
    with Session(get_engine(example_url)) as session:
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug=COUNCIL_TAX)
        session.commit()
    monkeypatch.setenv("TRACKER_DATABASE_URL", example_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["report", *args])

    return run


def test_html_is_one_self_contained_file(report_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = report_cli(COUNCIL_TAX, "--html", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote the report of {COUNCIL_TAX} as HTML to {out}" in result.output
    page = out.read_text(encoding="utf-8")
    assert TITLE in page
    # Nothing to fetch: styles, fonts, plotly.js and the chart script are all in the file.
    assert 'href="/' not in page and 'src="/' not in page
    assert "@page" in page and "font/woff2;base64," in page
    assert "Plotly" in page and 'id="report-chart-figure"' in page
    assert "data-chart-figure" in page


def test_an_unknown_pilot_is_an_error_naming_it(report_cli: Cli, tmp_path: Path) -> None:
    result = report_cli("no-such-pilot", "--html", str(tmp_path / "x.html"))
    assert result.exit_code != 0
    assert "There is no pilot with the slug 'no-such-pilot'" in result.output
    assert not (tmp_path / "x.html").exists()


def test_an_output_is_required(report_cli: Cli) -> None:
    result = report_cli(COUNCIL_TAX)
    assert result.exit_code != 0 and "--pdf FILE and/or --html FILE" in result.output


def test_without_chromium_the_html_is_written_instead(
    report_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CHROMIUM", str(tmp_path / "no-chromium-here"))
    result = report_cli(COUNCIL_TAX, "--pdf", str(tmp_path / "report.pdf"))
    assert result.exit_code == 0, result.output
    assert "No Chromium was found" in result.output
    assert not (tmp_path / "report.pdf").exists()
    assert TITLE in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_pdf_is_printed_by_chromium(report_cli: Cli, tmp_path: Path) -> None:
    if _chromium() is None:
        unavailable("the PDF needs Chromium (/usr/bin/chromium or chromium on PATH)")
    out = tmp_path / "report.pdf"
    result = report_cli(COUNCIL_TAX, "--pdf", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") == 1  # one A4 page
