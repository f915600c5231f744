"""User administration for admins: list, add, and edit a user's name, role and whether active."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from tracker.db import get_session
from tracker.models import User
from tracker.models.enums import Role
from tracker.services import users
from tracker.web.auth import current_actor, require_role
from tracker.web.editing import Saved, edit_page, save_changes, save_new

blueprint = Blueprint("users", __name__, url_prefix="/users")

ROLE_CHOICES = [
    SelectChoice(Role.VIEWER.value, "Viewer – can read everything, change nothing"),
    SelectChoice(Role.EDITOR.value, "Editor – policy team: policies, needs, hypotheses, pilots"),
    SelectChoice(Role.ANALYST.value, "Analyst – editor, plus metrics, results, data and plans"),
    SelectChoice(Role.ADMIN.value, "Admin – analyst, plus managing users"),
]


class UserEditForm(FlaskForm):  # type: ignore[misc]
    """Name, role and whether the account may sign in; `version` detects a stale form."""

    display_name = StringField(
        "Name",
        validators=[InputRequired("Enter the user's name"), Length(max=120)],
        widget=GovTextInput(),
    )
    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        description="What this person may change. Everyone can read everything.",
        validators=[InputRequired("Select a role")],
        widget=GovRadioInput(),
    )
    is_active = BooleanField(
        "Active – can sign in",
        description="Clear this to stop the user signing in; their history is kept.",
        widget=GovCheckboxInput(),
    )
    version = HiddenField()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class UserCreateForm(FlaskForm):  # type: ignore[misc]
    """Email, name, role and an initial password the user is given in person."""

    email = StringField(
        "Email address",
        validators=[InputRequired("Enter an email address"), Length(max=254)],
        widget=GovTextInput(),
    )
    display_name = StringField(
        "Name",
        validators=[InputRequired("Enter the user's name"), Length(max=120)],
        widget=GovTextInput(),
    )
    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        default=Role.VIEWER.value,
        description="What this person may change. Everyone can read everything.",
        validators=[InputRequired("Select a role")],
        widget=GovRadioInput(),
    )
    password = PasswordField(
        "Initial password",
        description=f"At least {users.MIN_PASSWORD_LENGTH} characters.",
        validators=[
            InputRequired("Enter an initial password"),
            Length(
                min=users.MIN_PASSWORD_LENGTH,
                message=f"The password must be at least {users.MIN_PASSWORD_LENGTH} characters",
            ),
        ],
        widget=GovPasswordInput(),
    )
    submit = SubmitField("Add user", widget=GovSubmitInput())


@blueprint.get("")
@require_role(Role.ADMIN)
def index() -> str:
    """Every user with their role, whether active and when they last signed in."""
    return render_template("users/index.html", users=users.list_users(session=get_session()))


@blueprint.route("/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def new() -> ResponseReturnValue:
    """Add a user."""
    form = UserCreateForm()
    if form.validate_on_submit():
        saved = save_new(
            form,
            users.create_user,
            duplicate_field="email",
            data={
                "email": form.email.data,
                "display_name": form.display_name.data,
                "role": form.role.data,
            },
            password=form.password.data,
        )
        if saved.result is not None:
            flash(f"Added {saved.result.email} as {saved.result.role.value}")
            return redirect(url_for("users.index"))
    return render_template("users/new.html", form=form)


@blueprint.route("/<int:user_id>/edit", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def edit(user_id: int) -> ResponseReturnValue:
    """Change a user's name, role or active flag; a stale form gets a conflict message."""
    db_session = get_session()
    user = users.get_user(session=db_session, user_id=user_id)
    form = UserEditForm(obj=user)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.version.data = str(user.version)
    saved: Saved[User] = Saved()
    if form.validate_on_submit() and not _locks_yourself_out(form, user.id):
        saved = save_changes(
            form,
            users.update_user,
            email=user.email,
            data={
                "display_name": form.display_name.data,
                "role": form.role.data,
                "is_active": form.is_active.data,
            },
        )
        if saved.ok:
            flash(f"Saved changes to {user.email}")
            return redirect(url_for("users.index"))
    return edit_page("users/edit.html", form, saved, user=user)


def _locks_yourself_out(form: UserEditForm, user_id: int | None) -> bool:
    """An admin may not remove their own admin role or deactivate themselves (nobody would be
    left to undo it); says so on the field and returns True."""
    if user_id != current_actor().user_id:
        return False
    if form.role.data != Role.ADMIN.value:
        form.role.errors = ["You cannot remove your own admin role; ask another admin"]
        return True
    if not form.is_active.data:
        form.is_active.errors = ["You cannot deactivate your own account; ask another admin"]
        return True
    return False
