"""Each person's own API tokens: list them, make one (shown once), revoke one.

Every signed-in role may do this for themself and no one else: a token acts with its owner's
role, so it gives nobody more than they have. Another person's token id gets the 404 page, as an
id that does not exist would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import Field, SubmitField
from wtforms.validators import ValidationError

from tracker.db import get_session
from tracker.models import ApiToken
from tracker.models.api_token import TOKEN_NAME_MAX
from tracker.models.base import utcnow
from tracker.models.enums import Role
from tracker.services import api_tokens
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import save
from tracker.web.fields import GovDateField, short_text

blueprint = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


class ApiTokenForm(FlaskForm):  # type: ignore[misc]
    """What the token is for, and when it should stop working (if ever)."""

    name = short_text(
        "What is this token for?",
        "For example, “Nightly upload of results from the data warehouse”. "
        "Only you see this, in your list of tokens.",
        required="Enter what the token is for",
    )
    # The legend adds "(optional)"; the label is what the field's own error messages name.
    expires_at = GovDateField(
        "Expiry date",
        description="The token stops working at the start of this day (00:00 UTC). Leave it "
        "blank for a token that works until you revoke it. For example, 31 3 2027",
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())

    def validate_name(self, field: Field) -> None:
        """The column holds 100 characters, fewer than the usual one-line box."""
        if len(field.data or "") > TOKEN_NAME_MAX:
            raise ValidationError(
                f"What the token is for must be {TOKEN_NAME_MAX} characters or fewer"
            )


@dataclass(frozen=True)
class TokenRow:
    """A token as the list shows it: the record and whether it still works."""

    token: ApiToken
    status: str

    @property
    def active(self) -> bool:
        return self.status == "Active"


def _status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "Revoked"
    return "Active" if api_tokens.is_active(token, now) else "Expired"


def _start_of(day: date | None) -> datetime | None:
    """The moment a token given an expiry date stops: midnight UTC as that day begins."""
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def _index_page(form: ApiTokenForm) -> str:
    now = utcnow()
    tokens = api_tokens.list_tokens(get_session(), current_actor())
    rows = [TokenRow(token, _status(token, now)) for token in tokens]
    return render_template("api_tokens/index.html", form=form, rows=rows)


@blueprint.get("")
@require_role(Role.VIEWER)
def index() -> str:
    """The signed-in person's tokens, newest first, and the form to make another."""
    return _index_page(ApiTokenForm())


@blueprint.post("")
@require_role(Role.VIEWER)
def create() -> ResponseReturnValue:
    """Make a token and show it, this once; the page is never stored by the browser."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        saved = save(
            form,
            lambda db_session: api_tokens.create_token(
                db_session, current_actor(), form.name.data, _start_of(form.expires_at.data)
            ),
        )
        if saved.result is not None:
            token, plaintext = saved.result
            response = make_response(
                render_template("api_tokens/created.html", token=token, plaintext=plaintext)
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    return _index_page(form)


@blueprint.post("/<int:token_id>/revoke")
@require_role(Role.VIEWER)
def revoke(token_id: int) -> ResponseReturnValue:
    """Stop one of your tokens working, for good (someone else's is a 404)."""
    db_session = get_session()
    token = api_tokens.revoke_token(db_session, current_actor(), token_id)
    db_session.commit()
    flash(f"Revoked the token for “{token.name}”: it no longer works.")
    return redirect(url_for("api_tokens.index"))
