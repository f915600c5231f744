"""Unit-level datasets: stored byte for byte with their hash, in the app and in portfolio files."""

from __future__ import annotations

import filecmp
import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session

from tracker.db import get_engine
from tracker.io.exporter import export_directory
from tracker.services import datasets
from tracker.services.actors import Actor
from tracker.services.errors import ValidationFailed

from .portfolio_helpers import minimal
from .test_portfolio_import import problems_of, run_import, write

CSV = b'arm,paid,note\nControl,1,"two\nlines"\nNorm letter,0,\nNorm letter,1,x\n'
MAPPING = {"arm": "arm", "outcomes": {"paid": "paid"}}


def with_dataset(tmp_path: Path, content: bytes = CSV, sha: str | None = None) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "units.csv").write_bytes(content)
    document = minimal()
    iteration = document["policies"][0]["pilots"][0]["iterations"][0]
    iteration["datasets"] = [
        {
            "file": "data/units.csv",
            "sha256": sha or hashlib.sha256(content).hexdigest(),
            "column_mapping": MAPPING,
        }
    ]
    return write(tmp_path, document)


def test_portfolio_dataset_is_stored_with_hash_and_rows(migrated_url: str, tmp_path: Path) -> None:
    run_import(migrated_url, with_dataset(tmp_path))
    with Session(get_engine(migrated_url)) as session:
        [stored] = datasets.list_datasets(session=session, pilot_slug="letters-trial", number=1)
        assert stored.row_count == 3  # the quoted newline is inside one row
        assert stored.sha256 == hashlib.sha256(CSV).hexdigest()
        assert datasets.dataset_content(session=session, dataset=stored) == CSV
    run_import(migrated_url, with_dataset(tmp_path))  # same bytes again: not stored twice
    with Session(get_engine(migrated_url)) as session:
        assert (
            len(datasets.list_datasets(session=session, pilot_slug="letters-trial", number=1)) == 1
        )


def test_wrong_hash_is_refused(migrated_url: str, tmp_path: Path) -> None:
    problems = problems_of(migrated_url, with_dataset(tmp_path, sha="a" * 64))
    assert any("datasets[0].sha256: does not match" in p for p in problems), problems


@pytest.mark.parametrize("outside", ["../secret.csv", "/etc/hostname"])
def test_a_dataset_outside_the_portfolio_folder_is_refused_unread(
    migrated_url: str, tmp_path: Path, outside: str
) -> None:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    (tmp_path / "secret.csv").write_bytes(CSV)
    document = minimal()
    document["policies"][0]["pilots"][0]["iterations"][0]["datasets"] = [
        {"file": outside, "sha256": "a" * 64, "column_mapping": MAPPING}
    ]
    problems = problems_of(migrated_url, write(folder, document))
    assert any("must name a file in the portfolio file's own folder" in p for p in problems)
    assert not any("SHA-256 is" in p or "no file at" in p for p in problems), problems


def test_export_round_trip_keeps_the_csv(
    migrated_url: str, tmp_path: Path, example_url: str
) -> None:
    run_import(example_url, with_dataset(tmp_path))
    with Session(get_engine(example_url)) as session:
        export_directory(session=session, directory=tmp_path / "first")
    run_import(migrated_url, tmp_path / "first")
    with Session(get_engine(migrated_url)) as session:
        export_directory(session=session, directory=tmp_path / "second")
    comparison = filecmp.dircmp(tmp_path / "first", tmp_path / "second")
    exported_csv = tmp_path / "second" / "letters-data" / "letters-trial" / "v1" / "units.csv"
    assert exported_csv.read_bytes() == CSV
    assert comparison.diff_files == [] and comparison.left_only == comparison.right_only == []
    assert filecmp.cmp(tmp_path / "first" / "letters.yaml", tmp_path / "second" / "letters.yaml")


def test_mapping_must_name_real_columns_and_metrics(migrated_url: str, tmp_path: Path) -> None:
    run_import(migrated_url, write(tmp_path, minimal()))
    with Session(get_engine(migrated_url)) as session:
        store = {
            "session": session,
            "actor": Actor.system("test"),
            "pilot_slug": "letters-trial",
            "number": 1,
            "filename": "units.csv",
            "content": CSV,
        }
        with pytest.raises(ValidationFailed, match="no column called group"):
            datasets.store_dataset(**store, column_mapping={**MAPPING, "arm": "group"})
        with pytest.raises(ValidationFailed, match="unknown key"):
            datasets.store_dataset(
                **store, column_mapping={"arm": "arm", "outcomes": {"x": "paid"}}
            )
        with pytest.raises(ValidationFailed, match="not UTF-8"):
            datasets.store_dataset(**{**store, "content": b"\xff\xfe"}, column_mapping=MAPPING)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"arm,paid\nControl,1\nControl,yes\n",
            "datasets[0]: row 2, column paid: got 'yes'; expected 0 or 1",
        ),
        (
            b"arm,paid\nControl,1\nTreatmnet,0\n",
            "datasets[0]: row 2, column arm: got 'Treatmnet'; expected one of this "
            "iteration's arms: Control, Norm letter",
        ),
        (b"arm,paid\nControl\n", "datasets[0]: row 1: has 1 cells; expected 2 like the header"),
    ],
)
def test_bad_cells_are_named_by_row_and_column_and_nothing_is_stored(
    migrated_url: str, tmp_path: Path, content: bytes, expected: str
) -> None:
    from .portfolio_helpers import table_dump

    before = table_dump(migrated_url)
    problems = problems_of(migrated_url, with_dataset(tmp_path, content))
    assert any(expected in problem for problem in problems), problems
    assert table_dump(migrated_url) == before


def test_results_are_computed_from_the_rows(migrated_url: str, tmp_path: Path) -> None:
    run_import(
        migrated_url, with_dataset(tmp_path, b"arm,paid\nControl,1\nControl,0\nNorm letter,1\n")
    )
    from tracker.services import overviews

    with Session(get_engine(migrated_url)) as session:
        view = overviews.get_pilot_overview(session=session, slug="letters-trial")
        by_arm = {arm.arm.name: next(iter(arm.results.values())) for arm in view.iterations[0].arms}
        assert (by_arm["Control"].n, by_arm["Control"].successes) == (2, 1)
        assert (by_arm["Norm letter"].n, by_arm["Norm letter"].successes) == (1, 1)
        assert by_arm["Control"].source.value == "dataset"
