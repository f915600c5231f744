"""Form fields the GOV.UK widgets need but WTForms does not provide as the Design System asks.

Dates: the GOV.UK date input is three boxes (day, month, year) posted under one name. WTForms'
DateField joins them and parses the result, but a form posted without the field (or with only
some boxes) leaves `raw_data` short, which the widget cannot unpack; and its one error message
does not say which part is missing. `GovDateField` keeps the three parts and explains.

Lists: several records hold lists of short texts (tags, evidence, theory-of-change steps). They
are edited one item per line in a textarea, the simplest input that still round-trips exactly.

Texts and questions: every form asks for typed text and required choices the same way, so the
factories here give each one its trimming, its Design System messages and its column's limit
once: `short_text`, `long_text`, `required_radios`, `required_date` and `fieldset_legend`.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from tracker.models.base import LARGEST_WHOLE_NUMBER, TITLE_MAX
from tracker.web.filters import long_date

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


def long_iso_date(text: str) -> str:
    """A date as a conflict panel words it: a date field's value is shown as ISO text
    ("2025-03-04"), which reads as "4 March 2025"; anything else is left as it is."""
    try:
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


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


def stripped(value: Any) -> Any:
    """Typed text without surrounding spaces and with browsers' CRLF line ends as newlines, so a
    box of spaces counts as empty and re-saving an unchanged textarea changes nothing; a text
    box missing from the post counts as empty too."""
    if value is None:
        return ""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def short_text(
    label: str, description: str = "", *, required: str | None = None, **kwargs: Any
) -> Any:
    """A one-line text box, trimmed, no longer than a title column (a name, a team, who decided).

    `required` is the message for a blank box; without it the box may be left empty. The length
    message names the field as its label does, less any " (optional)".
    """
    name = label.removesuffix(" (optional)")
    return StringField(
        label,
        filters=[stripped],
        validators=[
            *([DataRequired(required)] if required else []),
            Length(max=TITLE_MAX, message=f"{name} must be {TITLE_MAX} characters or fewer"),
        ],
        widget=GovTextInput(),
        description=description,
        **kwargs,
    )


def long_text(
    label: str,
    description: str = "",
    *,
    required: str | None = None,
    rows: int | None = None,
    **kwargs: Any,
) -> Any:
    """A textarea, trimmed; `required` is the message for a blank one (none: it may be empty),
    `rows` its height when the default five lines do not suit."""
    if rows is not None:
        kwargs["render_kw"] = {"params": {"rows": rows}}
    return TextAreaField(
        label,
        filters=[stripped],
        validators=[DataRequired(required)] if required else [],
        widget=GovTextArea(),
        description=description,
        **kwargs,
    )


def required_radios(label: str, choices: Any, required: str, **kwargs: Any) -> Any:
    """Radios where one must be chosen; `required` says so when none is (GOV.UK "Select …")."""
    return RadioField(
        label,
        choices=choices,
        validators=[InputRequired(required)],
        widget=GovRadioInput(),
        **kwargs,
    )


def required_date(label: str, required: str, **kwargs: Any) -> GovDateField:
    """A date that must be given, with the Design System's example as its hint."""
    return GovDateField(
        label,
        description="For example, 27 3 2025",
        validators=[date_required(required)],
        **kwargs,
    )


def fieldset_legend(text: str, size: str = "s") -> dict[str, Any]:
    """The GOV.UK macro parameters that ask a radios', checkboxes' or date's question as the
    legend of its fieldset, in the given size ("s", "m", …)."""
    return {"fieldset": {"legend": {"text": text, "classes": f"govuk-fieldset__legend--{size}"}}}


def field_name(field: Field) -> str:
    """A field's label as its error messages name it: "Number of people", not "… (optional)"."""
    return str(field.label.text).removesuffix(" (optional)")


class TypedNumberField(StringField):  # type: ignore[misc]
    """A number typed into a text box: blank is None, and after an error the box shows what
    was typed rather than the number parsed from it. Subclasses say how to read the text."""

    widget = GovTextInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.text = ""

    def _value(self) -> str:
        return self.text if self.raw_data else self.shown(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if self.text:
            self.data = self.parsed(self.text)

    def parsed(self, text: str) -> Any:
        """The number in `text`; a ValueError's message is the field's error."""
        raise NotImplementedError

    def shown(self, value: Any) -> str:
        return "" if value is None else str(value)


class WholeNumberField(TypedNumberField):
    """A whole number typed into a text box, with GOV.UK's messages; blank is None."""

    def __init__(self, label: str, example: str = "100", **kwargs: Any) -> None:
        kwargs.setdefault(
            "render_kw", {"params": {"inputmode": "numeric", "classes": "govuk-input--width-10"}}
        )
        super().__init__(label, **kwargs)
        self.example = example

    def parsed(self, text: str) -> int:
        try:
            number = int(text.replace(",", ""))
        except ValueError as error:
            raise ValueError(
                f"{field_name(self)} must be a whole number, like {self.example}"
            ) from error
        if number > LARGEST_WHOLE_NUMBER:
            raise ValueError(f"{field_name(self)} must be {LARGEST_WHOLE_NUMBER:,} or fewer")
        return number


class DecimalNumberField(TypedNumberField):
    """A number that may have decimals (a difference, a rate); blank is None, and infinity or
    "nan" are refused, since no stored figure may be either."""

    def __init__(self, label: str, example: str = "0.05", **kwargs: Any) -> None:
        kwargs.setdefault(
            "render_kw", {"params": {"inputmode": "decimal", "classes": "govuk-input--width-10"}}
        )
        super().__init__(label, **kwargs)
        self.example = example

    def parsed(self, text: str) -> float:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"{field_name(self)} must be a number, like {self.example}")
        return number


def at_least(minimum: int) -> Any:
    """A validator: a whole number field, when filled in, is at least `minimum`."""

    def check(form: Any, field: WholeNumberField) -> None:
        if field.data is not None and field.data < minimum:
            raise ValidationError(f"{field_name(field)} must be {minimum} or more")

    return check
