"""Optimistic concurrency over HTTP: a record's version is its ETag, and a write must say,
with If-Match, which version it read — so a script never silently overwrites a person's edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from flask import Response, request

from tracker.api.auth import api_actor
from tracker.api.problems import problem
from tracker.db import get_session
from tracker.services.actors import require_write


class Versioned(Protocol):
    """A stored record with an optimistic-locking version."""

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Versioned)


def etag(version: int) -> str:
    """The strong ETag of a record at `version`."""
    return f'"v{version}"'


def if_match_version() -> int | Response:
    """The version the client's If-Match names, or a 428 problem when it sent none we can read."""
    header = request.headers.get("If-Match", "").strip()
    if header.startswith('"v') and header.endswith('"') and header[2:-1].isdigit():
        return int(header[2:-1])
    return problem(
        428,
        "If-Match required",
        'Send the ETag you read with GET (for example If-Match: "v3"), so that a change made '
        "since then is not overwritten.",
    )


def stale(current_version: int) -> Response:
    """412: the record changed after the client read it."""
    return problem(
        412,
        "The record has changed",
        f"It is now at version {current_version} (ETag {etag(current_version)}): read it again "
        "and apply your change to the current version.",
        headers={"ETag": etag(current_version)},
    )


def guarded_update(
    entity: str,
    *,
    load: Callable[[], R],
    changes: Mapping[str, Any],
    respond: Callable[[R], Response],
    apply: Callable[[int], R],
    unchanged: Callable[[R, Mapping[str, Any]], bool] | None = None,
    refuse: Callable[[R], Response | None] | None = None,
) -> Response:
    """A PUT under optimistic locking, the same for every resource.

    The role is checked before the record is read (a viewer hears 403 even for a missing
    record); a change that is already so answers 200 as is (a repeated PUT is idempotent);
    otherwise If-Match must name the current version (428 / 412) and `apply(expected_version)`
    makes the change, which is committed. `unchanged` replaces the field-by-field comparison
    where a resource compares differently (sets, derived fields); `refuse` says why a real
    change cannot be made whatever the version (a locked plan), before If-Match is read.
    """
    require_write(api_actor(), entity)
    record = load()
    same = (unchanged or fields_equal)(record, changes)
    refusal = None if same or refuse is None else refuse(record)
    if refusal is not None:
        return refusal
    expected = expected_version(record, same, respond)
    if isinstance(expected, Response):
        return expected
    record = apply(expected)
    get_session().commit()
    return respond(record)


def expected_version(
    record: R, unchanged: bool, respond: Callable[[R], Response]
) -> int | Response:
    """The version a change to `record` proceeds from, or the response to send instead: the
    record as it is when the change is already so, 428 without If-Match, 412 when stale."""
    if unchanged:
        return respond(record)  # already so: a repeated PUT succeeds unchanged
    return if_match_current(record)


def if_match_current(record: Versioned) -> int | Response:
    """The version If-Match names when it is `record`'s current one; else 428 or 412."""
    expected = if_match_version()
    if isinstance(expected, Response):
        return expected
    if expected != record.version:
        return stale(record.version)
    return expected


def shown_unchanged(stored: Mapping[str, Any], changes: Mapping[str, Any], links: str) -> bool:
    """Whether `changes` would leave a record's public view `stored` as it is. The `links`
    field is a set of linked keys, compared as the services compare it; None leaves it be."""
    for name, value in changes.items():
        if name == links:
            if value is not None and sorted(stored[name]) != sorted(value):
                return False
        elif stored[name] != value:
            return False
    return True


def fields_equal(record: Any, changes: Mapping[str, Any]) -> bool:
    """Whether every changed field already holds its new value."""
    return all(getattr(record, name) == value for name, value in changes.items())
