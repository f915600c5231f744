"""The forms behind the outcome pages: every arm's result boxes, and the decision.

A results page has one fieldset per arm, with the boxes the metric's kind needs; its inputs are
named "arm<id>_<statistic>" so an error links to the right box whatever the arms' order. Parsing
says what is wrong in the Design System's words and names the arm; the services then check again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import HiddenField, StringField
from wtforms.fields.choices import SelectChoice

from tracker.models import Arm, ArmResult, Metric
from tracker.models.enums import DecisionOutcome, MetricKind
from tracker.services.errors import Conflict, FieldError
from tracker.web.editing import ConflictRow, shown
from tracker.web.fields import (
    fieldset_legend,
    long_iso_date,
    long_text,
    required_date,
    required_radios,
    short_text,
)

LARGEST_WHOLE = 2**31 - 1  # PostgreSQL's integer column
WHOLE, AT_LEAST_ZERO, ABOVE_ZERO, ANY = "whole", "at least zero", "above zero", "any"
HINTS = {
    "n": "How many people, or other units, this arm's figures cover",
    "successes": "How many of those units had the outcome",
    "mean": "The average outcome per unit",
    "sd": "The sample standard deviation of the outcome, 0 or more",
    "total": "The number of events counted across the arm, 0 or more",
    "exposure": "What the total is counted over, such as person-years; more than 0",
    "sum": "The outcome added up over every unit",
    "sum_of_squares": "Each unit's outcome squared, added up",
}


@dataclass(frozen=True)
class Stat:
    """One box of a result: its name in ArmResultCreate, label, the noun errors use, its range."""

    name: str
    label: str
    noun: str
    rule: str = ANY

    @property
    def hint(self) -> str:
        return HINTS[self.name]


UNITS = Stat("n", "Units (n)", "number of units (n)", WHOLE)
KIND_STATS: dict[MetricKind, tuple[Stat, ...]] = {
    MetricKind.BINARY: (UNITS, Stat("successes", "Successes", "number of successes", WHOLE)),
    MetricKind.CONTINUOUS: (
        UNITS,
        Stat("mean", "Mean", "mean"),
        Stat("sd", "Standard deviation", "standard deviation", AT_LEAST_ZERO),
    ),
    MetricKind.COUNT: (
        UNITS,
        Stat("total", "Total", "total", AT_LEAST_ZERO),
        Stat("exposure", "Exposure", "exposure", ABOVE_ZERO),
    ),
}
SUMS = (
    Stat("sum", "Sum of values", "sum of values"),
    Stat("sum_of_squares", "Sum of squared values", "sum of squared values"),
)
KIND_INTROS = {
    MetricKind.BINARY: "a yes or no outcome: for each arm, enter how many units there were and "
    "how many of them had the outcome.",
    MetricKind.CONTINUOUS: "a measured outcome: for each arm, enter how many units there were, "
    "their mean and the standard deviation.",
    MetricKind.COUNT: "a count of events: for each arm, enter how many units there were, the "
    "total number of events and what they were counted over (the exposure).",
}
NUMBER_BOX = {"classes": "govuk-input--width-10", "spellcheck": False, "autocomplete": "off"}


@dataclass
class ArmRow:
    """One arm on the results page: its boxes' names, saved result and where that came from."""

    arm: Arm
    stats: tuple[Stat, ...]
    existing: ArmResult | None
    dataset: str | None  # "the dataset <file>" when the saved result was worked out from one

    @property
    def prefix(self) -> str:
        return f"arm{self.arm.id}"

    @property
    def label(self) -> str:
        control = self.arm.is_control and "control" not in self.arm.name.lower()
        return f"{self.arm.name} (control)" if control else self.arm.name

    def name(self, stat: str) -> str:
        return f"{self.prefix}_{stat}"

    @property
    def all_stats(self) -> tuple[Stat, ...]:
        """The kind's statistics, then (for a continuous metric) the sums that may replace them."""
        return (*self.stats, *SUMS) if self.stats[1].name == "mean" else self.stats

    @property
    def boxes(self) -> list[str]:
        return [self.name(stat.name) for stat in self.all_stats] + [self.name("note")]


