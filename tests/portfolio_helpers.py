"""Helpers for portfolio tests: a dump of every table, and a minimal valid portfolio document."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from tracker.db import get_engine


def table_dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered, so two dumps compare equal only if nothing changed."""
    import tracker.models  # noqa: F401

    dump = {}
    with get_engine(url).connect() as connection:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            columns = [column for column in table.columns if column.name != "content"]
            rows = connection.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            dump[name] = [tuple(row) for row in rows]
    return dump


MINIMAL: dict[str, Any] = {
    "format": "tracker-portfolio/1",
    "policies": [
        {
            "slug": "letters",
            "title": "Reminder letters",
            "team": "Debt team",
            "stage": "discovery",
            "problem_statement": "People pay late.",
            "stage_history": [
                {
                    "from": None,
                    "to": "idea",
                    "decided_on": "2024-01-02",
                    "decided_by": "Board",
                    "rationale": "Worth exploring",
                },
                {
                    "from": "idea",
                    "to": "discovery",
                    "decided_on": "2024-02-02",
                    "decided_by": "Board",
                    "rationale": "Evidence of need",
                },
            ],
            "metrics": [
                {"key": "paid", "name": "Paid on time", "kind": "binary", "direction": "increase"}
            ],
            "pilots": [
                {
                    "slug": "letters-trial",
                    "title": "Letters trial",
                    "design": "individual_rct",
                    "iterations": [
                        {
                            "number": 1,
                            "arms": [
                                {
                                    "name": "Control",
                                    "control": True,
                                    "allocation": 0.5,
                                    "results": [{"metric": "paid", "n": 100, "successes": 30}],
                                },
                                {
                                    "name": "Norm letter",
                                    "control": False,
                                    "allocation": 0.5,
                                    "results": [{"metric": "paid", "n": 100, "successes": 41}],
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def minimal() -> dict[str, Any]:
    """A fresh deep copy of the minimal valid portfolio, safe to mutate in a test."""
    return copy.deepcopy(MINIMAL)
