"""axe-core on every page a browser test visits, so no test can forget to check one.

How it works, per browser context (tests/browser/conftest.py wraps pytest-playwright's
`new_context`, so the `page` fixture and any extra context a test opens are all covered):

* An init script puts node_modules/axe-core/axe.min.js and a small runner into every document.
  The runner tells the audit (through an exposed binding) that a document has started, and
  once it has loaded runs `axe.run` (WCAG 2.0/2.1/2.2 A and AA, plus best practice) and sends
  the findings back the same way.
* A context route holds every main-frame navigation request (a link, a form submission — with
  or without errors —, `page.goto`, `page.reload`) until the document being left has reported,
  and at the end of the test the audit waits for the documents still open. So a quick test
  cannot leave a page before it has been checked.
* Every `load` of a main frame is counted; a document that was left unchecked (say a test added
  its own route that does not call `route.fallback()`) fails the test instead of passing quietly.

Findings with impact "serious" or "critical" fail the test, naming the page, rule, help text
and target selectors; lesser ones are kept in `AxeAudit.minor` for reports.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from playwright.sync_api import BrowserContext, Error, Page, Request, Route

from tests.conftest import unavailable

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = frozenset({"serious", "critical"})
# How long a document may take to load and be checked before the navigation away goes ahead.
CHECK_TIMEOUT_MS = 20_000

# Runs in every frame before the page's own scripts; only top-level documents are checked (axe
# checks same-origin iframes from there). It says when a document starts, then after `load`
# runs axe once and sends the result, both through the binding the audit exposes. The page never
# waits for the binding's answer: while a navigation is held at the gate, none could arrive.
BINDING = "__trackerAxeReport"
RUNNER = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol)) return;
  const report = window[__BINDING__];
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  report({ id, url: location.href, started: true });
  const check = () => setTimeout(() => {
    const started = performance.now();
    // A link the test has just clicked or tabbed to wears GOV.UK's focus style, which swaps the
    // underline for a yellow box, and axe's link-in-text-block rule reads that as "no underline".
    // axe runs late on a loaded machine (while a navigation waits for it), so it can meet that
    // transient state, so the focused link (only) is left out of this document's check.
    const focused = document.activeElement;
    const context = focused && focused.matches("a:focus")
      ? { include: [document], exclude: [focused] }
      : document;
    window.axe.run(context, {
      runOnly: { type: "tag", values: __TAGS__ },
      resultTypes: ["violations"],
    }).then((run) => report({
      id,
      url: location.href,
      ms: Math.round(performance.now() - started),
      violations: run.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        targets: v.nodes.map((n) => n.target.join(" ")),
      })),
    })).catch((error) => report({ id, url: location.href, error: String(error) }));
  }, 50);
  if (document.readyState === "complete") check();
  else window.addEventListener("load", check, { once: true });
})();
""".replace("__BINDING__", json.dumps(BINDING)).replace("__TAGS__", json.dumps(AXE_TAGS))


def require_axe() -> Path:
    """axe.min.js, or skip (fail under CI) saying how to install it."""
    if not AXE_SCRIPT.is_file():
        unavailable(f"browser tests need axe-core at {AXE_SCRIPT}: run `make assets`")
    return AXE_SCRIPT


def without_fragment(url: str) -> str:
    """`url` without its #fragment: following an in-page link does not make a new document."""
    return urlunsplit(urlsplit(url)._replace(fragment=""))


@dataclass(frozen=True)
class Finding:
    """One axe rule broken on one page."""

    url: str
    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]

    def describe(self) -> str:
        targets = ", ".join(self.targets[:8]) + (" …" if len(self.targets) > 8 else "")
        return (
            f"{urlsplit(self.url).path or '/'}: [{self.impact}] {self.rule} — {self.help}"
            f" ({self.help_url}); targets: {targets}"
        )


