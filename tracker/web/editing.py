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

from flask import abort
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import wtforms_errors
from sqlmodel import Session
from wtforms import Field

from tracker.db import get_session
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed
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
