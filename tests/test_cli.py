"""The `tracker` command as a user runs it: database, import, export, users."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.cli import main
from tracker.config import EXPERIMENTS_FOLDER

from .portfolio_helpers import minimal, table_dump
from .test_portfolio_import import write

Cli = Callable[..., Result]


@pytest.fixture
def tracker_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `tracker …` against a given database URL."""

    def run(url: str, *args: str, input: str | None = None) -> Result:
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
        return CliRunner().invoke(main, list(args), input=input)

    return run


def test_db_upgrade_current_and_check(tracker_cli: Cli, database_url: str) -> None:
    behind = tracker_cli(database_url, "db", "current")
    assert "behind: run `tracker db upgrade`" in behind.output
    assert tracker_cli(database_url, "db", "check").exit_code != 0
    assert tracker_cli(database_url, "db", "upgrade").exit_code == 0
    assert "up to date" in tracker_cli(database_url, "db", "current").output
    checked = tracker_cli(database_url, "db", "check")
    assert checked.exit_code == 0, checked.output
    one_back = tracker_cli(database_url, "db", "downgrade", "-1")  # as migrations/README.md says
    assert one_back.exit_code == 0, one_back.output
    assert one_back.output.startswith("database revision: 0004;")
    down = tracker_cli(database_url, "db", "downgrade", "base")
    assert "empty (no migrations applied)" in down.output


def test_malformed_import_exits_non_zero_and_changes_nothing(
    tracker_cli: Cli, migrated_url: str, tmp_path: Path
) -> None:
    assert tracker_cli(migrated_url, "import", str(EXPERIMENTS_FOLDER)).exit_code == 0
    before = table_dump(migrated_url)
    document = minimal()
    document["policies"][0]["pilots"][0]["iterations"][0]["arms"][0]["allocation"] = "half"
    path = write(tmp_path, document, "bad.yaml")
    result = tracker_cli(migrated_url, "import", str(path))
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert str(path) in result.output
    assert (
        "policies[0].pilots[0].iterations[0].arms[0].allocation: got 'half'; expected number"
        in (result.output)
    )
    assert table_dump(migrated_url) == before


def test_import_if_empty_loads_once(tracker_cli: Cli, migrated_url: str) -> None:
    first = tracker_cli(migrated_url, "import", str(EXPERIMENTS_FOLDER), "--if-empty")
    assert first.exit_code == 0 and "Created:" in first.output
    after_first = table_dump(migrated_url)
    second = tracker_cli(migrated_url, "import", str(EXPERIMENTS_FOLDER), "--if-empty")
    assert "nothing imported" in second.output
    assert table_dump(migrated_url) == after_first


def test_import_analyse_stores_a_run_for_each_pilot_with_results(
    tracker_cli: Cli, migrated_url: str, tmp_path: Path
) -> None:
    without_results = minimal()
    for arm in without_results["policies"][0]["pilots"][0]["iterations"][0]["arms"]:
        arm.pop("results", None)
    folder = tmp_path / "portfolio"
    folder.mkdir()
    write(folder, without_results, "a-without-results.yaml")
    for example in EXPERIMENTS_FOLDER.glob("*.yaml"):
        (folder / example.name).write_bytes(example.read_bytes())
    result = tracker_cli(migrated_url, "import", str(folder), "--analyse")
    assert result.exit_code == 0, result.output
    runs = table_dump(migrated_url)["analysis_run"]
    examples = len(list(EXPERIMENTS_FOLDER.glob("*.yaml")))
    assert len(runs) == examples  # one per example pilot; the pilot without results is skipped
    assert f"Analysed {examples} pilot(s): " in result.output
    assert without_results["policies"][0]["pilots"][0]["slug"] not in result.output


def test_export_writes_one_file_per_policy(
    tracker_cli: Cli, example_url: str, tmp_path: Path
) -> None:
    result = tracker_cli(example_url, "export", str(tmp_path / "out"))
    assert result.exit_code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(p.name for p in EXPERIMENTS_FOLDER.glob("*.yaml"))


def test_create_user(tracker_cli: Cli, migrated_url: str) -> None:
    args = ["create-user", "--email", "Ada@Example.gov.uk", "--name", "Ada", "--role", "admin"]
    made = tracker_cli(migrated_url, *args, "--password", "a long enough passphrase")
    assert made.exit_code == 0, made.output
    assert "Created ada@example.gov.uk with the admin role" in made.output
    again = tracker_cli(migrated_url, *args, "--password", "a long enough passphrase")
    assert again.exit_code != 0 and "already exists" in again.output
    other = ["create-user", "--email", "b@example.gov.uk", "--name", "B", "--password", "x"]
    short = tracker_cli(migrated_url, *other)
    assert short.exit_code != 0 and "password: must be at least 12 characters" in short.output
