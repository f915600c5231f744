"""Installation settings for admins: today, whether published work may be read through the API
without a token (open API reads). Changed only here, in the browser, and audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput
from wtforms import BooleanField, HiddenField, SubmitField

from tracker.db import get_session
from tracker.models import SiteSetting
from tracker.models.enums import Role
from tracker.services import site_settings
from tracker.web.auth import require_role
from tracker.web.editing import ConflictRow, Saved, edit_page, save_changes, shown

blueprint = Blueprint("site_settings", __name__, url_prefix="/admin/settings")


class SiteSettingsForm(FlaskForm):  # type: ignore[misc]
    """The open API reads switch; `version` is the setting's version as opened (0: never set)."""

    open_api_reads = BooleanField(
        "Allow reading published policies through the API without a token",
        description=(
            "Anyone, without signing in or a token, may then read published policies and their "
            "pilots, results and analyses through the API (GET /api/v1/…). Audit events, "
            "datasets, the portfolio export and every change still need a token, and the web "
            "pages still need sign-in."
        ),
        widget=GovCheckboxInput(),
    )
    version = HiddenField()
    submit = SubmitField("Save settings", widget=GovSubmitInput())


@blueprint.route("", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit() -> ResponseReturnValue:
    """Show and change the installation's settings; a stale form shows both versions."""
    db_session = get_session()
    key = site_settings.OPEN_API_READS
    row = site_settings.get_setting(session=db_session, key=key)
    form = SiteSettingsForm()
    if not form.is_submitted():
        form.open_api_reads.data = site_settings.setting_value(session=db_session, key=key)
        form.version.data = str(row.version if row else 0)
    saved: Saved[SiteSetting] = Saved()
    if form.validate_on_submit():
        saved = save_changes(
            form, site_settings.change_setting, key=key, value=form.open_api_reads.data
        )
        if saved.ok:
            state = "on" if form.open_api_reads.data else "off"
            flash(f"Open API reads are {state}")
            return redirect(url_for("site_settings.edit"), 303)
    return edit_page(
        "site_settings/edit.html",
        form,
        saved,
        rows=lambda current: _conflict_rows(form, current),
        resave_replaces=True,
        heading="Settings",
        back_url=url_for("dashboard.index"),
        back_text="Back to the dashboard",
        submit_text="Save settings",
    )


def _conflict_rows(form: SiteSettingsForm, current: dict[str, Any]) -> list[ConflictRow]:
    """The switch as the admin set it and as another admin saved it meanwhile."""
    return [
        ConflictRow(
            label=str(form.open_api_reads.label.text),
            yours=shown(form.open_api_reads.data),
            saved=shown(bool(current.get("value"))),
        )
    ]
