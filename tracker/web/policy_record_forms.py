"""The forms for a policy's user needs, hypotheses, metrics and engagement log entries.

Each noun has one form class used for both pages: the create page shows the key (and a metric's
kind), which never change afterwards, and the edit page drops them and carries the version that
detects a stale form. Messages follow the GOV.UK Design System ("Enter …", "Select …").
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from tracker.models.base import SLUG_MAX, SLUG_PATTERN
from tracker.models.enums import (
    Direction,
    EngagementGroup,
    EngagementMethod,
    HypothesisStatus,
    MetricKind,
)
from tracker.web.fields import (
    DecimalNumberField,
    WholeNumberField,
    at_least,
    fieldset_legend,
    long_text,
    required_date,
    short_text,
    stripped,
)
from tracker.web.filters import label

NO_METRIC = ""
NO_ITERATION = ""


def _key_field(example: str) -> StringField:
    return StringField(
        "Key",
        description=(
            "A short name used in web addresses and files. Use lower case letters, numbers and "
            f"hyphens, for example ‘{example}’. You cannot change it later."
        ),
        filters=[stripped],
        validators=[
            DataRequired("Enter a key"),
            Length(max=SLUG_MAX, message=f"Key must be {SLUG_MAX} characters or fewer"),
            Regexp(
                SLUG_PATTERN,
                message=(
                    "Key must only include lower case letters, numbers and single hyphens, "
                    f"like ‘{example}’"
                ),
            ),
        ],
        widget=GovTextInput(),
        render_kw={"params": {"classes": "govuk-input--width-20", "spellcheck": False}},
    )


def _text(label_text: str, hint: str, required: str | None = None, rows: int = 3) -> Any:
    return long_text(
        label_text,
        required=required,
        description=hint,
        render_kw={"params": {"rows": rows, "label": {"classes": "govuk-label--s"}}},
    )


def _radios(
    label_text: str, choices: list[SelectChoice], required: str, hint: str = "", **kwargs: Any
) -> Any:
    return RadioField(
        label_text,
        choices=choices,
        description=hint,
        invalid_choice_message=required,
        widget=GovRadioInput(),
        # The widget always adds a hint: without one it would be an empty, announced box.
        render_kw={"params": {**fieldset_legend(label_text), **({} if hint else {"hint": None})}},
        **kwargs,
    )


def _enum_choices(enum: Any, labels: dict[str, str] | None = None) -> list[SelectChoice]:
    return [SelectChoice(item.value, (labels or {}).get(item.value, label(item))) for item in enum]


class UserNeedForm(FlaskForm):  # type: ignore[misc]
    """ "As a …, I need …, so that …", its evidence, and the metrics that show it is met."""

    key = _key_field("know-eligibility")
    as_a = _text(
        "As a …",
        "Who has the need, for example ‘parent on a low income’",
        "Enter who has the need",
    )
    i_need = _text(
        "I need …",
        "What they need to do or know, for example ‘to know my child is eligible’",
        "Enter what they need",
    )
    so_that = _text(
        "so that …",
        "Why they need it, for example ‘they get a free lunch’",
        "Enter why they need it",
    )
    evidence_source = _text(
        "Evidence source (optional)",
        "Where the need comes from, for example user research, a survey or complaints data",
    )
    metric_keys = SelectMultipleField(
        "Metrics that show the need is met",
        description="Select all that apply.",
        choices=[],
        widget=GovCheckboxesInput(),
        render_kw={"params": fieldset_legend("Metrics that show the need is met")},
    )
    version = HiddenField()


HYPOTHESIS_STATUS_LABELS = {
    "untested": "Untested – no pilot has tested it yet",
    "testing": "Testing – a pilot is testing it now",
    "supported": "Supported – the evidence backs it",
    "refuted": "Refuted – the evidence goes against it",
    "inconclusive": "Inconclusive – the evidence does not say either way",
}


class HypothesisForm(FlaskForm):  # type: ignore[misc]
    """ "We believe that … for … will …, measured by …", and how far testing has got."""

    key = _key_field("letters-work")
    we_believe = _text(
        "We believe that …",
        "The change, for example ‘a shorter letter with a QR code’",
        "Enter the change you believe in",
    )
    for_users = _text(
        "for …",
        "Who the change is for, for example ‘eligible parents’",
        "Enter who the change is for",
    )
    will = _text(
        "will …",
        "What the change will do, for example ‘raise take-up of free school meals’",
        "Enter what the change will do",
    )
    measured_by = _radios(
        "Measured by",
        [],
        "Select the metric it is measured by",
        "The metric whose results will show whether the hypothesis holds",
        default=NO_METRIC,
    )
    status = _radios(
        "Status",
        _enum_choices(HypothesisStatus, HYPOTHESIS_STATUS_LABELS),
        "Select a status",
        default=HypothesisStatus.UNTESTED.value,
    )
    version = HiddenField()


METRIC_KIND_LABELS = {
    "binary": "Binary – yes or no for each person, reported as a proportion",
    "continuous": "Continuous – a measurement such as days or pounds, reported as a mean",
    "count": "Count – how many times something happens, reported as a rate",
}
DIRECTION_LABELS = {"increase": "Higher is better", "decrease": "Lower is better"}


class MetricForm(FlaskForm):  # type: ignore[misc]
    """An outcome metric: what it measures, how it is counted and which way is better."""

    key = _key_field("take-up")
    name = short_text("Name", required="Enter the name of the metric")
    kind = _radios(
        "Kind of metric",
        _enum_choices(MetricKind, METRIC_KIND_LABELS),
        "Select the kind of metric",
        "You cannot change this later: results are stored by it.",
    )
    unit = short_text(
        "Unit (optional)",
        description="For example ‘days’, ‘pounds’ or ‘claims per 1,000 families’",
        render_kw={"params": {"classes": "govuk-input--width-20"}},
    )
    direction = _radios(
        "Which way is better?",
        _enum_choices(Direction, DIRECTION_LABELS),
        "Select which way is better",
    )
    minimum_important_difference = DecimalNumberField(
        "Minimum important difference (optional)",
        example="0.05",
        description="The smallest change worth acting on, in the metric's unit.",
    )
    description = _text(
        "Description (optional)", "How the metric is defined and where the data comes from", rows=4
    )
    version = HiddenField()


class EngagementForm(FlaskForm):  # type: ignore[misc]
    """Who was engaged, how and when, what we heard, and what changed because of it."""

    key = _key_field("parent-workshop")
    group = _radios("Who was engaged?", _enum_choices(EngagementGroup), "Select who was engaged")
    method = _radios(
        "How were they engaged?", _enum_choices(EngagementMethod), "Select how they were engaged"
    )
    held_on = required_date(
        "Date of the engagement",
        "Enter the date of the engagement",
        render_kw={"params": fieldset_legend("Date of the engagement")},
    )
    participants = WholeNumberField(
        "Number of people (optional)",
        example="12",
        validators=[at_least(0)],
        render_kw={"params": {"classes": "govuk-input--width-5", "inputmode": "numeric"}},
    )
    what_we_heard = _text("What we heard", "", "Enter what you heard", rows=5)
    what_changed = _text("What changed because of it (optional)", "", rows=4)
    iteration = SelectField(
        "Iteration it fed into (optional)",
        description="If what you heard came from or shaped one version of a pilot",
        choices=[],
        default=NO_ITERATION,
        invalid_choice_message="Select an iteration from the list",
        widget=GovSelect(),
    )
    version = HiddenField()
