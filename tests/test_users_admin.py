"""User administration: only admins list, add and edit users; stale edits get a conflict."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.conftest import TEST_PASSWORD, add_user, signed_in_client
from tests.web_helpers import conflict_table
from tracker.db import get_engine
from tracker.models import AuditEvent, User
from tracker.models.enums import Role

NEW_USER = {
    "email": "new.person@example.gov.uk",
    "display_name": "New Person",
    "role": "editor",
    "password": "a long enough password",
}


def _token(client: FlaskClient, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, path
    return match.group(1)


def _state(app: Flask) -> tuple[list[tuple[str, str, str, bool, int]], int]:
    """Every user's fields and the number of audit events: what 'nothing changed' compares."""
    with Session(get_engine(app.config["DATABASE_URL"])) as db_session:
        people = [
            (user.email, user.display_name, user.role.value, user.is_active, user.version)
            for user in db_session.exec(select(User).order_by(User.email))
        ]
        events = len(db_session.exec(select(AuditEvent)).all())
    return people, events


def _target(app: Flask) -> User:
    return add_user(app, role=Role.VIEWER, email="target@example.gov.uk")


WRITES = [
    ("/users/new", lambda target: dict(NEW_USER)),
    (
        "/users/{id}/edit",
        lambda target: {
            "display_name": "Renamed",
            "role": "admin",
            "is_active": "y",
            "version": str(target.version),
        },
    ),
]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.ANALYST])
@pytest.mark.parametrize(("path", "form"), WRITES)
def test_only_admins_may_write_users(app: Flask, role: Role, path: str, form: object) -> None:
    target = _target(app)
    client = signed_in_client(app, role=role)
    token = _token(client)
    before = _state(app)
    url = path.format(id=target.id)
    for method in ("get", "post"):
        data = {**form(target), "csrf_token": token} if method == "post" else None  # type: ignore[operator]
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (method, url)
        html = response.get_data(as_text=True)
        assert 'class="govuk-template' in html
        assert '<h1 class="govuk-heading-l">You do not have permission to do this</h1>' in html
    assert client.get("/users").status_code == 403
    assert _state(app) == before


@pytest.mark.parametrize(("path", "form"), WRITES)
def test_signed_out_writes_go_to_sign_in_and_change_nothing(
    app: Flask, anonymous_client: FlaskClient, path: str, form: object
) -> None:
    target = _target(app)
    before = _state(app)
    response = anonymous_client.post(path.format(id=target.id), data=form(target))  # type: ignore[operator]
    assert response.status_code in {302, 400}
    assert _state(app) == before


def test_admin_adds_a_user_who_can_then_sign_in(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    html = admin.get("/users/new").get_data(as_text=True)
    assert "govuk-radios" in html and 'type="password"' in html
    response = admin.post(
        "/users/new", data={**NEW_USER, "csrf_token": _token(admin, "/users/new")}
    )
    assert response.status_code == 302 and response.location == "/users"
    listing = admin.get("/users").get_data(as_text=True)
    assert "Added new.person@example.gov.uk as editor" in listing
    assert "new.person@example.gov.uk" in listing and "New Person" in listing and "Never" in listing
    newcomer = app.test_client()
    token = _token(newcomer, "/sign-in")
    signed = newcomer.post(
        "/sign-in",
        data={"email": NEW_USER["email"], "password": NEW_USER["password"], "csrf_token": token},
    )
    assert signed.status_code == 302
    assert "Signed in as New Person" in newcomer.get("/").get_data(as_text=True)


def test_new_user_errors_show_in_the_govuk_error_summary(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    token = _token(admin, "/users/new")
    short = admin.post("/users/new", data={**NEW_USER, "password": "short", "csrf_token": token})
    html = short.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert '<a href="#password">The password must be at least 12 characters</a>' in html
    bad = admin.post("/users/new", data={**NEW_USER, "email": "no-at-sign", "csrf_token": token})
    assert 'href="#email"' in bad.get_data(as_text=True)
    add_user(app, email=NEW_USER["email"])
    taken = admin.post("/users/new", data={**NEW_USER, "csrf_token": token})
    assert "already exists" in taken.get_data(as_text=True)


def test_admin_edits_a_user_and_a_stale_form_gets_a_conflict(app: Flask) -> None:
    target = _target(app)
    admin = signed_in_client(app, role=Role.ADMIN)
    edit_url = f"/users/{target.id}/edit"
    html = admin.get(edit_url).get_data(as_text=True)
    assert f'name="version" type="hidden" value="{target.version}"' in html
    token = _token(admin, edit_url)
    form = {"display_name": "Renamed", "role": "analyst", "is_active": "y", "csrf_token": token}
    first = admin.post(edit_url, data={**form, "version": str(target.version)})
    assert first.status_code == 302
    stale = admin.post(
        edit_url, data={**form, "display_name": "Overwrite", "version": str(target.version)}
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 200
    assert "govuk-error-summary" in html and "Someone else changed this" in html
    assert conflict_table(html)["Name"] == ("Overwrite", "Renamed")
    assert conflict_table(html)["Role"] == ("analyst", "analyst")
    people, _events = _state(app)
    assert ("target@example.gov.uk", "Renamed", "analyst", True, target.version + 1) in people


def test_deactivated_user_cannot_sign_in(app: Flask) -> None:
    target = _target(app)
    admin = signed_in_client(app, role=Role.ADMIN)
    edit_url = f"/users/{target.id}/edit"
    token = _token(admin, edit_url)
    admin.post(
        edit_url,
        data={
            "display_name": "Gone",
            "role": "viewer",
            "version": str(target.version),
            "csrf_token": token,
        },
    )
    listing = admin.get("/users").get_data(as_text=True)
    assert "Gone" in listing
    person = app.test_client()
    signed = person.post(
        "/sign-in",
        data={
            "email": "target@example.gov.uk",
            "password": TEST_PASSWORD,
            "csrf_token": _token(person, "/sign-in"),
        },
    )
    assert signed.status_code == 200 and "govuk-error-summary" in signed.get_data(as_text=True)


def test_admins_see_the_users_link(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    assert 'href="/users"' in admin.get("/").get_data(as_text=True)
    assert admin.get("/users/999/edit").status_code == 404


def test_admins_cannot_lock_themselves_out(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    edit_url = "/users/1/edit"
    token = _token(admin, edit_url)
    before = _state(app)
    demoted = admin.post(
        edit_url,
        data={
            "display_name": "Me",
            "role": "viewer",
            "is_active": "y",
            "version": "1",
            "csrf_token": token,
        },
    )
    assert "You cannot remove your own admin role" in demoted.get_data(as_text=True)
    inactive = admin.post(
        edit_url,
        data={"display_name": "Me", "role": "admin", "version": "1", "csrf_token": token},
    )
    assert "You cannot deactivate your own account" in inactive.get_data(as_text=True)
    assert _state(app) == before
