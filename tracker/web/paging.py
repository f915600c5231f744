"""List pages show PER_PAGE records at a time (?page=2), so a page's cost does not grow with the
portfolio; the links to other pages keep the filters, and templates/partials/paging.html draws
them with GOV.UK's pagination component and says which records are shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, request, url_for

from tracker.services.search import Found

T = TypeVar("T")

PER_PAGE = 50
PAGE_DIGITS = 9  # a billion pages is past the end of any list; longer numbers are not pages


def requested_page() -> int:
    """The page number in the query string (1 without one). Anything but a positive whole
    number is a link to no page at all, so it is 404 rather than a guess."""
    text = request.args.get("page", "1")
    if not (text.isascii() and text.isdigit() and len(text) <= PAGE_DIGITS and int(text) >= 1):
        abort(404)
    return int(text)


def paged(find: Callable[[int, int], Found[T]]) -> tuple[list[T], Paging]:
    """The requested page of a list, from `find(limit, offset)`, and where it sits."""
    number = requested_page()
    found = find(PER_PAGE, (number - 1) * PER_PAGE)
    return found.items, Paging(number, found.total)


@dataclass(frozen=True)
class Paging:
    """Where page `number` sits in a list of `total` records."""

    number: int
    total: int
    per_page: int = PER_PAGE
    anchor: str | None = None  # where on the page its links land (a list lower down the page)
    label: str | None = None  # the navigation landmark's name, when a page has other lists

    @property
    def offset(self) -> int:
        """How many records come before this page."""
        return (self.number - 1) * self.per_page

    @property
    def pages(self) -> int:
        """How many pages the list fills (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first record, counting from 1."""
        return self.offset + 1

    @property
    def last(self) -> int:
        """The position of the page's last record."""
        return min(self.offset + self.per_page, self.total)

    @property
    def past_end(self) -> bool:
        """Whether the page asked for is beyond the last one of a list that is not empty."""
        return self.total > 0 and self.number > self.pages

    def url(self, number: int) -> str:
        """The URL of page `number` of this list (for templates)."""
        return page_url(number, self.anchor)

    def component(self) -> dict[str, Any] | None:
        """govukPagination parameters for this page, or None when the list fits on one page or
        the page is past its end (the page then links back instead).

        Numbers shown: the first, the last, this page and its neighbours, with an ellipsis for
        each gap, as the GOV.UK design system recommends for long lists.
        """
        if self.pages == 1 or self.past_end:
            return None
        shown = sorted(
            n
            for n in {1, self.number - 1, self.number, self.number + 1, self.pages}
            if 1 <= n <= self.pages
        )
        items: list[dict[str, Any]] = []
        before = 0
        for n in shown:
            if n > before + 1:
                items.append({"ellipsis": True})
            items.append({"number": n, "href": self.url(n), "current": n == self.number})
            before = n
        component: dict[str, Any] = {
            "items": items,
            "previous": {"href": self.url(self.number - 1)} if self.number > 1 else None,
            "next": {"href": self.url(self.number + 1)} if self.number < self.pages else None,
        }
        if self.label is not None:
            component["landmarkLabel"] = self.label
        return component


def page_url(number: int, anchor: str | None = None) -> str:
    """This list's URL at page `number`, with every filter of the current request kept."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("page", None)
    if number > 1:
        args["page"] = [str(number)]
    endpoint = request.endpoint or ""
    return url_for(endpoint, _anchor=anchor, **args)
