"""The axe-core audit itself: it finds problems, names them, and checks pages left at once."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from tests.browser.axe import AxeAudit, report

pytestmark = pytest.mark.browser

SITE = "http://127.0.0.1:9"
PAGE = """<!DOCTYPE html><html lang="en"><head><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""
PAGES = {
    # An image with no text alternative: axe's image-alt rule, impact critical.
    "/bad": PAGE.format(title="Bad", body='<img src="/static/x.png">'),
    # The same document at another address: checked again, and named again.
    "/bad-again": PAGE.format(title="Bad", body='<img src="/static/x.png">'),
    "/form": PAGE.format(
        title="Form",
        body='<form method="post" action="/submitted"><label for="a">A</label>'
        '<input id="a" name="a"><button>Save</button></form>',
    ),
    # A form page shown again after a POST, its new input without a label: label, critical.
    "/submitted": PAGE.format(title="Error: Form", body='<input name="b">'),
    "/good": PAGE.format(title="Good", body="<p>Fine.</p>"),
}


def serve(route: Route) -> None:
    path = urlsplit(route.request.url).path
    if path in PAGES:
        route.fulfill(status=200, content_type="text/html", body=PAGES[path])
    else:
        route.fulfill(status=404, content_type="text/plain", body="")


def test_every_page_is_checked_even_when_left_at_once(browser: Browser) -> None:
    context = browser.new_context()
    try:
        context.route(f"{SITE}/**", serve)  # registered first, so the audit's gate runs first
        audit = AxeAudit.attach(context)
        page = context.new_page()
        page.goto(f"{SITE}/bad")
        page.goto(f"{SITE}/good")  # straight on: the gate holds this until /bad is checked
        page.goto(f"{SITE}/bad-again")
        page.goto(f"{SITE}/form")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{SITE}/submitted")
        audit.finish()
    finally:
        context.close()

    paths = [urlsplit(url).path for url in audit.checked]
    assert paths == ["/bad", "/good", "/bad-again", "/form", "/submitted"]
    found = {(urlsplit(f.url).path, f.rule, f.impact) for f in audit.failures}
    assert ("/bad", "image-alt", "critical") in found
    assert ("/bad-again", "image-alt", "critical") in found
    assert ("/submitted", "label", "critical") in found
    assert not any(path in {"/good", "/form"} for path, _, _ in found)
    assert audit.errors == []
    message = report([audit])
    assert message is not None
    assert "/bad: [critical] image-alt — Images must have alternative text" in message
    assert "targets: img" in message
    assert "/submitted: [critical] label — Form elements must have labels" in message


def test_a_page_that_was_never_checked_is_a_failure(browser: Browser) -> None:
    context = browser.new_context()
    try:
        context.route(f"{SITE}/**", serve)
        audit = AxeAudit.attach(context)
        page = context.new_page()
        page.goto(f"{SITE}/good")
        # As if the page had been left before axe could report (a route without fallback):
        audit.results.clear()
        audit.current.clear()
        audit.finish()
    finally:
        context.close()
    assert audit.errors == [f"{SITE}/good: loaded but never checked by axe"]
    assert report([audit]) is not None
