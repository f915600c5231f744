"""Signing in and out through the real form, with CSRF on: redirects, lockout, cookies, 403."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import TEST_PASSWORD, add_user, make_app, signed_in_client
from tracker.models.enums import Role
from tracker.web.auth import WRONG_DETAILS, safe_next

EMAIL = "viewer@example.gov.uk"


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    """The CSRF token from the hidden field of the form at `path`."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(
    client: FlaskClient, email: str = EMAIL, password: str = TEST_PASSWORD, query: str = ""
) -> TestResponse:
    """Submit the sign-in form as a person would, token included."""
    token = csrf_token(client)
    return client.post(
        f"/sign-in{query}", data={"email": email, "password": password, "csrf_token": token}
    )


def test_pages_need_sign_in_and_remember_where_you_were(
    app: Flask, anonymous_client: FlaskClient
) -> None:
    add_user(app)
    response = anonymous_client.get("/policies/school-meals?tab=1")
    assert response.status_code == 302
    assert response.location == "/sign-in?next=/policies/school-meals?tab%3D1"
    html = anonymous_client.get(response.location).get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    signed = sign_in(anonymous_client, query="?next=/policies/school-meals?tab%3D1")
    assert signed.status_code == 302
    assert signed.location == "/policies/school-meals?tab=1"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "x"],
)
def test_next_outside_the_site_is_ignored(
    app: Flask, anonymous_client: FlaskClient, target: str
) -> None:
    add_user(app)
    response = sign_in(anonymous_client, query=f"?next={target}")
    assert response.status_code == 302
    assert response.location == "/dashboard"  # a viewer's landing page


def test_safe_next_accepts_only_relative_paths() -> None:
    assert safe_next("/pilots/a?b=1") == "/pilots/a?b=1"
    for unsafe in [None, "", "https://evil.example", "//evil", "/\\evil", "/a\nb", "http:/x"]:
        assert safe_next(unsafe) is None, unsafe


def test_open_paths_need_no_sign_in(anonymous_client: FlaskClient) -> None:
    assert anonymous_client.get("/sign-in").status_code == 200
    response = anonymous_client.get("/assets/plotly.min.js")
    assert response.status_code == 200
    response.close()
    response = anonymous_client.get("/static/css/app.css")
    assert response.status_code == 200
    response.close()


def test_signed_in_pages_show_who_and_a_sign_out_button(
    app: Flask, anonymous_client: FlaskClient
) -> None:
    add_user(app)
    sign_in(anonymous_client)
    html = anonymous_client.get("/").get_data(as_text=True)
    assert f"Signed in as Test viewer ({EMAIL}), viewer" in html
    assert '<form method="post" action="/sign-out"' in html
    assert 'href="/users"' not in html  # only admins see user administration


def test_wrong_password_and_unknown_email_get_the_same_govuk_error(
    app: Flask, anonymous_client: FlaskClient
) -> None:
    add_user(app)
    pages = [
        sign_in(anonymous_client, password="not the password").get_data(as_text=True),
        sign_in(anonymous_client, email="nobody@example.gov.uk").get_data(as_text=True),
    ]
    for html in pages:
        assert "<title>Error: Sign in" in html
        assert "govuk-error-summary" in html
        assert 'href="#email"' in html
        assert str(WRONG_DETAILS) in html.replace("&#39;", "'")
    assert anonymous_client.get("/").status_code == 302


def test_empty_form_errors_link_to_their_fields(anonymous_client: FlaskClient) -> None:
    html = sign_in(anonymous_client, email="", password="").get_data(as_text=True)
    assert '<a href="#email">Enter your email address</a>' in html
    assert '<a href="#password">Enter your password</a>' in html


def test_five_failures_lock_until_later_then_sign_in_works(
    app: Flask, anonymous_client: FlaskClient
) -> None:
    add_user(app)
    for _ in range(5):
        sign_in(anonymous_client, password="not the password")
    html = sign_in(anonymous_client).get_data(as_text=True)
    assert "try again later" in html
    assert anonymous_client.get("/").status_code == 302


def test_sign_in_replaces_the_session(app: Flask, anonymous_client: FlaskClient) -> None:
    add_user(app)
    with anonymous_client.session_transaction() as flask_session:
        flask_session["planted"] = "by an attacker"
    sign_in(anonymous_client)
    with anonymous_client.session_transaction() as flask_session:
        assert "planted" not in flask_session
        assert flask_session.permanent


def test_session_cookie_is_httponly_lax_secure_and_lasts_8_hours(
    app: Flask, anonymous_client: FlaskClient
) -> None:
    add_user(app)
    cookie = sign_in(anonymous_client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_secure_flag_can_be_turned_off_for_plain_http(
    monkeypatch: pytest.MonkeyPatch, migrated_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_SESSION_COOKIE_SECURE", "false")
    app = make_app(migrated_url, tmp_path / "instance")
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_sign_out_needs_post_with_csrf(app: Flask) -> None:
    client = signed_in_client(app)
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/sign-in"
    assert client.get("/").status_code == 302


def test_a_post_without_csrf_token_is_refused(app: Flask, anonymous_client: FlaskClient) -> None:
    add_user(app)
    response = anonymous_client.post("/sign-in", data={"email": EMAIL, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "govuk-template" in response.get_data(as_text=True)
    assert anonymous_client.get("/").status_code == 302


def test_a_deactivated_user_is_signed_out(app: Flask) -> None:
    from sqlmodel import Session

    from tracker.db import get_engine
    from tracker.services import users
    from tracker.services.actors import Actor

    client = signed_in_client(app, role=Role.EDITOR)
    assert client.get("/").status_code == 200
    with Session(get_engine(app.config["DATABASE_URL"])) as db_session:
        users.update_user(
            session=db_session,
            actor=Actor.system("test"),
            email="editor@example.gov.uk",
            data={"is_active": False},
            expected_version=None,
        )
        db_session.commit()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("role", "landing"),
    [(Role.VIEWER, "/dashboard"), (Role.EDITOR, "/"), (Role.ANALYST, "/"), (Role.ADMIN, "/")],
)
def test_viewers_land_on_the_dashboard_and_recorders_on_the_policies(
    app: Flask, anonymous_client: FlaskClient, role: Role, landing: str
) -> None:
    add_user(app, role=role)
    response = sign_in(anonymous_client, email=f"{role.value}@example.gov.uk")
    assert response.status_code == 302 and response.location == landing
