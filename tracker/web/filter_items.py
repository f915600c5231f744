"""Filter panels on list pages (templates/partials/filters.html): what the panel sent in the query
string, and GOV.UK checkbox and select items with the chosen values ticked."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Any

from flask import request

from tracker.services.search import Choice, clean_text, parse_choices
from tracker.web.filters import label


def ticked(name: str, enum: type[Choice]) -> tuple[Choice, ...]:
    """The members of `enum` ticked in the panel's `name` checkboxes; unknown values are ignored."""
    return parse_choices(request.args.getlist(name), enum)


def picked(name: str) -> str:
    """The value chosen in the panel's `name` select; "" is its "All …" option."""
    return request.args.get(name, "").strip()


def search_text() -> str:
    """The words typed in the panel's search box, which every panel names `q`."""
    return clean_text(request.args.get("q"))


def enum_checkboxes(
    members: Iterable[StrEnum], chosen: Collection[StrEnum]
) -> list[dict[str, Any]]:
    """govukCheckboxes items, one per member, ticked when chosen."""
    return [
        {"value": member.value, "text": label(member), "checked": member in chosen}
        for member in members
    ]


def select_items(
    options: Iterable[tuple[str, str]], chosen: str, *, any_text: str
) -> list[dict[str, Any]]:
    """govukSelect items: "any" first (value ""), then (value, text) options, chosen selected.

    A chosen value that is no longer an option (a team renamed since the link was shared) is
    kept as an option, so the form still shows what the results are filtered by.
    """
    items = [{"value": "", "text": any_text, "selected": not chosen}]
    values = set()
    for value, text in options:
        values.add(value)
        items.append({"value": value, "text": text, "selected": value == chosen})
    if chosen and chosen not in values:
        items.append({"value": chosen, "text": chosen, "selected": True})
    return items
