"""Portfolio import: every problem named by file, path and line; all-or-nothing; no duplicates."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tracker.db import get_engine
from tracker.io import yamlfile
from tracker.io.importer import import_path
from tracker.io.problems import PortfolioError
from tracker.models import ArmResult, AuditEvent, Policy, StageDecision

from .portfolio_helpers import minimal, table_dump


def write(tmp_path: Path, document: object, name: str = "portfolio.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yamlfile.dump(document), encoding="utf-8")
    return path


def run_import(url: str, path: Path) -> object:
    with Session(get_engine(url)) as session:
        try:
            report = import_path(session=session, path=path)
        except PortfolioError:
            session.rollback()
            raise
        session.commit()
        return report


def problems_of(url: str, path: Path) -> list[str]:
    with pytest.raises(PortfolioError) as raised:
        run_import(url, path)
    return [str(problem) for problem in raised.value.problems]


def test_minimal_portfolio_imports(migrated_url: str, tmp_path: Path) -> None:
    run_import(migrated_url, write(tmp_path, minimal()))
    with Session(get_engine(migrated_url)) as session:
        policy = session.exec(select(Policy)).one()
        assert policy.stage.value == "discovery"
        assert session.exec(select(func.count()).select_from(StageDecision)).one() == 2
        assert session.exec(select(func.count()).select_from(ArmResult)).one() == 2


def test_reimport_updates_in_place_and_never_duplicates(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    run_import(migrated_url, write(tmp_path, document))
    before = table_dump(migrated_url)
    run_import(migrated_url, write(tmp_path, document))
    assert table_dump(migrated_url) == before  # same file twice: nothing at all changes

    arms = document["policies"][0]["pilots"][0]["iterations"][0]["arms"]
    arms[1]["results"][0]["successes"] = 44
    document["policies"][0]["title"] = "Reminder letters (renamed)"
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        assert session.exec(select(func.count()).select_from(Policy)).one() == 1
        assert session.exec(select(Policy.title)).one() == "Reminder letters (renamed)"
        assert sorted(session.exec(select(ArmResult.successes))) == [30, 44]
        changed = session.exec(
            select(AuditEvent).where(AuditEvent.entity_type == "arm_result")
        ).all()
        assert [event.after for event in changed if event.action.value == "update"] == [
            {"successes": 44}
        ]


def test_problem_names_file_path_line_and_expectation(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    arm = document["policies"][0]["pilots"][0]["iterations"][0]["arms"][0]
    arm["results"][0]["n"] = "lots"
    path = write(tmp_path, document)
    [problem] = problems_of(migrated_url, path)
    line = next(
        number
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if "n: lots" in text
    )
    assert problem == (
        f"{path}:{line}: policies[0].pilots[0].iterations[0].arms[0].results[0].n: "
        "got 'lots'; expected integer"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["policies"][0].update(stage="alpha"),
            "policies[0].stage: got 'alpha'; expected 'discovery'",
        ),
        (
            lambda d: d["policies"][0]["stage_history"][1].update(to="beta"),
            "policies[0].stage_history[1]: moving from idea to beta skips stages",
        ),
        (
            lambda d: d["policies"][0]["pilots"][0]["iterations"][0]["arms"][1].update(
                control=True
            ),
            "iterations[0].arms: 2 arms have control: true; expected exactly one",
        ),
        (
            lambda d: d["policies"][0]["pilots"][0]["iterations"][0]["arms"][0].update(
                allocation=0.7
            ),
            "allocations add up to 1.2000; expected 1",
        ),
        (
            lambda d: d["policies"][0]["pilots"][0]["iterations"][0]["arms"][0]["results"][
                0
            ].update(metric="unknown"),
            "results[0].metric: unknown metric 'unknown'; this policy's metric keys: paid",
        ),
        (
            lambda d: d["policies"][0]["pilots"][0]["iterations"][0]["arms"][0]["results"][
                0
            ].update(mean=3.0),
            "results[0].mean: does not apply to the binary metric 'paid'",
        ),
        (
            lambda d: d["policies"][0]["metrics"][0].update(kind="ratio"),
            "metrics[0].kind: got 'ratio'; expected one of: binary, continuous, count",
        ),
        (
            lambda d: d["policies"][0].update(colour="red"),
            "policies[0]: unknown key colour; expected one of:",
        ),
        (lambda d: d.update(format="tracker-portfolio/9"), "format: got 'tracker-portfolio/9'"),
        (
            lambda d: d["policies"][0]["stage_history"][1].update(decided_on="2024-02-30"),
            "stage_history[1].decided_on: got '2024-02-30'; expected a real calendar date",
        ),
    ],
)
def test_rule_violations_are_reported(
    migrated_url: str, tmp_path: Path, change: object, expected: str
) -> None:
    document = minimal()
    change(document)  # type: ignore[operator]
    problems = problems_of(migrated_url, write(tmp_path, document))
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_at_once(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    document["policies"][0]["title"] = ""
    document["policies"][0]["pilots"][0]["design"] = "guesswork"
    assert len(problems_of(migrated_url, write(tmp_path, document))) == 2


def test_invalid_yaml_names_the_line(migrated_url: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("format: tracker-portfolio/1\npolicies:\n  - slug: [unclosed\n")
    [problem] = problems_of(migrated_url, path)
    assert problem.startswith(f"{path}:")
    assert "not valid YAML" in problem


def test_malformed_import_leaves_the_database_exactly_as_it_was(
    migrated_url: str, tmp_path: Path
) -> None:
    """A failure found only while writing (a locked plan changed) still writes nothing."""
    document = minimal()
    run_import(migrated_url, write(tmp_path, document))
    second = minimal()
    second["policies"][0]["slug"] = "letters-two"
    second["policies"][0]["pilots"][0]["slug"] = "letters-two-trial"
    second["policies"][0]["pilots"][0]["analysis_plans"] = [
        {
            "version": 1,
            "metrics": [{"metric": "paid", "role": "primary"}],
            "locked_at": "2024-03-01T09:00:00+00:00",
            "lock_hash": "0" * 64,  # not the plan's real hash
        }
    ]
    before = table_dump(migrated_url)
    problems = problems_of(migrated_url, write(tmp_path, second))
    assert any("lock_hash: does not match the plan's content" in p for p in problems), problems
    assert table_dump(migrated_url) == before


def test_stage_history_is_append_only(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    run_import(migrated_url, write(tmp_path, document))
    document["policies"][0]["stage_history"][1]["rationale"] = "Rewritten history"
    problems = problems_of(migrated_url, write(tmp_path, document))
    assert any("stage_history[1]: differs from the stage decision stored" in p for p in problems)


def test_records_missing_from_the_file_are_kept(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    run_import(migrated_url, write(tmp_path, document))
    document["policies"][0]["pilots"][0]["iterations"][0]["arms"][1]["results"] = []
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        assert session.exec(select(func.count()).select_from(ArmResult)).one() == 2


def test_duplicate_slugs_across_files_are_reported(migrated_url: str, tmp_path: Path) -> None:
    write(tmp_path, minimal(), "a.yaml")
    write(tmp_path, minimal(), "b.yaml")
    problems = problems_of(migrated_url, tmp_path)
    assert any("policy slug 'letters' is already used at" in p for p in problems), problems


def test_reimport_moves_an_engagement_to_another_iteration(
    migrated_url: str, tmp_path: Path
) -> None:
    from tracker.models import Engagement, Iteration

    document = minimal()
    pilot = document["policies"][0]["pilots"][0]
    second = copy.deepcopy(pilot["iterations"][0])
    second["number"] = 2
    pilot["iterations"].append(second)
    entry = {
        "key": "workshop",
        "group": "frontline_staff",
        "method": "workshop",
        "held_on": "2024-03-01",
        "what_we_heard": "The letter is confusing.",
        "pilot": "letters-trial",
        "iteration": 1,
    }
    document["policies"][0]["engagements"] = [entry]
    run_import(migrated_url, write(tmp_path, document))
    entry["iteration"] = 2
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        stored = session.exec(select(Engagement)).one()
        assert session.get_one(Iteration, stored.iteration_id).number == 2
