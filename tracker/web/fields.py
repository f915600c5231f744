"""Form fields the GOV.UK widgets need but WTForms does not provide as the Design System asks.

Dates: the GOV.UK date input is three boxes (day, month, year) posted under one name. WTForms'
DateField joins them and parses the result, but a form posted without the field (or with only
some boxes) leaves `raw_data` short, which the widget cannot unpack; and its one error message
does not say which part is missing. `GovDateField` keeps the three parts and explains.

Lists: several records hold lists of short texts (tags, evidence, theory-of-change steps). They
are edited one item per line in a textarea, the simplest input that still round-trips exactly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovTextArea
from wtforms import Field, TextAreaField
from wtforms.validators import ValidationError

DATE_PARTS = ("day", "month", "year")


class GovDateField(Field):  # type: ignore[misc]
    """A date entered as day, month and year, with the Design System's error messages."""

    widget = GovDateInput()

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.parts: list[str] = []
        self.raw_data: list[str] | None = None

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = [part.strip() for part in valuelist[:3]]
        self.parts = parts + [""] * (3 - len(parts))
        self.raw_data = self.parts
        self.data = None
        missing = [name for name, part in zip(DATE_PARTS, self.parts, strict=True) if not part]
        if len(missing) == 3:
            return
        if missing:
            raise ValueError(f"{self.label.text} must include a {' and a '.join(missing)}")
        try:
            day, month, year = (int(part) for part in self.parts)
            if year < 1000:
                raise ValueError
            self.data = date(year, month, day)
        except ValueError as error:
            raise ValueError(f"{self.label.text} must be a real date") from error

    def process_data(self, value: Any) -> None:
        self.data = value
        self.raw_data = None


def date_required(message: str) -> Any:
    """A validator for a GovDateField that must be filled in (the field itself checks the parts)."""

    def check(form: Any, field: GovDateField) -> None:
        if field.data is None and not field.errors:
            raise ValidationError(message)

    return check


class LinesField(TextAreaField):  # type: ignore[misc]
    """A list of short texts edited one per line; blank lines are dropped, order is kept."""

    widget = GovTextArea()

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])
