"""/admin/settings: only admins switch open API reads, with CSRF, a success banner and audit."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from tests import factories
from tests.conftest import add_user, signed_in_client
from tests.web_helpers import (
    app_session,
    assert_refused,
    audit_total,
    conflict_table,
    csrf_token,
    post_form,
    signed_in_as,
)
from tracker.models import AuditEvent, SiteSetting
from tracker.models.enums import Role
from tracker.services import site_settings
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed

PAGE = "/admin/settings"


def _open(app: Flask) -> bool:
    with app_session(app) as session:
        return site_settings.open_api_reads(session)


def _setting_events(app: Flask) -> list[AuditEvent]:
    with app_session(app) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "site_setting")
                .order_by(col(AuditEvent.id))
            )
        )


def test_an_admin_turns_open_reads_on_and_off(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'name="open_api_reads"' in page and "checked" not in page
    assert f'href="{PAGE}"' in page  # linked in the admin's navigation, beside Users
    assert not _open(app)
    assert app.test_client().get("/api/v1/policies").status_code == 401

    turned_on = post_form(admin, PAGE, {"open_api_reads": "y", "version": "0"})
    assert turned_on.status_code == 303 and turned_on.location == PAGE
    shown = admin.get(PAGE).get_data(as_text=True)
    assert "govuk-notification-banner--success" in shown and "Open API reads are on" in shown
    assert "checked" in shown
    assert _open(app)
    assert app.test_client().get("/api/v1/policies").status_code == 200

    turned_off = post_form(admin, PAGE, {"version": "1"})
    assert turned_off.status_code == 303
    assert "Open API reads are off" in admin.get(PAGE).get_data(as_text=True)
    assert not _open(app)

    events = _setting_events(app)
    assert [(e.action.value, e.before, e.after) for e in events] == [
        ("create", None, {"id": 1, "key": "open_api_reads", "value": True, "updated_by_id": 1}),
        ("update", {"value": True}, {"value": False}),
    ]
    assert {e.actor_label for e in events} == {"admin@example.gov.uk"}
    assert [e.summary for e in events] == ["Turned on open API reads", "Turned off open API reads"]


def test_saving_the_same_value_changes_nothing(app: Flask) -> None:
    admin = signed_in_client(app, role=Role.ADMIN)
    post_form(admin, PAGE, {"open_api_reads": "y", "version": "0"})
    before = audit_total(app)
    assert post_form(admin, PAGE, {"open_api_reads": "y", "version": "1"}).status_code == 303
    assert audit_total(app) == before
    with app_session(app) as session:
        assert session.exec(select(SiteSetting)).one().version == 1


def test_a_stale_form_shows_both_versions_and_saves_nothing(app: Flask) -> None:
    first = signed_in_client(app, role=Role.ADMIN)
    second = signed_in_as(app, add_user(app, role=Role.ADMIN, email="second@example.gov.uk"))
    token = csrf_token(second, PAGE)  # opened while the setting had never been saved
    post_form(first, PAGE, {"open_api_reads": "y", "version": "0"})
    before = audit_total(app)
    stale = second.post(PAGE, data={"version": "0", "csrf_token": token})
    assert stale.status_code == 200
    page = stale.get_data(as_text=True)
    label = "Allow reading published policies through the API without a token"
    assert conflict_table(page) == {label: ("No", "Yes")}
    assert audit_total(app) == before and _open(app)


def test_other_roles_and_missing_csrf_are_refused(app: Flask) -> None:
    for role in (Role.VIEWER, Role.EDITOR, Role.ANALYST):
        client = signed_in_client(app, role=role)
        token = csrf_token(client, "/dashboard")  # their own session's token, from any page
        assert_refused(client, PAGE, {"open_api_reads": "y", "version": "0"}, token)
        assert f'href="{PAGE}"' not in client.get("/").get_data(as_text=True)
    admin = signed_in_client(app, role=Role.ADMIN)
    no_csrf = admin.post(PAGE, data={"open_api_reads": "y", "version": "0"})
    assert no_csrf.status_code == 400
    signed_out = app.test_client().get(PAGE)
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.location
    assert not _open(app) and _setting_events(app) == []


def test_the_service_checks_role_key_and_value(session: Session) -> None:
    key = site_settings.OPEN_API_READS
    assert site_settings.open_api_reads(session) is False  # no row: the default
    with pytest.raises(NotAllowed, match="needs the admin role"):
        site_settings.change_setting(
            session=session, actor=factories.ANALYST, key=key, value=True, expected_version=0
        )
    with pytest.raises(ValidationFailed) as bad_value:
        site_settings.change_setting(
            session=session, actor=factories.ADMIN, key=key, value="yes", expected_version=0
        )
    assert bad_value.value.errors[0].message == "must be true or false"
    with pytest.raises(ValidationFailed, match="unknown setting"):
        site_settings.setting_value(session=session, key="open_writes")
    site_settings.change_setting(
        session=session, actor=factories.ADMIN, key=key, value=True, expected_version=0
    )
    with pytest.raises(Conflict):
        site_settings.change_setting(
            session=session, actor=factories.ADMIN, key=key, value=False, expected_version=0
        )
    assert site_settings.open_api_reads(session) is True
