"""What every create and edit page shares: running a service write, and showing what went wrong.

A form page calls `save(form, write)` with a function that makes the service call. `save` commits
when the call succeeds and rolls back otherwise, so a failed form changes nothing; it puts each
service validation error on its form field (the error summary then links to it), turns a stale
version into a `Conflict` the page shows beside the saved values, and a role refusal into 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import abort, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import wtforms_errors
from sqlmodel import Session
from wtforms import Field

from tracker.db import get_session
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed
from tracker.web.auth import current_actor
from tracker.web.fields import DATE_PARTS, GovDateField

Result = TypeVar("Result")

# Fields a form page renders itself rather than in the loop over the form's fields.
FORM_PLUMBING = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


@dataclass(frozen=True)
class Saved(Generic[Result]):
    """The outcome of `save`: the service's result when it worked, else what stopped it."""

    result: Result | None = None
    conflict: Conflict | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class ConflictRow:
    """One field of a stale form: what the user typed and what is saved now."""

    label: str
    yours: str
    saved: str

    @property
    def differs(self) -> bool:
        return self.yours != self.saved


def error_summary(form: FlaskForm) -> dict[str, Any]:
    """The GOV.UK error summary's parameters for `form`, each error linking to its input.

    govuk-frontend-wtf links a date to the field's id, but the date input's first box is
    "<id>-day": the link goes to the first box the user has to fix, as the Design System asks.
    """
    params: dict[str, Any] = wtforms_errors(form)
    for item in params["errorList"]:
        field = getattr(form, item["href"].lstrip("#"), None)
        if isinstance(field, GovDateField):
            parts = field.parts or [""] * 3
            first_blank = next((i for i, part in enumerate(parts) if not part), 0)
            item["href"] = f"#{field.id}-{DATE_PARTS[first_blank]}"
    return params


def show_service_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Put each service error on its form field, so the error summary links to that field.

    Service fields are dotted paths ("arms.0.allocation"); the first part names the form field.
    An error about a field the form does not show goes on the first visible field rather than
    being dropped.
    """
    fallback = next(field for field in form if field.type not in FORM_PLUMBING)
    for problem in error.errors:
        field = getattr(form, problem.field.split(".")[0], None)
        if not isinstance(field, Field) or field.type in FORM_PLUMBING:
            field = fallback
        message = problem.message[:1].upper() + problem.message[1:]
        field.errors = [*field.errors, message]


def expected_version(raw: str | None) -> int:
    """The version the form was opened at; a missing or garbled one counts as stale (0)."""
    try:
        return int(raw or "0")
    except ValueError:
        return 0


def save(
    form: FlaskForm,
    write: Callable[[Session], Result],
    *,
    duplicate_field: str | None = None,
) -> Saved[Result]:
    """Run `write` in the request's session and commit it, or roll back and say why.

    A `Conflict` that carries the stored record is a stale edit: it comes back for the page to
    show. One without (a duplicate key) is a mistake in the form: it goes on `duplicate_field`.
    """
    db_session = get_session()
    try:
        result = write(db_session)
    except ValidationFailed as error:
        db_session.rollback()
        show_service_errors(form, error)
        return Saved()
    except Conflict as error:
        db_session.rollback()
        if error.current is None:
            show_service_errors(
                form, ValidationFailed.single(duplicate_field or "", _sentence(str(error)))
            )
            return Saved()
        return Saved(conflict=error)
    except NotAllowed as error:
        db_session.rollback()
        abort(403, description=str(error))
    db_session.commit()
    return Saved(result=result)


def save_new(
    form: FlaskForm,
    service: Callable[..., Result],
    *,
    duplicate_field: str | None = None,
    **arguments: Any,
) -> Saved[Result]:
    """`save` of the usual service write: `service(session=, actor=, **arguments)`.

    The session is the request's and the actor the signed-in user, as every service write wants.
    """
    return save(
        form,
        lambda db_session: service(session=db_session, actor=current_actor(), **arguments),
        duplicate_field=duplicate_field,
    )


def save_changes(
    form: FlaskForm,
    service: Callable[..., Result],
    *,
    duplicate_field: str | None = None,
    **arguments: Any,
) -> Saved[Result]:
    """`save_new` for an edit form: it also passes the version the form was opened at (its
    hidden `version` field), so an edit made stale by someone else's save comes back as a
    Conflict rather than overwriting it."""
    return save_new(
        form,
        service,
        duplicate_field=duplicate_field,
        expected_version=expected_version(form.version.data),
        **arguments,
    )


def edit_page(
    template: str,
    form: FlaskForm,
    saved: Saved[Any],
    *,
    rows: Callable[[dict[str, Any]], list[ConflictRow]] | None = None,
    resave_replaces: bool = False,
    **context: Any,
) -> str:
    """An edit page, with the conflict panel when the save found the record changed meanwhile.

    `rows` turns the saved record into the panel's rows where plain `conflict_rows` would not
    read well (stored codes shown as the form's words, a derived field added). With
    `resave_replaces` the form is moved on to the saved version, so saving again replaces the
    other person's changes, as the panel then offers; otherwise it stays stale until reopened.
    """
    conflict = saved.conflict
    panel: list[ConflictRow] = []
    if conflict is not None:
        current = conflict.current or {}
        panel = rows(current) if rows is not None else conflict_rows(form, current)
        if resave_replaces:
            form.version.data = str(current.get("version", ""))
    return render_template(template, form=form, conflict=conflict, conflict_rows=panel, **context)


def conflict_rows(
    form: FlaskForm, saved: dict[str, Any], *, fields: Iterable[str] | None = None
) -> list[ConflictRow]:
    """Both versions of a stale form, field by field, for the conflict panel.

    `saved` is the stored record as the Conflict carries it; fields the record does not have
    (a form-only field such as a confirmation) are left out.
    """
    names = (
        list(fields)
        if fields is not None
        else [field.name for field in form if field.type not in FORM_PLUMBING]
    )
    rows = []
    for name in names:
        field = getattr(form, name)
        if name not in saved:
            continue
        rows.append(
            ConflictRow(
                label=str(field.label.text), yours=shown(field.data), saved=shown(saved[name])
            )
        )
    return rows


def shown(value: Any) -> str:
    """A value as a person reads it in the conflict panel (lists one per line, None blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return "\n".join(shown(item) for item in value)
    if isinstance(value, dict):
        return "\n".join(f"{key}: {shown(item)}" for key, item in value.items())
    return str(getattr(value, "value", value))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
