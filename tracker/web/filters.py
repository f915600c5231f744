"""Jinja filters for the pages: numbers, percentages, dates and paragraphs of user text."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum

from flask import Flask
from markupsafe import Markup, escape

from tracker.web import effect_format
from tracker.web.method_words import method_in_words

BLANK_LINES = re.compile(r"\n\s*\n")


def number(value: float | None, places: int = 2) -> str:
    """Thousands separators; at most `places` decimals, trailing zeros dropped; en dash for None."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{places}f}".rstrip("0").rstrip(".")


def percent(value: float | None, places: int = 1) -> str:
    """A proportion as a percentage: 0.3 -> "30.0%"."""
    if value is None:
        return "–"
    return f"{value * 100:.{places}f}%"


def long_date(value: date | datetime | None) -> str:
    """GOV.UK style dates: 4 March 2024."""
    if value is None:
        return "–"
    return f"{value.day} {value:%B %Y}"


def label(value: Enum | str | None) -> str:
    """An enum value for people: value_for_money -> "Value for money"."""
    if value is None:
        return ""
    text = value.value if isinstance(value, Enum) else str(value)
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def paragraphs(text: str | None, classes: str = "govuk-body") -> Markup:
    """User text split on blank lines into escaped <p> elements; single newlines become spaces."""
    chunks = [" ".join(chunk.split()) for chunk in BLANK_LINES.split(text or "")]
    return Markup("\n").join(
        Markup('<p class="{}">{}</p>').format(classes, escape(chunk)) for chunk in chunks if chunk
    )


def register(app: Flask) -> None:
    """Make the filters available to every template."""
    app.jinja_env.filters.update(
        number=number,
        percent=percent,
        long_date=long_date,
        label=label,
        paragraphs=paragraphs,
        method_words=method_in_words,
    )
    app.jinja_env.globals.update(
        format_effect=effect_format.format_effect,
        format_p=effect_format.format_p,
        format_lift=effect_format.format_lift,
        effect_unit=effect_format.effect_unit,
    )
