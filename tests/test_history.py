"""History pages read the audit trail: who changed what, from what, to what."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tracker.db import get_engine
from tracker.services import policies
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
