"""The bench's portfolio generator writes files the importer accepts, the same every time."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sqlmodel import Session, func, select

from tracker.db import get_engine
from tracker.io.importer import import_path
from tracker.models import AnalysisPlan, Arm, ArmResult, Iteration, Metric, Pilot, Policy

GENERATOR = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def generator() -> ModuleType:
    """bench/ is a folder of scripts, not a package: load the module from its file."""
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    generate = generator().generate
    first = [path.read_bytes() for path in generate("S", tmp_path / "a", 3)]
    again = [path.read_bytes() for path in generate("S", tmp_path / "b", 3)]
    other = [path.read_bytes() for path in generate("S", tmp_path / "c", 4)]
    assert first == again
    assert first != other


def test_scale_s_imports_with_the_counts_it_promises(migrated_url: str, tmp_path: Path) -> None:
    module = generator()
    module.generate("S", tmp_path / "portfolio", 8)
    with Session(get_engine(migrated_url)) as session:
        import_path(session=session, path=tmp_path / "portfolio")
        session.commit()
    scale = module.SCALES["S"]

    def count(model: type) -> int:
        with Session(get_engine(migrated_url)) as session:
            return int(session.exec(select(func.count()).select_from(model)).one())

    assert (count(Policy), count(Pilot), count(Iteration)) == (
        scale.policies,
        scale.pilots,
        scale.iterations,
    )
    assert 2 * scale.iterations <= count(Arm) <= 6 * scale.iterations
    assert count(ArmResult) == 3 * count(Arm)  # one metric of each kind per arm
    with Session(get_engine(migrated_url)) as session:
        kinds = set(session.exec(select(Metric.kind)))
        locked = session.exec(
            select(func.count()).select_from(AnalysisPlan).where(AnalysisPlan.lock_hash != None)  # noqa: E711
        ).one()
    assert {kind.value for kind in kinds} == {"binary", "continuous", "count"}
    assert locked > 0
