"""The forms of a dataset upload: the file, the column mapping built from its header, confirm.

The mapping form has one outcome select and one pre-period select per metric of the policy,
each listing the file's columns, and guesses its defaults from column names.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovFileInput, GovSelect
from wtforms import Field, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from tracker.models import Metric
from tracker.models.enums import MetricKind

KIND_TEXT = {
    MetricKind.BINARY: "0 or 1 for each unit",
    MetricKind.CONTINUOUS: "a number for each unit",
    MetricKind.COUNT: "a count of 0 or more for each unit",
}
ARM_NAMES = ("arm", "group", "condition", "treatment", "treatment_group")
CLUSTER_NAMES = ("cluster", "cluster_id", "cluster id")


class UploadForm(FlaskForm):  # type: ignore[misc]
    """The file: a CSV or an XLSX workbook whose first sheet holds the data."""

    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        render_kw={
            "accept": ".csv,.xlsx,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "data-upload-progress": "upload-progress",
            "params": {"label": {"classes": "govuk-label--m"}},
        },
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """The preview's fingerprint, so what is stored is exactly what the analyst checked."""

    checked = StringField("Preview checked")


def mapping_form_class(header: list[str], metrics: list[Metric]) -> type[FlaskForm]:
    """A form with selects populated from the file's header, one outcome select per metric."""
    columns = [SelectChoice(name, name) for name in header if name]

    class MappingForm(FlaskForm):  # type: ignore[misc]
        pass

    MappingForm.arm = SelectField(
        "Arm column",
        description="The column that names the arm each unit was in.",
        choices=[SelectChoice("", "Select a column"), *columns],
        validators=[InputRequired("Select the column that names each unit's arm")],
        default="",
        widget=GovSelect(),
    )
    for metric in metrics:
        setattr(
            MappingForm,
            outcome_field(metric),
            SelectField(
                f"Outcome column for {metric.name}",
                description=f"{KIND_TEXT[metric.kind].capitalize()}. Blank cells count as missing.",
                choices=[SelectChoice("", "Not in this file"), *columns],
                default="",
                widget=GovSelect(),
            ),
        )
        setattr(
            MappingForm,
            pre_period_field(metric),
            SelectField(
                f"Pre-period column for {metric.name} (optional)",
                description="The same measure taken before the pilot, to adjust the comparison.",
                choices=[SelectChoice("", "None"), *columns],
                default="",
                widget=GovSelect(),
            ),
        )
    MappingForm.covariates = SelectMultipleField(
        "Covariates (optional)",
        description="Characteristics measured before units were assigned to arms, used to "
        "adjust the comparison. Select all that apply.",
        choices=columns,
        widget=GovCheckboxesInput(),
        render_kw={
            "params": {
                "fieldset": {
                    "legend": {
                        "text": "Covariates (optional)",
                        "classes": "govuk-fieldset__legend--s",
                    }
                },
                "classes": "govuk-checkboxes--small",
            }
        },
    )
    MappingForm.cluster = SelectField(
        "Cluster column (optional)",
        description="For a cluster trial: the column naming the group (school, GP practice, "
        "area) that was randomised as a whole.",
        choices=[SelectChoice("", "None – units were assigned one by one"), *columns],
        default="",
        widget=GovSelect(),
    )
    return MappingForm


def outcome_field(metric: Metric) -> str:
    return f"outcome-{metric.key}"


def pre_period_field(metric: Metric) -> str:
    return f"pre_period-{metric.key}"


def mapping_fits(mapping: dict[str, Any], header: list[str]) -> bool:
    named = [mapping["arm"], *mapping["outcomes"].values(), *mapping.get("covariates", [])]
    named += [*mapping.get("pre_period", {}).values(), mapping.get("cluster") or mapping["arm"]]
    return all(name in header for name in named)


def mapping_defaults(
    mapping: dict[str, Any] | None, header: list[str], metrics: list[Metric]
) -> dict[str, Any]:
    """The mapping chosen before, or guesses from column names that match "arm" or a metric."""
    if mapping is not None:
        data = {
            "arm": mapping["arm"],
            "covariates": mapping.get("covariates", []),
            "cluster": mapping.get("cluster") or "",
        }
        for metric in metrics:
            data[outcome_field(metric)] = mapping["outcomes"].get(metric.key, "")
            data[pre_period_field(metric)] = mapping.get("pre_period", {}).get(metric.key, "")
        return data
    by_name = {_name_key(name): name for name in reversed(header) if name}
    data = {
        "arm": next((by_name[name] for name in ARM_NAMES if name in by_name), ""),
        "cluster": next((by_name[name] for name in CLUSTER_NAMES if name in by_name), ""),
    }
    for metric in metrics:
        names = {_name_key(metric.key), _name_key(metric.name)}
        data[outcome_field(metric)] = next((by_name[n] for n in names if n in by_name), "")
        pre_names = {f"{name}_pre" for name in names} | {f"pre_{name}" for name in names}
        data[pre_period_field(metric)] = next((by_name[n] for n in pre_names if n in by_name), "")
    return data


def _name_key(name: str) -> str:
    """A column or metric name compared loosely: case, spaces and hyphens ignored."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def mapping_is_complete(form: FlaskForm, metrics: list[Metric]) -> bool:
    """Rules across fields: at least one outcome, and no column doing two jobs at once."""
    arm = form.arm.data
    problems: list[tuple[Field, str]] = []
    for metric in metrics:
        outcome, pre_period = form[outcome_field(metric)], form[pre_period_field(metric)]
        if outcome.data and outcome.data == arm:
            problems.append((outcome, f"The outcome column for {metric.name} cannot be the arm"))
        if pre_period.data and not outcome.data:
            problems.append(
                (outcome, f"Select the outcome column for {metric.name}, or no pre-period column")
            )
        elif pre_period.data and pre_period.data == outcome.data:
            problems.append(
                (
                    pre_period,
                    f"The pre-period column for {metric.name} must differ from its outcome",
                )
            )
    if not any(form[outcome_field(metric)].data for metric in metrics):
        problems.append(
            (form[outcome_field(metrics[0])], "Select the outcome column for at least one metric")
        )
    if form.cluster.data and form.cluster.data == arm:
        problems.append((form.cluster, "The cluster column cannot be the arm column"))
    for field, message in problems:
        field.errors = [*field.errors, message]
    return not problems


def mapping_from(form: FlaskForm, metrics: list[Metric]) -> dict[str, Any]:
    """The form's choices as a ColumnMapping's fields."""
    return {
        "arm": form.arm.data,
        "outcomes": {
            metric.key: form[outcome_field(metric)].data
            for metric in metrics
            if form[outcome_field(metric)].data
        },
        "covariates": list(form.covariates.data or []),
        "cluster": form.cluster.data or None,
        "pre_period": {
            metric.key: form[pre_period_field(metric)].data
            for metric in metrics
            if form[pre_period_field(metric)].data
        },
    }
