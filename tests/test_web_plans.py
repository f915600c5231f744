"""Analysis plan pages: write, edit, lock and amend a plan version in the browser."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import signed_in_client
from tests.factories import ANALYST, make_metric, make_plan, make_trial
from tests.web_helpers import (
    app_session,
    assert_refused,
    conflict_table,
    csrf_token,
    db_snapshot,
    error_summary,
    post_form,
    text_of,
)
from tracker.models import AnalysisPlan
from tracker.models.enums import MetricKind, MetricRole, Role
from tracker.services import comparisons, plans
from tracker.web.plans import PLAN_TESTS

BASE = "/pilots/letter-trial/plans"

FULL_PLAN = {
    "estimand": "Difference in take-up within 30 days.\n\nAmong everyone sent a letter.",
    "metric-take-up-role": "primary",
    "metric-take-up-test": "fisher_exact",
    "metric-days-to-claim-role": "secondary",
    "metric-days-to-claim-test": "student_t",
    "metric-complaints-role": "guardrail",
    "metric-complaints-test": "poisson_score",
    "alpha": "0.01",
    "sidedness": "greater",
    "multiple_testing": "benjamini_hochberg",
    "covariates": "age band\nprior claims",
    "mde": "0.025",
    "sequential": "y",
    "stopping_rule": "Run to the planned sample size; no early stopping.",
}


@pytest.fixture
def trial(app: Flask) -> Flask:
    """A policy with a binary, a continuous and a count metric, and a pilot with no plan."""
    with app_session(app) as session:
        make_trial(session)
        make_metric(session, key="complaints", kind=MetricKind.COUNT)
        session.commit()
    return app


@pytest.fixture
def analyst(trial: Flask) -> FlaskClient:
    return signed_in_client(trial, role=Role.ANALYST)


def saved_plan(app: Flask, version: int = 1) -> tuple[AnalysisPlan, dict[str, tuple[str, str]]]:
    with app_session(app) as session:
        plan = plans.get_plan(session=session, pilot_slug="letter-trial", version=version)
        specs = plans.plan_metric_specs(session=session, plan=plan)
        return plan, {spec.metric: (spec.role.value, spec.test) for spec in specs}


def form_values(page: str) -> dict[str, Any]:
    """What the form shows: text inputs and textareas, checked radios/boxes, selected options."""
    values: dict[str, Any] = {}
    for name, value in re.findall(
        r'<input[^>]*name="([^"]+)"[^>]*type="text"[^>]*value="([^"]*)"', page
    ):
        values[name] = html_lib.unescape(value)
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and "checked" in tag and re.search(r'type="(radio|checkbox)"', tag):
            values[name.group(1)] = html_lib.unescape(value.group(1))
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        values[name] = html_lib.unescape(body).strip("\n").replace("\r\n", "\n")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = html_lib.unescape(chosen.group(1)) if chosen else None
    return values


def test_every_field_round_trips(analyst: FlaskClient, trial: Flask) -> None:
    response = post_form(analyst, f"{BASE}/new", FULL_PLAN)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BASE}/1")

    plan, specs = saved_plan(trial)
    assert plan.estimand == FULL_PLAN["estimand"]
    assert plan.alpha == 0.01
    assert plan.sidedness.value == "greater"
    assert plan.multiple_testing.value == "benjamini_hochberg"
    assert plan.covariates == ["age band", "prior claims"]
    assert plan.mde == 0.025
    assert plan.sequential is True
    assert plan.stopping_rule == FULL_PLAN["stopping_rule"]
    assert plan.locked_at is None
    assert specs == {
        "take-up": ("primary", "fisher_exact"),
        "days-to-claim": ("secondary", "student_t"),
        "complaints": ("guardrail", "poisson_score"),
    }

    shown = form_values(analyst.get(f"{BASE}/1/edit").get_data(as_text=True))
    for name, value in FULL_PLAN.items():
        assert shown[name] == value, name

    detail = analyst.get(f"{BASE}/1").get_data(as_text=True)
    history = re.search(r'href="(/history/analysis_plan/\d+)"', detail)
    assert history and analyst.get(history.group(1)).status_code == 200
    page = text_of(detail)
    assert "Draft" in page
    for text in (
        "Difference in take-up within 30 days.",
        "0.01",
        "One-sided – the change increases the metric",
        "Benjamini–Hochberg",
        "age band",
        "0.025",
        "Fisher's exact test",
        "Student's t-test",
        "Poisson score test",
        "Guardrail",
    ):
        assert text in page, text


def test_a_new_plan_starts_from_defaults_and_leaves_metrics_out(analyst: FlaskClient) -> None:
    shown = form_values(analyst.get(f"{BASE}/new").get_data(as_text=True))
    assert shown["alpha"] == "0.05"
    assert shown["sidedness"] == "two_sided"
    assert shown["multiple_testing"] == "holm"
    assert shown["metric-take-up-role"] == "none"
    assert shown["metric-take-up-test"] == "z_test"
    assert shown["metric-days-to-claim-test"] == "welch_t"
    assert "amendment_reason" not in shown


@pytest.mark.parametrize(
    ("alpha", "message"),
    [
        ("0", "Significance level (α) must be between 0 and 1, like 0.05"),
        ("1", "Significance level (α) must be between 0 and 1, like 0.05"),
        ("x", "Significance level (α) must be a number, like 0.05"),
        ("", "Enter the significance level (α)"),
    ],
)
def test_an_invalid_alpha_is_refused_on_its_field(
    analyst: FlaskClient, trial: Flask, alpha: str, message: str
) -> None:
    before = db_snapshot(trial)
    response = post_form(analyst, f"{BASE}/new", {**FULL_PLAN, "alpha": alpha})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_summary(page) == [(message, "#alpha")]
    assert 'id="alpha"' in page and "<title>Error:" in page
    assert db_snapshot(trial) == before


def test_a_test_not_valid_for_the_metric_kind_is_refused(
    analyst: FlaskClient, trial: Flask
) -> None:
    before = db_snapshot(trial)
    data = {**FULL_PLAN, "metric-days-to-claim-test": "fisher_exact", "mde": "lots"}
    page = post_form(analyst, f"{BASE}/new", data).get_data(as_text=True)
    assert error_summary(page) == [
        (
            "Choose a test suited to a continuous metric (a measurement) for Days to claim",
            "#metric-days-to-claim-test",
        ),
        ("Minimum detectable effect must be a number, like 0.03", "#mde"),
    ]
    assert 'id="metric-days-to-claim-test"' in page
    assert db_snapshot(trial) == before


def test_the_offered_tests_are_the_ones_the_analysis_acts_on() -> None:
    binary = {name for name, _ in PLAN_TESTS[MetricKind.BINARY]}
    assert binary == {"z_test", *comparisons.BINARY_TESTS, *comparisons.BINARY_EFFECTS}
    assert {name for name, _ in PLAN_TESTS[MetricKind.CONTINUOUS]} == {"welch_t", "student_t"}


def locked_page(client: FlaskClient, version: int = 1) -> tuple[str, str]:
    """Lock a plan version through its confirmation page; (hash it promised, plan page)."""
    confirm = client.get(f"{BASE}/{version}/lock").get_data(as_text=True)
    assert "Locking is permanent" in confirm
    promised = re.search(r'<code class="app-hash" id="sha256">([0-9a-f]{64})</code>', confirm)
    assert promised
    response = post_form(client, f"{BASE}/{version}/lock", {"version": _version(confirm)})
    assert response.status_code == 303
    return promised.group(1), client.get(f"{BASE}/{version}").get_data(as_text=True)


def _version(page: str) -> str:
    match = re.search(r'name="version"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="version"', page
    )
    assert match
    return match.group(1)


def test_locking_shows_the_sha256_of_the_canonical_form(analyst: FlaskClient, trial: Flask) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    promised, page = locked_page(analyst)

    plan, _ = saved_plan(trial)
    with app_session(trial) as session:
        expected = plans.plan_hash(session=session, pilot_slug="letter-trial", plan=plan)
    shown = re.search(r'id="plan-sha256">([0-9a-f]{64})<', page)
    assert shown and shown.group(1) == expected == plan.lock_hash == promised
    shown_text = re.search(r'id="canonical-plan">(.*?)</code>', page, re.S)
    assert shown_text
    canonical = html_lib.unescape(shown_text.group(1))
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == expected
    download = analyst.get(f"{BASE}/1/canonical.json").get_data()
    assert hashlib.sha256(download).hexdigest() == expected
    text = text_of(page)
    assert "Locked" in text and "Locked by Test analyst" in text and "(UTC)" in text
    assert "sha256" in text.lower() and "UTF-8" in text
    assert f"{BASE}/1/edit" not in page
    assert f'href="{BASE}/new"' in page and "Amend this plan" in text


def test_a_plan_without_a_primary_metric_cannot_be_locked(
    analyst: FlaskClient, trial: Flask
) -> None:
    post_form(analyst, f"{BASE}/new", {**FULL_PLAN, "metric-take-up-role": "secondary"})
    page = analyst.get(f"{BASE}/1/lock").get_data(as_text=True)
    assert error_summary(page) == [("Name a primary metric before locking the plan", "#edit-plan")]
    before = db_snapshot(trial)
    token = csrf_token(analyst, f"{BASE}/new")
    page = analyst.post(f"{BASE}/1/lock", data={"csrf_token": token, "version": "2"}).get_data(
        as_text=True
    )
    assert "Name a primary metric" in page
    assert db_snapshot(trial) == before


def test_a_locked_plan_cannot_be_edited(analyst: FlaskClient, trial: Flask) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    locked_page(analyst)
    before = db_snapshot(trial)

    page = analyst.get(f"{BASE}/1/edit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Version 1 of the plan is locked" in text and "<form" not in text.split("<main")[1]
    token = csrf_token(analyst, f"{BASE}/new")
    refused = analyst.post(
        f"{BASE}/1/edit", data={**FULL_PLAN, "estimand": "changed", "csrf_token": token}
    )
    assert refused.status_code == 409
    assert "cannot be edited" in refused.get_data(as_text=True)
    again = analyst.post(f"{BASE}/1/lock", data={"csrf_token": token, "version": "9"})
    assert "already locked" in again.get_data(as_text=True)
    assert db_snapshot(trial) == before


def test_a_plan_locked_while_being_edited_is_explained(analyst: FlaskClient, trial: Flask) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    form = analyst.get(f"{BASE}/1/edit").get_data(as_text=True)
    data = {**form_values(form), "version": _version(form), "estimand": "changed"}
    with app_session(trial) as session:
        plans.lock_plan(
            session=session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            version=1,
            expected_version=None,
        )
        session.commit()
    before = db_snapshot(trial)
    # The page has no form now: post with a token from a page that has one.
    data["csrf_token"] = csrf_token(analyst, f"{BASE}/new")
    response = analyst.post(f"{BASE}/1/edit", data=data)
    assert response.status_code == 409
    assert db_snapshot(trial) == before


def test_an_amendment_needs_a_reason_and_starts_from_the_locked_version(
    analyst: FlaskClient, trial: Flask
) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    locked_page(analyst)

    form = analyst.get(f"{BASE}/new").get_data(as_text=True)
    assert "Amend the analysis plan (version 2)" in form
    shown = form_values(form)
    for name, value in FULL_PLAN.items():
        assert shown[name] == value, name
    assert shown["amendment_reason"] == ""

    before = db_snapshot(trial)
    page = post_form(analyst, f"{BASE}/new", {**FULL_PLAN, "amendment_reason": "  "})
    assert error_summary(page.get_data(as_text=True)) == [
        ("Enter the reason for amending the plan", "#amendment_reason")
    ]
    assert db_snapshot(trial) == before

    response = post_form(
        analyst,
        f"{BASE}/new",
        {**shown, "amendment_reason": "The letter changed.", "alpha": "0.02"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{BASE}/2")
    plan, specs = saved_plan(trial, 2)
    assert (plan.plan_version, plan.amendment_reason, plan.alpha) == (
        2,
        "The letter changed.",
        0.02,
    )
    assert specs["take-up"] == ("primary", "fisher_exact")
    assert saved_plan(trial, 1)[0].alpha == 0.01
    page = text_of(analyst.get(f"{BASE}/2").get_data(as_text=True))
    assert "Reason for amending The letter changed." in page
    edit = form_values(analyst.get(f"{BASE}/2/edit").get_data(as_text=True))
    assert edit["amendment_reason"] == "The letter changed."
    # While version 2 is a draft, writing version 3 is refused with a way to the draft.
    before = db_snapshot(trial)
    refused = post_form(analyst, f"{BASE}/new", {**shown, "amendment_reason": "again"})
    assert refused.status_code == 409 and f"{BASE}/2/edit" in refused.get_data(as_text=True)
    assert db_snapshot(trial) == before


def test_a_stale_edit_gets_the_conflict_panel_and_keeps_the_first_save(
    analyst: FlaskClient, trial: Flask
) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    other = signed_in_client(trial, role=Role.ADMIN)
    mine = analyst.get(f"{BASE}/1/edit").get_data(as_text=True)
    theirs = other.get(f"{BASE}/1/edit").get_data(as_text=True)

    first = {**form_values(theirs), "version": _version(theirs), "estimand": "Theirs"}
    first["metric-take-up-test"] = "z_test"
    assert post_form(other, f"{BASE}/1/edit", first).status_code == 303

    second = {**form_values(mine), "version": _version(mine), "estimand": "Mine"}
    page = post_form(analyst, f"{BASE}/1/edit", second).get_data(as_text=True)
    assert error_summary(page)[0][1] == "#conflict"
    table = conflict_table(page)
    assert table["Estimand"] == ("Mine", "Theirs")
    assert table["Test for Take up"] == ("fisher_exact", "z_test")
    plan, specs = saved_plan(trial)
    assert plan.estimand == "Theirs" and specs["take-up"] == ("primary", "z_test")


def test_the_pilot_page_links_to_every_version_and_the_analyst_actions(
    analyst: FlaskClient, trial: Flask
) -> None:
    viewer = signed_in_client(trial, role=Role.VIEWER)
    page = analyst.get("/pilots/letter-trial").get_data(as_text=True)
    assert f'href="{BASE}/new"' in page and "Write an analysis plan" in page
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    page = analyst.get("/pilots/letter-trial").get_data(as_text=True)
    assert f"{BASE}/1/edit" in page and f"{BASE}/1/lock" in page and f'href="{BASE}/1"' in page
    locked_page(analyst)
    page = analyst.get("/pilots/letter-trial").get_data(as_text=True)
    assert "Amend the plan" in page and f"{BASE}/1/edit" not in page
    seen = viewer.get("/pilots/letter-trial").get_data(as_text=True)
    assert f'href="{BASE}/1"' in seen
    assert f"{BASE}/new" not in seen and "/lock" not in seen
    plan_page = viewer.get(f"{BASE}/1").get_data(as_text=True)
    assert "Amend this plan" not in plan_page and f"{BASE}/new" not in plan_page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_viewers_and_editors_may_not_write_plans(trial: Flask, role: Role) -> None:
    with app_session(trial) as session:
        make_plan(session, metrics=[("take-up", MetricRole.PRIMARY)])
        session.commit()
    client = signed_in_client(trial, role=role)
    token = csrf_token(client, "/pilots/letter-trial")
    before = db_snapshot(trial)
    data = {**FULL_PLAN, "version": "1", "amendment_reason": "x"}
    for path in (f"{BASE}/new", f"{BASE}/1/edit", f"{BASE}/1/lock"):
        assert_refused(client, path, data, token)
    assert client.get(f"{BASE}/1").status_code == 200
    assert db_snapshot(trial) == before


def test_signed_out_writes_go_to_sign_in(trial: Flask) -> None:
    client = trial.test_client()
    for path in (f"{BASE}/new", f"{BASE}/1/edit", f"{BASE}/1/lock"):
        response = client.post(path, data=FULL_PLAN)
        assert response.status_code in (302, 303, 400), path


def test_unknown_plans_and_pilots_are_not_found(analyst: FlaskClient) -> None:
    assert analyst.get(f"{BASE}/7").status_code == 404
    assert analyst.get(f"{BASE}/7/edit").status_code == 404
    assert analyst.get("/pilots/no-such-pilot/plans/new").status_code == 404


def test_a_plan_changed_after_the_lock_page_opened_is_not_locked(
    analyst: FlaskClient, trial: Flask
) -> None:
    post_form(analyst, f"{BASE}/new", FULL_PLAN)
    confirm = analyst.get(f"{BASE}/1/lock").get_data(as_text=True)
    with app_session(trial) as session:
        plans.update_plan(
            session=session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            version=1,
            data={"alpha": 0.02},
            expected_version=None,
        )
        session.commit()
    before = db_snapshot(trial)
    page = post_form(analyst, f"{BASE}/1/lock", {"version": _version(confirm)})
    text = page.get_data(as_text=True)
    assert error_summary(text) == [
        (
            "Someone changed the plan after you opened this page. It has not been locked: "
            "check it again.",
            "#sha256",
        )
    ]
    plan, _ = saved_plan(trial)
    with app_session(trial) as session:
        new_hash = plans.plan_hash(session=session, pilot_slug="letter-trial", plan=plan)
    assert new_hash in text and _version(text) == str(plan.version)
    assert db_snapshot(trial) == before


def test_a_test_recorded_before_the_list_is_kept_until_changed(
    analyst: FlaskClient, trial: Flask
) -> None:
    with app_session(trial) as session:
        plans.create_plan(
            session=session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            data={
                "metrics": [
                    {"metric": "take-up", "role": "primary", "test": "two_proportion_z"},
                    {"metric": "days-to-claim", "role": "secondary", "test": ""},
                ]
            },
        )
        session.commit()
    form = analyst.get(f"{BASE}/1/edit").get_data(as_text=True)
    shown = form_values(form)
    assert shown["metric-take-up-test"] == "two_proportion_z"
    assert "two_proportion_z (as recorded earlier)" in form
    assert shown["metric-days-to-claim-test"] == "welch_t"
    data = {**shown, "version": _version(form), "stopping_rule": "None."}
    assert post_form(analyst, f"{BASE}/1/edit", data).status_code == 303
    _, specs = saved_plan(trial)
    assert specs == {
        "take-up": ("primary", "two_proportion_z"),
        "days-to-claim": ("secondary", "welch_t"),
    }
    before = db_snapshot(trial)
    form = analyst.get(f"{BASE}/1/edit").get_data(as_text=True)
    bad = {**form_values(form), "version": _version(form), "metric-take-up-test": "t_test"}
    page = post_form(analyst, f"{BASE}/1/edit", bad).get_data(as_text=True)
    assert error_summary(page) == [
        (
            "Choose a test suited to a binary metric (yes or no) for Take up",
            "#metric-take-up-test",
        )
    ]
    assert db_snapshot(trial) == before
