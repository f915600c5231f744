"""Counting the SQL a block of code runs, for tests that pages and exports do not grow an N+1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


@contextmanager
def counted_queries(session: Session) -> Iterator[list[str]]:
    """Every SQL statement the session's engine runs inside the block."""
    statements: list[str] = []
    engine = session.get_bind()

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
