"""The API tokens page: every role makes and revokes its own tokens; a token is shown once."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.conftest import add_user, signed_in_client
from tests.web_helpers import (
    app_session,
    csrf_token,
    db_snapshot,
    error_summary,
    post_form,
    signed_in_as,
    text_of,
)
from tracker.models import ApiToken, User
from tracker.models.enums import Role
from tracker.services import api_tokens
from tracker.services.actors import Actor

PAGE = "/account/api-tokens"
_SHOWN_TOKEN = re.compile(r'<code class="app-break-all" id="api-token">([^<]+)</code>')


def _create(client: FlaskClient, name: str = "Nightly upload", **fields: object) -> str:
    """Make a token through the page; the HTML of the page that answers."""
    response = post_form(client, PAGE, {"name": name, **fields})
    assert response.status_code == 200
    return str(response.get_data(as_text=True))


def _stored(app: Flask) -> list[ApiToken]:
    with app_session(app) as session:
        return list(session.exec(select(ApiToken).order_by(ApiToken.id)))  # type: ignore[arg-type]


def _make_token(app: Flask, user: User, name: str = "Seeded") -> tuple[ApiToken, str]:
    with app_session(app) as session:
        made = api_tokens.create_token(session, Actor.for_user(user), name)
        session.commit()
        return made


def _user(app: Flask, email: str) -> User:
    with app_session(app) as session:
        return session.exec(select(User).where(User.email == email)).one()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_make_a_token_and_sees_it_once(app: Flask, role: Role) -> None:
    client = signed_in_client(app, role=role)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "You have no API tokens yet." in page.get_data(as_text=True)

    response = post_form(client, PAGE, {"name": "Nightly upload"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    match = _SHOWN_TOKEN.search(html)
    assert match, "the new token is not on the page"
    plaintext = match.group(1)
    assert "Copy it now: you will not be able to see it again." in text_of(html)
    assert f'curl -H "Authorization: Bearer {plaintext}" http://localhost/api/v1/policies' in html

    [token] = _stored(app)
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    with app_session(app) as session:
        user = api_tokens.authenticate(session, plaintext)
        assert user is not None and user.role is role

    listed = client.get(PAGE).get_data(as_text=True)
    assert plaintext[12:] not in listed and plaintext not in listed
    assert "Nightly upload" in listed and f"{plaintext[:12]}…" in listed
    assert "Active" in text_of(listed)


def test_a_name_is_required_and_a_bad_form_stores_nothing(app: Flask) -> None:
    client = signed_in_client(app)
    before = db_snapshot(app)
    html = _create(client, "   ")
    assert error_summary(html) == [("Enter what the token is for", "#name")]
    assert 'id="api-token"' not in html
    html = _create(client, "x" * 101)
    assert error_summary(html) == [
        ("What the token is for must be 100 characters or fewer", "#name")
    ]
    assert db_snapshot(app) == before


def test_an_expiry_date_must_be_real_and_in_the_future(app: Flask) -> None:
    client = signed_in_client(app)
    before = db_snapshot(app)
    today = datetime.now(UTC).date()
    html = _create(
        client,
        "Pipeline",
        expires_at=[str(today.day), str(today.month), str(today.year)],
    )
    assert error_summary(html) == [("The expiry date must be in the future", "#expires_at-day")]
    html = _create(client, "Pipeline", expires_at=["31", "2", "2030"])
    assert error_summary(html) == [("Expiry date must be a real date", "#expires_at-day")]
    assert db_snapshot(app) == before


def test_an_expiry_date_stops_the_token_as_that_day_begins(app: Flask) -> None:
    client = signed_in_client(app)
    day = datetime.now(UTC).date() + timedelta(days=10)
    html = _create(client, "Pipeline", expires_at=[str(day.day), str(day.month), str(day.year)])
    assert "It stops working on" in text_of(html)
    [token] = _stored(app)
    expires = token.expires_at
    assert expires is not None
    assert expires.replace(tzinfo=UTC) == datetime(day.year, day.month, day.day, tzinfo=UTC)
    listed = text_of(client.get(PAGE).get_data(as_text=True))
    assert f"{day.day} {day:%B %Y} 00:00 UTC" in listed


def test_revoking_stops_the_token_and_the_list_says_so(app: Flask) -> None:
    client = signed_in_client(app, role=Role.EDITOR)
    token, plaintext = _make_token(app, _user(app, "editor@example.gov.uk"))
    listed = client.get(PAGE).get_data(as_text=True)
    revoke_url = f"{PAGE}/{token.id}/revoke"
    assert f'action="{revoke_url}"' in listed
    assert "Revoke the token for Seeded" in text_of(listed) and "&lt;span" not in listed
    response = client.post(revoke_url, data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    page = client.get(PAGE).get_data(as_text=True)
    assert "Revoked the token for “Seeded”: it no longer works." in text_of(page)
    assert "Revoked" in text_of(page) and f'action="{revoke_url}"' not in page
    with app_session(app) as session:
        assert api_tokens.authenticate(session, plaintext) is None


def test_another_person_s_token_is_not_found(app: Flask) -> None:
    owner = add_user(app, role=Role.ADMIN, email="owner@example.gov.uk")
    token, plaintext = _make_token(app, owner, "Owner's pipeline")
    client = signed_in_client(app, role=Role.ADMIN)
    assert "Owner&#39;s pipeline" not in client.get(PAGE).get_data(as_text=True)
    before = db_snapshot(app)
    for token_id in (token.id, (token.id or 0) + 100):
        response = client.post(
            f"{PAGE}/{token_id}/revoke", data={"csrf_token": csrf_token(client, PAGE)}
        )
        assert response.status_code == 404
    assert db_snapshot(app) == before
    owner_client = signed_in_as(app, owner)
    assert "Owner&#39;s pipeline" in owner_client.get(PAGE).get_data(as_text=True)
    with app_session(app) as session:
        assert api_tokens.authenticate(session, plaintext) is not None


def test_making_and_revoking_need_the_csrf_token(app: Flask) -> None:
    client = signed_in_client(app)
    token, _ = _make_token(app, _user(app, "viewer@example.gov.uk"))
    before = db_snapshot(app)
    assert client.post(PAGE, data={"name": "No token"}).status_code == 400
    assert client.post(f"{PAGE}/{token.id}/revoke").status_code == 400
    forged = client.post(f"{PAGE}/{token.id}/revoke", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert db_snapshot(app) == before


def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client: FlaskClient) -> None:
    for response in (
        anonymous_client.get(PAGE),
        anonymous_client.post(PAGE, data={"name": "x"}),
        anonymous_client.post(f"{PAGE}/1/revoke"),
    ):
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_token_name_is_escaped(app: Flask) -> None:
    client = signed_in_client(app)
    html = _create(client, "<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html
    listed = client.get(PAGE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in listed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