class ArmConflict(Conflict):
    """Someone else saved this arm's result after the form was opened."""

    def __init__(self, row: ArmRow, error: Conflict, opened_at: int) -> None:
        current = error.current or {}
        if opened_at == 0:
            message = f"Someone else entered a result for {row.arm.name} while you were editing."
        else:
            message = (
                f"Someone else changed the result for {row.arm.name} while you were editing "
                f"(you started from version {opened_at}, it is now version "
                f"{current.get('version')})."
            )
        super().__init__(message, current=current)
        self.row = row


def figure(value: float | int | None) -> str:
    """A stored number as typed back into a box: exact, with no needless ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def results_form_for(rows: list[ArmRow], metric: Metric) -> FlaskForm:
    """A form with each arm's boxes, named "arm<id>_<statistic>" so ids stay stable."""

    class ResultsForm(FlaskForm):  # type: ignore[misc]
        pass

    unit = f" in {metric.unit}" if metric.unit else ""
    for row in rows:
        for stat in row.all_stats:
            hint = stat.hint + (unit if stat.name in {"mean", "sd", "sum"} else "")
            params = {**NUMBER_BOX, "inputmode": "numeric" if stat.rule == WHOLE else "decimal"}
            field = StringField(
                stat.label, description=hint, widget=GovTextInput(), render_kw={"params": params}
            )
            setattr(ResultsForm, row.name(stat.name), field)
        note = StringField(
            "Note (optional)",
            description="Anything a reader should know about these figures",
            widget=GovTextInput(),
        )
        setattr(ResultsForm, row.name("note"), note)
        setattr(ResultsForm, row.name("version"), HiddenField())
    return ResultsForm()


def prefill(form: FlaskForm, rows: list[ArmRow]) -> None:
    """Each saved result's figures, note and version into its arm's boxes."""
    for row in rows:
        if row.existing is None:
            continue
        for stat in row.stats:
            form[row.name(stat.name)].data = figure(getattr(row.existing, stat.name))
        form[row.name("note")].data = row.existing.note
        form[row.name("version")].data = str(row.existing.version)


def _number(raw: str, stat: Stat, arm: str) -> tuple[float | int | None, str | None]:
    """The box's value, or the GOV.UK-style message saying what is wrong with it."""
    text, whole = raw.replace(",", "").replace(" ", ""), stat.rule == WHOLE
    the = f"The {stat.noun} for {arm} must be"
    try:
        value: float | int = int(text) if whole else float(text)
    except ValueError:
        return None, f"{the} {'a whole number' if whole else 'a number'}"
    if not math.isfinite(value):
        return None, f"{the} a number"
    if stat.rule in {WHOLE, AT_LEAST_ZERO} and value < 0:
        return None, f"{the} 0 or more"
    if stat.rule == ABOVE_ZERO and value <= 0:
        return None, f"{the} more than 0"
    if whole and value > LARGEST_WHOLE:
        return None, f"{the} {LARGEST_WHOLE:,} or fewer"
    return value, None


def parse_row(form: FlaskForm, row: ArmRow) -> dict[str, Any] | None:
    """The arm's figures for the service, None for a blank row; errors go on the boxes."""
    raw = {
        name.removeprefix(f"{row.prefix}_"): (form[name].data or "").strip() for name in row.boxes
    }
    if not any(raw.values()):
        return None
    arm = row.arm.name
    sums = [stat for stat in SUMS if raw.get(stat.name)]
    wanted = list(row.stats)
    if sums:
        if raw.get("mean") or raw.get("sd"):
            form[row.name("sum")].errors = [
                f"Give either the mean and standard deviation or the sums for {arm}, not both"
            ]
            return None
        wanted = [UNITS, *SUMS]
    values: dict[str, Any] = {"note": raw["note"]}
    for stat in wanted:
        if not raw[stat.name]:
            form[row.name(stat.name)].errors = [f"Enter the {stat.noun} for {arm}"]
            continue
        value, problem = _number(raw[stat.name], stat, arm)
        if problem:
            form[row.name(stat.name)].errors = [problem]
        values[stat.name] = value
    if any(form[row.name(stat.name)].errors for stat in wanted):
        return None
    return _check_together(form, row, values, bool(sums))


