"""Alembic, driven from the app's own configuration: upgrade, downgrade, status, drift check.

Kept free of the stats engine and the web layer so `tracker db …` starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tracker.config import MIGRATIONS_FOLDER
from tracker.db import get_engine

UPGRADE_COMMAND = "tracker db upgrade"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at migrations/ and the given database."""
    ini = str(MIGRATIONS_FOLDER / "alembic.ini")
    config = Config(ini)
    config.attributes["database_url"] = url
    return config


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database stands against the code's migrations."""

    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    def describe(self) -> str:
        current = ", ".join(self.current) or "empty (no migrations applied)"
        return f"database revision: {current}; code expects: {', '.join(self.heads)}"


def schema_status(url: str) -> SchemaStatus:
    """Read the applied revision(s) from the database and the head(s) from migrations/."""
    script = ScriptDirectory.from_config(alembic_config(url))
    with get_engine(url).connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return SchemaStatus(current=tuple(current), heads=tuple(script.get_heads()))


class SchemaOutOfDate(RuntimeError):
    """Raised at start-up: serving a database behind the code would fail on the first query."""

    def __init__(self, status: SchemaStatus) -> None:
        self.status = status
        super().__init__(
            f"The database schema is not up to date ({status.describe()}). "
            f"Run `{UPGRADE_COMMAND}` to migrate it, then start the app again."
        )


def ensure_up_to_date(url: str) -> None:
    """Refuse to go on with a database that is behind (or ahead of) the code."""
    status = schema_status(url)
    if not status.up_to_date:
        raise SchemaOutOfDate(status)


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def drift(url: str) -> list[object]:
    """Differences between the models and the migrated database; empty when they agree."""
    from alembic.autogenerate import compare_metadata
    from sqlmodel import SQLModel

    import tracker.models  # noqa: F401  (registers every table)

    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return list(compare_metadata(context, SQLModel.metadata))
