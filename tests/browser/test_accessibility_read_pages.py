"""Every read page of the example portfolio, checked by axe-core in Chromium.

The axe check itself is automatic (tests/browser/axe.py): this test only has to visit the
pages. It follows the links a reader would: the portfolio, each policy, each pilot, their
history pages and the histories of the records they link to; and a page that does not exist.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import assert_no_edit_controls, sign_in
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

# Read pages only: no forms, no sign-out.
READ_PAGE_PREFIXES = ("/policies/", "/pilots/", "/history/")
WRITE_PAGE_ENDINGS = ("/new", "/edit")
# History pages all share one template: two of each kind (a policy's, a pilot's, another
# record's such as an analysis plan's) are enough, and keep the test quick.
HISTORIES_OF_EACH_KIND = 2


def links_in_main(page: Page) -> list[str]:
    """Same-site paths of the links in the page's main content and back link, in order."""
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href], .govuk-back-link[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(urljoin(page.url, href))
        if parts.netloc == urlsplit(page.url).netloc:
            paths.append(parts.path)
    return list(dict.fromkeys(paths))


def is_read_page(path: str) -> bool:
    """A page to read (not a form, nor a download such as a plan's canonical.json)."""
    downloads = "." in path.rsplit("/", 1)[-1]
    return (
        path.startswith(READ_PAGE_PREFIXES)
        and not path.endswith(WRITE_PAGE_ENDINGS)
        and not downloads
    )


def test_read_pages_have_no_serious_accessibility_problems(page: Page, live_server: str) -> None:
    """A viewer reads everything (and, on the way, is offered no edit control)."""
    sign_in(page, live_server, Role.VIEWER)  # the sign-in page is checked too
    response = page.goto(f"{live_server}/")
    assert response is not None and response.status == 200
    policies = [path for path in links_in_main(page) if path.startswith("/policies/")]
    assert len(policies) >= 5, policies

    to_visit = list(policies)
    visited: set[str] = set()
    histories: Counter[str] = Counter()
    while to_visit:
        path = to_visit.pop(0)
        if path in visited:
            continue
        if "history" in path.split("/"):
            kind = path.split("/")[1] if path.endswith("/history") else "records"
            if histories[kind] >= HISTORIES_OF_EACH_KIND:
                continue
            histories[kind] += 1
        visited.add(path)
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        assert_no_edit_controls(page)
        to_visit += [link for link in links_in_main(page) if is_read_page(link)]

    print("axe-checked read pages:", *sorted(visited), sep="\n  ")
    pilots = {path for path in visited if path.startswith("/pilots/") and path.count("/") == 2}
    assert len(pilots) >= 5, sorted(visited)
    assert histories == dict.fromkeys(("policies", "pilots", "records"), 2), histories

    response = page.goto(f"{live_server}/policies/no-such-policy")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    response = page.goto(f"{live_server}/no/such/page")
    assert response is not None and response.status == 404
