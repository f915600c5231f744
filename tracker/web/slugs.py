"""Slugs in URLs: the converter that bounds their length and the check that they are well formed."""

from __future__ import annotations

import re

from flask import abort

from tracker.models.base import SLUG_MAX, SLUG_PATTERN

SLUG_ROUTE = f"string(maxlength={SLUG_MAX})"
_SLUG = re.compile(SLUG_PATTERN)


def checked(slug: str) -> str:
    """The slug if it could exist; otherwise 404 before any query (PostgreSQL rejects NUL bytes)."""
    if not _SLUG.fullmatch(slug):
        abort(404)
    return slug
