"""What browser tests do as a user would: sign in through the form, look for edit controls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request

from tests.conftest import TEST_PASSWORD
from tracker.models.enums import Role

LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Links to forms and forms that post, inside the page's main content.
EDIT_CONTROLS = "main a[href$='/edit'], main a[href$='/new'], main form[method='post' i]"


def email_of(role: Role) -> str:
    """The address of the live server's user with `role` (see the `live_server` fixture)."""
    return f"{role.value}@example.gov.uk"


def sign_in(page: Page, base_url: str, role: Role) -> None:
    """Sign in through the real form as the live server's user with `role`."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(email_of(role))
    page.get_by_role("textbox", name="Password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text(f"Signed in as Test {role.value} ({email_of(role)})").count() == 1


def assert_no_edit_controls(page: Page) -> None:
    """No link to a form (…/edit, …/new) and no form that posts: what a viewer must see."""
    controls = page.locator(EDIT_CONTROLS)
    found = [
        controls.nth(index).evaluate("e => e.outerHTML.slice(0, 160)")
        for index in range(controls.count())
    ]
    assert found == [], f"{page.url} shows a viewer edit controls: {found}"


def click_and_wait(page: Page, target: Locator) -> None:
    """Follow a link or press a button that loads a new page, and wait for it to load."""
    with page.expect_navigation():
        target.click()


def open_by_link(page: Page, name: str) -> None:
    """Follow the first link in the main content whose visible name starts with `name`."""
    pattern = re.compile(rf"^{re.escape(name)}", re.I)
    click_and_wait(page, page.locator("main").get_by_role("link", name=pattern).first)


@dataclass
class PageWatch:
    """What a page did that it must not: requests to other hosts and uncaught script errors."""

    off_host: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch_page(page: Page) -> PageWatch:
    """Start recording requests that leave this machine and script errors, for the whole test."""
    watch = PageWatch()

    def on_request(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https"} and parts.hostname not in LOCAL_HOSTS:
            watch.off_host.append(request.url)

    page.on("request", on_request)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    return watch


def screenshot_folder(config: pytest.Config) -> Path:
    """The test run's output folder (pytest-playwright's --output), where screenshots go."""
    folder = Path(config.getoption("--output"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
