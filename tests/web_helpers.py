"""Helpers for tests of HTML pages: the CSRF token, the error summary and the conflict panel."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from flask.testing import FlaskClient

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CONFLICT_ROW = re.compile(
    r'<tr class="govuk-table__row">\s*<th scope="row" class="govuk-table__header">(.*?)</th>\s*'
    r'<td class="govuk-table__cell app-pre-line">(.*?)</td>\s*'
    r'<td class="govuk-table__cell app-pre-line">(.*?)</td>',
    re.S,
)
_SUMMARY_LINK = re.compile(
    r'<div class="govuk-error-summary".*?'
    r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>',
    re.S,
)
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the form at `path`, read as a browser would, from the page."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST `data` to the form at `path` with the page's CSRF token, as the browser would."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, **kwargs)


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment, tags dropped and whitespace collapsed."""
    return " ".join(html_lib.unescape(_TAGS.sub(" ", fragment)).split())


def error_summary(page: str) -> list[tuple[str, str]]:
    """The error summary's (message, link target) pairs, in order; [] when there is none."""
    match = _SUMMARY_LINK.search(page)
    if not match:
        return []
    return [(text_of(text), href) for href, text in _LINK.findall(match.group(1))]


def conflict_table(page: str) -> dict[str, tuple[str, str]]:
    """The conflict panel as {field label: (your version, saved version)}."""
    panel = page.split('id="conflict"', 1)
    assert len(panel) == 2, "no conflict panel on the page"
    return {
        text_of(label).removesuffix(" Differs"): (
            html_lib.unescape(yours).strip(),
            html_lib.unescape(saved).strip(),
        )
        for label, yours, saved in _CONFLICT_ROW.findall(panel[1])
    }
