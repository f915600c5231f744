"""History pages read the audit trail: who changed what, from what, to what."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tracker.db import get_engine
from tracker.services import iterations, policies
from tracker.services.actors import Actor


def test_policy_history_shows_who_changed_what(
    example_app: Flask, example_client: FlaskClient
) -> None:
    slug = "council-tax-text-reminders"
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        policies.update_policy(
            session=session,
            actor=Actor.system("ada@example.gov.uk"),
            slug=slug,
            data={"team": "Revenues <script>alert(1)</script>"},
            expected_version=None,
        )
        session.commit()
    page = example_client.get(f"/policies/{slug}/history")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ada@example.gov.uk" in html
    assert "Revenues &lt;script&gt;" in html and "<script>alert(1)" not in html
    assert "Revenues and Benefits, Example Borough Council (fictional) →" in html
    assert f'href="/policies/{slug}/history"' in example_client.get(f"/policies/{slug}").get_data(
        as_text=True
    )


def test_pilot_history_and_unknown_records(example_client: FlaskClient) -> None:
    page = example_client.get("/pilots/ggl-2006-michigan-primary-mailings/history")
    assert page.status_code == 200
    assert "Create" in page.get_data(as_text=True)  # the import recorded its creation
    assert example_client.get("/pilots/no-such-pilot/history").status_code == 404


def test_any_record_has_a_history_page_that_links_back_to_its_pilot(
    example_app: Flask, example_client: FlaskClient
) -> None:
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        iteration = iterations.get_iteration(
            session=session, pilot_slug="ggl-2006-michigan-primary-mailings", number=1
        )
        arm = iterations.list_arms(session=session, iteration=iteration)[0]
        iterations.update_arm(
            session=session,
            actor=Actor.system("grace@example.gov.uk"),
            pilot_slug="ggl-2006-michigan-primary-mailings",
            number=1,
            name=arm.name,
            data={"description": "Changed for the history test"},
            expected_version=None,
        )
        session.commit()
        arm_id, arm_name = arm.id, arm.name
    page = example_client.get(f"/history/arm/{arm_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Arm: {arm_name}" in html
    assert "grace@example.gov.uk" in html and "Changed for the history test" in html
    assert 'href="/pilots/ggl-2006-michigan-primary-mailings"' in html


def test_history_of_unknown_records_and_users(example_client: FlaskClient) -> None:
    assert example_client.get("/history/arm/999999").status_code == 404
    assert example_client.get("/history/no_such_table/1").status_code == 404
    # Users' histories are for admins: a viewer is refused even their own.
    assert example_client.get("/history/user/1").status_code == 403
