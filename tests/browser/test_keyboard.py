"""Keyboard only: the skip link comes first, Tab reaches every control of a form page in order,
and whatever has focus shows it (GOV.UK's yellow focus state, not the browser's nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.helpers import sign_in
from tracker.models.enums import Role

pytestmark = pytest.mark.browser

# Form pages to walk through, by endpoint and URL, for whichever of them the app has.
FORM_PAGES = [
    ("users.new", "/users/new"),
    ("site_settings.edit", "/admin/settings"),
    ("policy_forms.new", "/policies/new"),
    ("policy_records.new_user_need", "/policies/council-tax-text-reminders/user-needs/new"),
    ("iterations.new", "/pilots/council-tax-text-reminders-pilot/iterations/new"),
]
MOST_TABS = 120

# Marks every control a keyboard user must reach in <main>, in document order, and remembers
# how each looks unfocused. Radios (and other same-name groups) take one tab stop per group.
MARK_CONTROLS = """() => {
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
  const visible = (e) =>
    e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const groups = new Set();
  const controls = [];
  for (const e of document.querySelectorAll(`main :is(${selector})`)) {
    if (e.disabled || e.tabIndex < 0) continue;
    if (!visible(e) && !(e.type === "radio" || e.type === "checkbox")) continue;
    if (e.type === "radio") {
      if (groups.has(e.name)) continue;
      groups.add(e.name);
    }
    e.dataset.keyboardStop = String(controls.length);
    controls.push(e.id || e.name || e.textContent.trim().slice(0, 40));
  }
  return controls;
}"""

# The focus indicator of the element that has focus, compared with the same element unfocused.
# Radios and checkboxes hide the input and draw focus on their label's ::before/::after.
FOCUS_STATE = """() => {
  const e = document.activeElement;
  const drawn = (e.type === "radio" || e.type === "checkbox") && e.labels.length
    ? [e.labels[0], "::before"] : [e, null];
  const look = () => {
    const s = getComputedStyle(drawn[0], drawn[1]);
    const after = getComputedStyle(drawn[0], "::after");
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
            s.borderWidth, s.color, after.boxShadow, after.borderWidth].join("|");
  };
  const focused = look();
  e.blur();
  const unfocused = look();
  e.focus({ focusVisible: true });
  return {
    stop: e.dataset.keyboardStop ?? null,
    inMain: !!e.closest("main"),
    tag: e.tagName.toLowerCase(),
    name: (e.id || e.getAttribute("name") || e.textContent || "").trim().slice(0, 60),
    classes: e.className,
    changed: focused !== unfocused,
  };
}"""


def walk(page: Page) -> tuple[list[str], list[dict[str, Any]]]:
    """Tab through the page from its top: the controls in <main> and every focus stop."""
    controls: list[str] = page.evaluate(MARK_CONTROLS)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops: list[dict[str, Any]] = []
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):
            break  # Tabbed off the end of the page.
        stop = page.evaluate(FOCUS_STATE)
        stops.append(stop)
        if stop["stop"] == str(len(controls) - 1):
            break
    return controls, stops


def test_keyboard_reaches_every_control_in_order_with_a_visible_focus(
    page: Page, live_server: str, example_app: Flask, axe_checked: Callable[[Page], None]
) -> None:
    endpoints = {rule.endpoint for rule in example_app.url_map.iter_rules()}
    pages = [path for endpoint, path in FORM_PAGES if endpoint in endpoints]
    assert "/users/new" in pages
    sign_in(page, live_server, Role.ADMIN)

    for path in pages:
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        axe_checked(page)
        controls, stops = walk(page)
        assert len(controls) >= 3, (path, controls)

        # The first Tab lands on the skip link, before the header.
        first = stops[0]
        assert "govuk-skip-link" in first["classes"], (path, first)
        # Every control in main is reached, each once, in the page's order.
        reached = [int(stop["stop"]) for stop in stops if stop["stop"] is not None]
        assert reached == list(range(len(controls))), (path, controls, stops)
        # Nothing focusable outside main's controls interrupts them (say, a hidden link).
        inside = [stop for stop in stops if stop["inMain"]]
        assert all(stop["stop"] is not None for stop in inside), (path, inside)
        # Every stop shows it has focus.
        unseen = [stop for stop in stops if not stop["changed"]]
        assert unseen == [], f"{path}: focus is not visible on {unseen}"

        # The skip link takes a keyboard user straight to the page's content.
        page.locator(".govuk-skip-link").focus()
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main-content"
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.dataset.keyboardStop") == "0"
