"""New pilots and iterations are written in bulk: same records, same audit trail, same checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tracker.db import get_engine
from tracker.io import yamlfile
from tracker.models import (
    AnalysisPlan,
    Arm,
    ArmResult,
    AuditEvent,
    Decision,
    Iteration,
    Pilot,
)
from tracker.models.enums import AuditAction
from tracker.services import records
from tracker.services.plans import plan_hash

from .portfolio_helpers import minimal, table_dump
from .test_portfolio_import import problems_of, run_import, write

PLAN = {
    "version": 1,
    "metrics": [{"metric": "paid", "role": "primary", "test": "two_proportion_z"}],
}
LOCKED_AT = "2024-03-01T09:00:00+00:00"


def with_plan_and_decision(lock_hash: str | None) -> dict[str, Any]:
    """The minimal portfolio with a plan (locked if given a hash), a hypothesis and a decision."""
    document = minimal()
    policy = document["policies"][0]
    policy["hypotheses"] = [
        {"key": "norm", "we_believe": "a norm line", "for_users": "payers", "will": "help"}
    ]
    pilot = policy["pilots"][0]
    pilot["hypotheses"] = ["norm"]
    lock = {"locked_at": LOCKED_AT, "lock_hash": lock_hash} if lock_hash else {}
    pilot["analysis_plans"] = [{**PLAN, **lock}]
    pilot["iterations"][0]["decision"] = {
        "outcome": "scale",
        "rationale": "It worked.",
        "decided_by": "Board",
        "decided_on": "2024-04-01",
    }
    return document


def events_of(session: Session, entity_type: str, entity_id: int | None) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        )
    )


def test_every_record_written_in_bulk_has_its_creation_audited(
    migrated_url: str, tmp_path: Path
) -> None:
    run_import(migrated_url, write(tmp_path, with_plan_and_decision(None)))
    with Session(get_engine(migrated_url)) as session:
        for model in (Pilot, AnalysisPlan, Iteration, Arm, ArmResult, Decision):
            stored = session.exec(select(model)).all()
            assert stored
            for record in stored:
                event = events_of(session, records.entity_type(record), record.id)[0]
                assert event.action is AuditAction.CREATE
                assert event.after == records.snapshot(record)
                assert event.actor_label == "import"
        control = session.exec(select(Arm).where(Arm.name == "Control")).one()
        result = session.exec(select(ArmResult).where(ArmResult.arm_id == control.id)).one()
        [event] = events_of(session, "arm_result", result.id)
        assert event.summary == "letters-trial v1 Control: paid recorded"


def test_a_new_pilot_in_bulk_keeps_the_services_audit_trail(
    migrated_url: str, tmp_path: Path
) -> None:
    """Pilot: create, then link hypotheses; plan: create, name metrics, lock (version 2)."""
    document = with_plan_and_decision("0" * 64)
    [wrong] = problems_of(migrated_url, write(tmp_path, document))
    assert "analysis_plans[0].lock_hash: does not match the plan's content" in wrong
    digest = wrong.split("its SHA-256 is ")[1].split(")")[0]
    document["policies"][0]["pilots"][0]["analysis_plans"][0]["lock_hash"] = digest
    run_import(migrated_url, write(tmp_path, document))
    with Session(get_engine(migrated_url)) as session:
        pilot = session.exec(select(Pilot)).one()
        created, linked = events_of(session, "pilot", pilot.id)
        assert created.after == records.snapshot(pilot)
        assert (linked.before, linked.after) == (
            {"hypothesis_keys": []},
            {"hypothesis_keys": ["norm"]},
        )
        plan = session.exec(select(AnalysisPlan).where(AnalysisPlan.pilot_id == pilot.id)).one()
        assert plan.version == 2
        assert (
            plan.lock_hash == digest == plan_hash(session=session, pilot_slug=pilot.slug, plan=plan)
        )
        made, named, locked = events_of(session, "analysis_plan", plan.id)
        assert made.after == {**records.snapshot(plan), "locked_at": None, "lock_hash": None}
        assert named.after == {"metrics": PLAN["metrics"]}
        assert locked.after == {"locked_at": LOCKED_AT, "lock_hash": digest}


def test_a_bulk_write_that_fails_leaves_nothing(migrated_url: str, tmp_path: Path) -> None:
    run_import(migrated_url, write(tmp_path, minimal(), "first.yaml"))
    before = table_dump(migrated_url)
    document = with_plan_and_decision("0" * 64)
    document["policies"][0]["slug"] = "letters-two"
    document["policies"][0]["pilots"][0]["slug"] = "letters-two-trial"
    [problem] = problems_of(migrated_url, write(tmp_path, document, "first.yaml"))
    assert "policies[0].pilots[0].analysis_plans[0].lock_hash: does not match" in problem
    assert table_dump(migrated_url) == before


def test_reimport_after_a_bulk_write_changes_nothing(migrated_url: str, tmp_path: Path) -> None:
    document = minimal()
    run_import(migrated_url, write(tmp_path, document))
    before = table_dump(migrated_url)
    run_import(migrated_url, write(tmp_path, document))
    assert table_dump(migrated_url) == before


def test_a_json_portfolio_file_imports_like_its_yaml(migrated_url: str, tmp_path: Path) -> None:
    """JSON is YAML 1.2: the reader takes it by the json module, with lines for problems."""
    document = minimal()
    text = json.dumps(document, indent=1)
    assert yamlfile.load_data(text) == yamlfile.load_data(yamlfile.dump(document))
    document["policies"][0]["pilots"][0]["iterations"][0]["arms"][0]["results"][0]["n"] = "lots"
    path = tmp_path / "portfolio.yaml"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    [problem] = problems_of(migrated_url, path)
    line = next(
        number
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if '"n": "lots"' in text
    )
    assert problem.startswith(f"{path}:{line}: ")
    assert problem.endswith("results[0].n: got 'lots'; expected integer")


def test_not_a_number_in_json_is_text_as_in_yaml() -> None:
    assert yamlfile.load_data('{"mean": NaN}') == {"mean": "NaN"}
