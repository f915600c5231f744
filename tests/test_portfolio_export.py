"""Export is lossless: export → import into an empty database → export is byte-identical."""

from __future__ import annotations

import filecmp
from pathlib import Path

from sqlmodel import Session

from tracker import migrate
from tracker.config import EXPERIMENTS_FOLDER
from tracker.db import get_engine
from tracker.io.exporter import export_directory
from tracker.io.importer import import_path


def _load(url: str, path: Path) -> None:
    with Session(get_engine(url)) as session:
        import_path(session=session, path=path)
        session.commit()


def _export(url: str, directory: Path) -> list[Path]:
    with Session(get_engine(url)) as session:
        return export_directory(session=session, directory=directory)


def test_export_import_export_is_byte_identical(
    migrated_url: str, example_url: str, tmp_path: Path
) -> None:
    first = _export(example_url, tmp_path / "first")
    assert len(first) == len(list(EXPERIMENTS_FOLDER.glob("*.yaml")))
    _load(migrated_url, tmp_path / "first")
    second = _export(migrated_url, tmp_path / "second")
    assert [p.name for p in first] == [p.name for p in second]
    match, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "first", tmp_path / "second", [p.name for p in first], shallow=False
    )
    assert (mismatch, errors) == ([], [])
    assert len(match) == len(first)


def test_export_keeps_a_locked_plan_verifiable(migrated_url: str, tmp_path: Path) -> None:
    """A plan locked in one database imports into another with the same hash, re-verified."""
    from tracker.services import plans
    from tracker.services.actors import Actor

    from .portfolio_helpers import minimal
    from .test_portfolio_import import write

    document = minimal()
    document["policies"][0]["pilots"][0]["analysis_plans"] = [
        {"version": 1, "alpha": 0.05, "metrics": [{"metric": "paid", "role": "primary"}]}
    ]
    _load(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        locked = plans.lock_plan(
            session=session,
            actor=Actor.system("test"),
            pilot_slug="letters-trial",
            version=1,
            expected_version=None,
        )
        session.commit()
        lock_hash = locked.lock_hash
    _export(migrated_url, tmp_path / "out")
    migrate.downgrade(migrated_url, "base")
    migrate.upgrade(migrated_url)
    _load(migrated_url, tmp_path / "out")
    with Session(get_engine(migrated_url)) as session:
        plan = plans.get_plan(session=session, pilot_slug="letters-trial", version=1)
        assert plan.lock_hash == lock_hash
