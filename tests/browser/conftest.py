"""Browser fixtures: Debian's Chromium through pytest-playwright, and the app on a live server.

`playwright install` cannot download here, so the browser is the system's /usr/bin/chromium;
without it these tests skip (and fail under CI=true, through `unavailable`). One browser serves
the whole session; each test gets fresh contexts, and every page any of them shows is checked by
axe-core (tests/browser/axe.py): a serious or critical finding fails the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page
from werkzeug.serving import make_server

from tests.browser.axe import AxeAudit, report, require_axe
from tests.browser.helpers import email_of
from tests.conftest import add_user, unavailable
from tracker.models.enums import Role

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    if not CHROMIUM.exists():
        unavailable(f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


AUDITS = pytest.StashKey[list[AxeAudit]]()


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], request: pytest.FixtureRequest
) -> Callable[..., BrowserContext]:
    """pytest-playwright's context factory (behind `context` and `page`), with axe-core on
    every page: see tests/browser/axe.py. The test fails on serious or critical findings."""
    require_axe()
    audits = request.node.stash.setdefault(AUDITS, [])

    def audited(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        audits.append(AxeAudit.attach(context))
        return context

    return audited


@pytest.fixture
def axe_checked(request: pytest.FixtureRequest) -> Callable[[Page], None]:
    """Wait until axe has checked a page's current document.

    For tests that change what a page shows as soon as it loads: the keyboard test moves focus
    at once, and a focused GOV.UK link drops its underline for the focus style, which axe's
    link-in-text-block rule then flags if it runs that late (it did, on a loaded CI machine).
    """

    def wait(page: Page) -> None:
        for audit in request.node.stash.get(AUDITS, []):
            audit.wait_for(page)

    return wait


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing browser test, check the pages still open; fail on any axe finding."""
    outcome = yield
    audits = item.stash.get(AUDITS, [])
    for audit in audits:
        audit.finish()
    message = report(audits)
    if message:
        pytest.fail(message, pytrace=False)
    return outcome


@pytest.fixture
def live_server(example_app: Flask) -> Iterator[str]:
    """The example-portfolio app served over HTTP from a thread, with a user of each role
    (viewer@, editor@, analyst@, admin@example.gov.uk, all with the test's TEST_PASSWORD) to
    sign in as; yields its base URL.

    The session cookie keeps its default Secure flag: Chromium accepts Secure cookies from
    http://127.0.0.1 and localhost (they count as secure contexts), so this is the real set-up.
    """
    for role in Role:
        add_user(example_app, role=role, email=email_of(role))
    server = make_server("127.0.0.1", 0, example_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
