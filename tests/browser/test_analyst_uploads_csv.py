"""The analyst's journey in the browser: upload a unit-level CSV with one bad row, see the
problem named by row and column with nothing saved, upload the fixed file, confirm, and find
the dataset on the pilot page with its SHA-256.

Only the first page is opened by its address; the rest is links, buttons and labels, as a user
would use them. Every page is checked by axe-core.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.helpers import click_and_wait, open_by_link, sign_in
from tracker.db import get_engine
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

POLICY = "Text message reminders for council tax"
PILOT_TITLE = "Council tax text reminder pilot"
PILOT = "council-tax-text-reminders-pilot"
METRIC = "Paid the overdue instalment within 14 days"
FILENAME = "iteration-1-payments.csv"
ROWS = [
    ("1001", "Letter only", "0"),
    ("1002", "Generic text", "1"),
    ("1003", "Generic text", "1"),
    ("1004", "Letter only", "1"),
    ("1005", "Generic text", "0"),
    ("1006", "Letter only", "0"),
    ("1007", "Generic text", "1"),
    ("1008", "Letter only", "0"),
]
BAD_ROW = 3  # counted from the first row under the header, as the service names rows


def csv_file(*, broken: bool) -> bytes:
    lines = ["resident_id,arm,paid_14_days"]
    for number, (resident, arm, paid) in enumerate(ROWS, start=1):
        lines.append(f"{resident},{arm},{'yes' if broken and number == BAD_ROW else paid}")
    return ("\n".join(lines) + "\n").encode()


def choose_and_send(page: Page, content: bytes) -> None:
    """Step 1: choose the file and upload it (upload-progress.js sends it, then moves on)."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload data for iteration 1")
    upload: FilePayload = {"name": FILENAME, "mimeType": "text/csv", "buffer": content}
    page.get_by_label("Upload a file").set_input_files(files=[upload])
    with page.expect_navigation(url=re.compile(r"/columns$")):
        page.get_by_role("button", name="Upload file").click()


def stored_datasets(app: Flask) -> list[tuple[str, int, str]]:
    with get_engine(app.config["DATABASE_URL"]).connect() as connection:
        rows = connection.execute(sa.text("SELECT filename, row_count, sha256 FROM dataset"))
        return [tuple(row) for row in rows]


def test_an_analyst_uploads_a_csv_fixes_a_bad_row_and_stores_it(
    page: Page, live_server: str, example_app: Flask
) -> None:
    assert stored_datasets(example_app) == []
    sign_in(page, live_server, Role.ANALYST)
    open_by_link(page, POLICY)
    open_by_link(page, PILOT_TITLE)
    assert urlsplit(page.url).path == f"/pilots/{PILOT}"
    click_and_wait(page, page.get_by_role("link", name="Upload data for iteration 1"))

    # The broken file: map its columns, and the preview names the bad row and column.
    choose_and_send(page, csv_file(broken=True))
    page.get_by_label("Arm column").select_option("arm")
    page.get_by_label(f"Outcome column for {METRIC}").select_option("paid_14_days")
    click_and_wait(page, page.get_by_role("button", name="Continue to the preview"))
    assert page.title().startswith("Error: ")
    expect(page.locator(".govuk-error-summary")).to_contain_text("1 problem was found")
    problems = page.locator(".app-upload-problems li")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text(re.compile(f"row {BAD_ROW}", re.I))
    expect(problems.first).to_contain_text("paid_14_days")
    expect(problems.first).to_contain_text("yes")
    expect(page.get_by_role("button", name="Save the dataset")).to_have_count(0)
    assert stored_datasets(example_app) == []

    # The fixed file replaces it; the column choices are kept.
    click_and_wait(page, page.get_by_role("button", name="Upload a corrected file"))
    fixed = csv_file(broken=False)
    choose_and_send(page, fixed)
    expect(page.get_by_label("Arm column")).to_have_value("arm")
    expect(page.get_by_label(f"Outcome column for {METRIC}")).to_have_value("paid_14_days")
    click_and_wait(page, page.get_by_role("button", name="Continue to the preview"))
    sha256 = hashlib.sha256(fixed).hexdigest()
    assert not page.title().startswith("Error: ")
    expect(page.locator("#row-count")).to_have_text(str(len(ROWS)))
    expect(page.locator("#sha256")).to_have_text(sha256)
    arm_counts = page.get_by_role("table", name="Rows in each arm")
    expect(arm_counts.get_by_role("row", name=re.compile("Generic text"))).to_contain_text("4")
    expect(arm_counts.get_by_role("row", name=re.compile("Letter only"))).to_contain_text("4")
    click_and_wait(page, page.get_by_role("button", name="Save the dataset"))

    # Stored, with its hash, and listed on the pilot page.
    assert urlsplit(page.url).path == f"/pilots/{PILOT}"
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"{FILENAME} is stored: {len(ROWS)} rows"
    )
    datasets = page.get_by_role("table", name="Data files for iteration 1")
    row = datasets.get_by_role("row", name=re.compile(re.escape(FILENAME)))
    expect(row).to_contain_text(str(len(ROWS)))
    expect(row).to_contain_text(sha256[:12])
    row.get_by_text(f"{sha256[:12]}…", exact=True).click()  # the details show the whole hash
    expect(row.get_by_text(sha256, exact=True)).to_be_visible()
    assert stored_datasets(example_app) == [(FILENAME, len(ROWS), sha256)]
