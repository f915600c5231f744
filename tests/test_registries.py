"""Registry shapes: every required field of every registry is filled or named as missing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from tests import factories
from tracker.db import get_engine
from tracker.io.registries import (
    AEA_RCT_REGISTRY,
    REGISTRIES,
    UK_EVALUATION_REGISTRY,
    Registry,
    registry_document,
)
from tracker.models import Pilot
from tracker.models.enums import MetricRole, PilotDesign, PilotStatus
from tracker.services import pilots, plans
from tracker.services.analysis import run_analysis
from tracker.services.headlines import latest_runs
from tracker.services.overviews import get_pilot_overview

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NHS = "southwark-nhs-health-check-invitation-trial"
GGL = "ggl-2006-michigan-primary-mailings"
COUNCIL = "council-tax-text-reminders-pilot"
# The fields issue 6 names, which the registries must ask for.
NAMED = {
    "uk-evaluation-registry": {
        "title",
        "status",
        "evaluation_type",
        "evaluation_method",
        "intended_start_date",
        "intended_end_date",
        "actual_start_date",
        "actual_end_date",
        "publication",
    },
    "aea-rct-registry": {
        "title",
        "primary_outcomes",
        "experimental_design",
        "randomisation_method",
        "randomisation_unit",
        "clustered",
        "planned_number_of_clusters",
        "planned_number_of_observations",
        "sample_size_by_arm",
        "minimum_detectable_effect",
        "pre_analysis_plan",
        "start_date",
        "end_date",
    },
}


def document(session: Session, registry: Registry, slug: str) -> dict[str, Any]:
    overview = get_pilot_overview(session=session, slug=slug)
    run = latest_runs(session, [overview.pilot.id or 0]).get(overview.pilot.id or 0)
    return registry_document(
        registry, overview, run, pilot_url=f"http://localhost/pilots/{slug}", generated_at=NOW
    )


def check_complete(registry: Registry, doc: dict[str, Any]) -> None:
    """Each field filled or missing with a reason, never both; required ones always one of them."""
    missing = {entry["field"]: entry for entry in doc["missing"]}
    assert not set(doc["fields"]) & set(missing)
    for field in registry.fields:
        if field.required:
            assert field.name in doc["fields"] or field.name in missing, field.name
        if field.name in missing:
            assert missing[field.name]["reason"].strip()
            assert missing[field.name]["required"] is field.required
        if field.name in doc["fields"]:
            assert doc["fields"][field.name] not in (None, "", [], {}), field.name
    assert set(doc["fields"]) | set(missing) == {field.name for field in registry.fields}
    json.dumps(doc)  # plain JSON all through


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=list(REGISTRIES))
def test_the_field_lists_are_data_and_hold_every_field_the_issue_names(registry: Registry) -> None:
    names = [field.name for field in registry.fields]
    assert len(names) == len(set(names))
    assert NAMED[registry.key] <= {field.name for field in registry.fields if field.required}
    assert all(field.how.strip() for field in registry.fields)


@pytest.fixture
def analysed(example_url: str) -> Session:
    """The example portfolio with every pilot analysed once, as `tracker analyse` would."""
    session = Session(get_engine(example_url), expire_on_commit=False)
    for slug in session.exec(select(Pilot.slug)).all():
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug=slug)
    session.commit()
    return session


def test_every_example_pilot_fills_or_names_every_field(analysed: Session) -> None:
    slugs = analysed.exec(select(Pilot.slug)).all()
    assert len(slugs) == 5
    for slug in slugs:
        for registry in REGISTRIES.values():
            doc = document(analysed, registry, slug)
            check_complete(registry, doc)
            assert doc["source"]["pilot_slug"] == slug
            assert doc["source"]["generated_at"] == NOW.isoformat()
            assert doc["source"]["analysis_run_id"] is not None


def test_the_nhs_health_check_trial(analysed: Session) -> None:
    uk = document(analysed, UK_EVALUATION_REGISTRY, NHS)["fields"]
    assert (uk["status"], uk["evaluation_type"]) == ("complete", "impact")
    assert "individual randomised controlled trial" in uk["evaluation_method"]
    assert uk["publication"]["link"] == "https://doi.org/10.1186/s12889-019-7476-8"
    assert (uk["actual_start_date"], uk["actual_end_date"]) == ("2013-11-01", "2014-12-31")
    assert uk["results_summary"].startswith("Attended an NHS Health Check: between 1.52 and 2.44")
    aea = document(analysed, AEA_RCT_REGISTRY, NHS)
    fields, missing = aea["fields"], {entry["field"]: entry["reason"] for entry in aea["missing"]}
    by_arm = fields["sample_size_by_arm"]
    assert len(by_arm["arms"]) == 16 and by_arm["total"] == 12_244
    assert sum(arm["n"] for arm in by_arm["arms"]) == 12_244
    assert by_arm["arms"][0] == {"arm": "Control letter, no SMS", "control": True, "n": 814}
    assert [o["key"] for o in fields["primary_outcomes"]] == ["attended-nhs-health-check"]
    assert fields["clustered"] == "no"
    assert fields["pre_analysis_plan"] == {
        "version": 1,
        "sha256": "e1180b3f729c2360f65d9baaa583de312d7dd8c5abaa62c0e8160a441dc4f60e",
        "locked_at": "2026-11-24T00:00:00+00:00",
    }
    assert missing["randomisation_method"].startswith("The tracker does not record")
    assert missing["minimum_detectable_effect"] == (
        "Locked analysis plan v1 gives no minimum detectable effect"
    )
    assert missing["planned_number_of_observations"] == "No planned sample size is recorded"
    notes = {entry["field"]: entry["note"] for entry in aea["notes"]}
    assert "from its recorded results" in notes["sample_size_by_arm"]


def test_the_voter_turnout_cluster_trial(analysed: Session) -> None:
    aea = document(analysed, AEA_RCT_REGISTRY, GGL)
    fields, missing = aea["fields"], {entry["field"]: entry["reason"] for entry in aea["missing"]}
    assert (fields["clustered"], fields["randomisation_unit"]) == ("yes", "household")
    assert fields["sample_size_by_arm"]["total"] == 344_084
    assert "number of clusters (household)" in missing["planned_number_of_clusters"]
    assert missing["pre_analysis_plan"] == "No locked analysis plan"
    uk = document(analysed, UK_EVALUATION_REGISTRY, GGL)
    assert uk["fields"]["publication"]["link"] == "https://doi.org/10.1017/S000305540808009X"
    assert {entry["field"] for entry in uk["missing"]} == {
        "intended_start_date",
        "intended_end_date",
        "actual_start_date",
        "actual_end_date",
    }


def test_the_illustrative_council_tax_pilot(analysed: Session) -> None:
    uk = document(analysed, UK_EVALUATION_REGISTRY, COUNCIL)
    assert uk["fields"]["intended_start_date"] == "2023-07-03"
    assert uk["fields"]["actual_end_date"] == "2024-02-05"
    assert [entry["field"] for entry in uk["missing"]] == ["publication"]
    aea = document(analysed, AEA_RCT_REGISTRY, COUNCIL)["fields"]
    assert aea["minimum_detectable_effect"] == {
        "value": 0.015,
        "outcome": "Paid the overdue instalment within 14 days",
    }
    assert [o["role"] for o in aea["secondary_outcomes"]] == ["secondary", "secondary"]
    assert aea["planned_number_of_observations"] == 27_000
    assert aea["sample_size_by_arm"]["iteration"] == 3


def test_a_planned_pilot_without_results_uses_its_plan(session: Session) -> None:
    factories.make_policy(session)
    factories.make_metric(session, key="take-up")
    factories.make_hypothesis(session, measured_by="take-up")
    factories.make_pilot(
        session,
        hypothesis_keys=["letters-work"],
        planned_sample_size=1000,
        planned_start=date(2026, 1, 5),
        unit_of_randomisation="household",
        design=PilotDesign.CLUSTER_RCT,
    )
    factories.make_iteration_with_arms(
        session, arms=(("control", True, 0.4), ("new letter", False, 0.6))
    )
    uk = document(session, UK_EVALUATION_REGISTRY, "letter-trial")
    check_complete(UK_EVALUATION_REGISTRY, uk)
    assert uk["fields"]["status"] == "planned"
    uk_missing = {entry["field"]: entry["reason"] for entry in uk["missing"]}
    assert uk_missing["actual_start_date"] == "The pilot has not started (its status is planned)"
    assert uk_missing["actual_end_date"] == "The pilot has not ended (its status is planned)"
    aea = document(session, AEA_RCT_REGISTRY, "letter-trial")
    check_complete(AEA_RCT_REGISTRY, aea)
    by_arm = aea["fields"]["sample_size_by_arm"]
    assert [arm["n"] for arm in by_arm["arms"]] == [400, 600]
    notes = {entry["field"]: entry["note"] for entry in aea["notes"]}
    assert notes["sample_size_by_arm"].startswith("Planned:")
    assert notes["primary_outcomes"].startswith("The metrics the pilot's hypotheses")
    assert aea["fields"]["start_date"] == "2026-01-05"
    assert aea["fields"]["status"] == "in development"


def test_a_locked_plan_names_the_outcomes_and_a_non_randomised_design_says_so(
    session: Session,
) -> None:
    factories.make_trial(session)
    factories.make_plan(
        session,
        metrics=[("take-up", MetricRole.PRIMARY), ("days-to-claim", MetricRole.GUARDRAIL)],
        mde=0.05,
    )
    plans.lock_plan(
        session=session,
        actor=factories.ANALYST,
        pilot_slug="letter-trial",
        version=1,
        expected_version=None,
    )
    pilots.update_pilot(
        session=session,
        actor=factories.EDITOR,
        slug="letter-trial",
        data={"design": PilotDesign.BEFORE_AFTER, "status": PilotStatus.STOPPED},
        expected_version=1,
    )
    aea = document(session, AEA_RCT_REGISTRY, "letter-trial")
    check_complete(AEA_RCT_REGISTRY, aea)
    fields = aea["fields"]
    missing = {entry["field"]: entry["reason"] for entry in aea["missing"]}
    assert [o["key"] for o in fields["primary_outcomes"]] == ["take-up"]
    assert [o["role"] for o in fields["secondary_outcomes"]] == ["guardrail"]
    assert fields["minimum_detectable_effect"]["value"] == 0.05
    assert len(fields["pre_analysis_plan"]["sha256"]) == 64
    for name in ("randomisation_method", "randomisation_unit", "clustered"):
        assert missing[name] == "Not randomised: the pilot is a before and after comparison"
    uk = document(session, UK_EVALUATION_REGISTRY, "letter-trial")
    assert uk["fields"]["status"] == "complete"
    assert {"field": "status", "note": "The pilot was stopped before it was completed"} in uk[
        "notes"
    ]