@dataclass
class AxeAudit:
    """Every document of one browser context, checked by axe before it is left."""

    context: BrowserContext
    current: dict[Page, str] = field(default_factory=dict)  # each page's document id
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # by document id
    loaded: list[str] = field(default_factory=list)
    failures: list[Finding] = field(default_factory=list)
    minor: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, context: BrowserContext) -> AxeAudit:
        """Install axe, the runner, the navigation gate and the load counter on `context`."""
        audit = cls(context)
        context.expose_binding(BINDING, audit._receive)
        context.add_init_script(path=require_axe())
        context.add_init_script(script=RUNNER)
        context.route(_is_page_request, audit._gate)
        for page in context.pages:
            audit._watch(page)
        context.on("page", audit._watch)
        return audit

    @property
    def checked(self) -> list[str]:
        """The pages (URLs without fragments) axe has checked, in order."""
        return [without_fragment(result["url"]) for result in self.results.values()]

    def _watch(self, page: Page) -> None:
        page.on("load", lambda loaded: self.loaded.append(without_fragment(loaded.url)))

    def _receive(self, source: dict[str, Any], message: dict[str, Any]) -> None:
        """A document started (remember it as its page's current one) or axe has finished."""
        if message.get("started"):
            self.current[source["page"]] = message["id"]
            return
        self.results[message["id"]] = message
        url = without_fragment(message["url"])
        if "error" in message:
            self.errors.append(f"{url}: axe failed: {message['error']}")
            return
        for violation in message["violations"]:
            finding = Finding(
                url=url,
                rule=violation["id"],
                impact=violation["impact"] or "unknown",
                help=violation["help"],
                help_url=violation["helpUrl"],
                targets=tuple(violation["targets"]),
            )
            (self.failures if finding.impact in FAILING_IMPACTS else self.minor).append(finding)

    def _gate(self, route: Route, request: Request) -> None:
        """Let a main-frame navigation go only once axe has checked the document it replaces."""
        try:
            frame = request.frame
        except Error:  # a service worker's request has no frame
            frame = None
        if request.is_navigation_request() and frame is not None and frame.parent_frame is None:
            self.wait_for(frame.page)
        route.fallback()

    def wait_for(self, page: Page) -> None:
        """Wait until axe has reported on `page`'s current document (a no-op for about:blank).

        Polls with `page.wait_for_timeout`, which hands control back to Playwright's event loop
        so the report can arrive; `frame.evaluate` would stall while a navigation is pending.
        """
        document = self.current.get(page)
        if document is None or document in self.results:
            return
        deadline = time.monotonic() + CHECK_TIMEOUT_MS / 1000
        while document not in self.results and time.monotonic() < deadline:
            if page.is_closed():
                break
            page.wait_for_timeout(25)
        if document not in self.results:
            self.errors.append(f"{page.url}: axe did not finish before the page was left")
            self.results[document] = {"url": page.url, "error": "timed out"}

    def finish(self) -> None:
        """Wait for the documents still open, then every loaded page must have been checked."""
        for page in self.context.pages:
            if not page.is_closed():
                self.wait_for(page)
        unchecked = Counter(self.loaded) - Counter(self.checked)
        for url in unchecked.elements():
            self.errors.append(f"{url}: loaded but never checked by axe")

    def problems(self) -> list[str]:
        """What fails the test: serious or critical findings (each once) and checks that failed."""
        findings = list(dict.fromkeys(finding.describe() for finding in self.failures))
        return findings + list(dict.fromkeys(self.errors))


def _is_page_request(url: str) -> bool:
    """Requests that may be navigations: everything but the static files pages load."""
    path = urlsplit(url).path
    return not path.startswith(("/static/", "/assets/"))


def report(audits: list[AxeAudit]) -> str | None:
    """The failure message for these contexts' audits, or None when all is well."""
    problems = list(dict.fromkeys(p for audit in audits for p in audit.problems()))
    if not problems:
        return None
    pages = sorted({url for audit in audits for url in audit.checked})
    return (
        f"axe-core found {len(problems)} problem(s) (serious or critical, WCAG 2.2 A/AA and best"
        " practice):\n  " + "\n  ".join(problems) + f"\nPages checked: {', '.join(pages)}"
    )
