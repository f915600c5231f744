"""Migration guards: one head, models agree with migrations, and the round trip works."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tracker import migrate
from tracker.config import MIGRATIONS_FOLDER

from .conftest import make_app


def test_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_file_names_read_as_history() -> None:
    names = [p.name for p in (MIGRATIONS_FOLDER / "versions").glob("*.py")]
    assert names
    for name in names:
        date, revision, slug = name.removesuffix(".py").split("_", 2)
        assert len(date) == 8 and date.isdigit(), name
        assert revision and slug, name


def test_models_and_migrations_agree(migrated_url: str) -> None:
    assert migrate.drift(migrated_url) == []


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert migrate.schema_status(database_url).up_to_date
    migrate.downgrade(database_url, "base")
    assert migrate.schema_status(database_url).current == ()
    migrate.upgrade(database_url)
    assert migrate.schema_status(database_url).up_to_date
    assert migrate.drift(database_url) == []


def test_app_refuses_a_database_one_migration_behind(database_url: str, tmp_path: Path) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "-1")
    with pytest.raises(migrate.SchemaOutOfDate) as raised:
        make_app(database_url, tmp_path / "instance")
    assert "tracker db upgrade" in str(raised.value)
    migrate.upgrade(database_url)
    assert make_app(database_url, tmp_path / "instance").name == "tracker"


def test_serve_prints_the_fix_and_exits_non_zero(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from tracker.cli import main

    monkeypatch.setenv("TRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code != 0
    assert "Run `tracker db upgrade`" in result.output