def _check_together(
    form: FlaskForm, row: ArmRow, values: dict[str, Any], from_sums: bool
) -> dict[str, Any] | None:
    """Rules across boxes: successes within n, and enough units for a mean or an sd."""
    arm, n = row.arm.name, values["n"]
    if "successes" in values and values["successes"] > n:
        form[row.name("successes")].errors = [
            f"The number of successes for {arm} must be no more than the number of units ({n:,})"
        ]
        return None
    least = 2 if from_sums else 1
    if row.stats[1].name == "mean" and n < least:
        form[row.name("n")].errors = [
            f"The number of units (n) for {arm} must be at least {least}"
            + (" to work out a standard deviation from sums" if from_sums else "")
        ]
        return None
    return values


def unchanged(row: ArmRow, values: dict[str, Any]) -> bool:
    """Whether the figures are the saved ones (then nothing is written, not even the source)."""
    if row.existing is None or "sum" in values:
        return False
    return all(getattr(row.existing, name) == value for name, value in values.items())


def arm_conflict_rows(form: FlaskForm, conflict: ArmConflict) -> list[ConflictRow]:
    """The stale arm's boxes as typed beside its saved figures, for the conflict panel."""
    row, saved = conflict.row, conflict.current or {}
    stats = [*row.stats, Stat("note", "Note", "note")]
    return [
        ConflictRow(
            label=f"{stat.label} for {row.arm.name}",
            yours=(form[row.name(stat.name)].data or "").strip(),
            saved=figure(saved.get(stat.name)) if stat.name != "note" else shown(saved.get("note")),
        )
        for stat in stats
    ]


def arm_problem(row: ArmRow, problem: FieldError) -> FieldError:
    """A service error about one arm, on that arm's box and saying which arm."""
    boxes = {stat.name: stat for stat in row.all_stats}
    stat = boxes.get(problem.field.split(".")[0], row.stats[0])
    return FieldError(
        row.name(stat.name), f"Check the {stat.noun} for {row.arm.name}: it {problem.message}"
    )


OUTCOME_CHOICES = [
    (DecisionOutcome.ADAPT.value, "Adapt", "Change the approach and test the new version"),
    (DecisionOutcome.SCALE.value, "Scale", "Roll it out more widely: the evidence supports it"),
    (DecisionOutcome.STOP.value, "Stop", "End it: it is not working or no longer needed"),
    (
        DecisionOutcome.CONTINUE.value,
        "Continue",
        "Keep going as it is to gather more evidence before deciding",
    ),
]
OUTCOME_LABELS = {value: text for value, text, _ in OUTCOME_CHOICES}


class DecisionForm(FlaskForm):  # type: ignore[misc]
    """What was decided at the end of an iteration, why, by whom and when."""

    outcome = required_radios(
        "What did you decide?",
        [SelectChoice(value, text) for value, text, _ in OUTCOME_CHOICES],
        "Select what you decided",
        description="What happens next, in the light of this iteration.",
    )
    rationale = long_text(
        "Why did you decide this?",
        required="Enter why you decided this",
        description="What the results showed, and anything else that weighed on the decision.",
        render_kw={"params": {"rows": 6}},
    )
    decided_by = short_text(
        "Who decided",
        required="Enter who decided",
        description="A person or a group, such as the programme board.",
    )
    decided_on = required_date("Date of the decision", "Enter the date of the decision")
    version = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The radio widget consumes its items' parameters, so each form gets its own copy.
        self.outcome.render_kw = {
            "params": {
                **fieldset_legend("What did you decide?", "m"),
                "items": [{"hint": {"text": hint}} for _, _, hint in OUTCOME_CHOICES],
            }
        }


def readable_conflict_row(form: DecisionForm, row: ConflictRow) -> ConflictRow:
    """The conflict panel in words: "Scale" rather than "scale", "4 March 2025" for a date."""
    if row.label == form.outcome.label.text:
        words = OUTCOME_LABELS
        return ConflictRow(row.label, words.get(row.yours, row.yours), words.get(row.saved, ""))
    if row.label == form.decided_on.label.text:
        return ConflictRow(row.label, long_iso_date(row.yours), long_iso_date(row.saved))
    return row
