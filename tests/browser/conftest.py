"""Browser fixtures: Debian's Chromium through pytest-playwright, and the app on a live server.

`playwright install` cannot download here, so the browser is the system's /usr/bin/chromium;
without it these tests skip (and fail under CI=true, through `unavailable`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import add_user, unavailable

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


@pytest.fixture
def live_server(example_app: Flask) -> Iterator[str]:
    """The example-portfolio app served over HTTP from a thread, with a viewer (the test's
    TEST_PASSWORD) to sign in as; yields its base URL.

    The session cookie keeps its default Secure flag: Chromium accepts Secure cookies from
    http://127.0.0.1 and localhost (they count as secure contexts), so this is the real set-up.
    """
    add_user(example_app)
    server = make_server("127.0.0.1", 0, example_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
