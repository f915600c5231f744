"""A registry's fields filled from one pilot: the downloadable document and the page's rows.

Each field's filler returns a value, a Noted value or Missing; the document sorts them into
"fields", "notes" and "missing", so a field is either filled or listed as missing, never both,
and names the analysis run it was read from so a reader can reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.io.registries.shared import Missing, Noted, Registry, Source
from tracker.models import AnalysisRun
from tracker.services.overviews import PilotOverview


def registry_document(
    registry: Registry,
    overview: PilotOverview,
    run: AnalysisRun | None,
    *,
    pilot_url: str,
    generated_at: datetime,
) -> dict[str, Any]:
    """The pilot as the registry's fields: each filled (with a note where it needs one) or
    listed as missing with the reason."""
    source = Source(overview, run)
    fields: dict[str, Any] = {}
    notes: list[dict[str, str]] = []
    missing: list[dict[str, Any]] = []
    for field in registry.fields:
        value = field.fill(source)
        if isinstance(value, Noted):
            notes.append({"field": field.name, "note": value.note})
            value = value.value
        if isinstance(value, Missing):
            missing.append(
                {"field": field.name, "required": field.required, "reason": value.reason}
            )
        else:
            fields[field.name] = value
    return {
        "registry": {"key": registry.key, "name": registry.name},
        "fields": fields,
        "missing": missing,
        "notes": notes,
        "source": {
            "pilot_slug": overview.pilot.slug,
            "pilot_url": pilot_url,
            "policy_slug": overview.policy.slug,
            "analysis_run_id": run.id if run else None,
            "analysis_inputs_hash": run.inputs_hash if run else None,
            "generated_at": generated_at.isoformat(),
        },
    }


@dataclass(frozen=True)
class FieldRow:
    """One field of a document as a page lists it: its value, or why it is missing."""

    name: str
    required: bool
    how: str
    value: Any
    missing: str | None
    note: str | None


def field_rows(registry: Registry, document: dict[str, Any]) -> list[FieldRow]:
    """The document's fields in the registry's order, filled or missing, with their notes."""
    missing = {entry["field"]: entry["reason"] for entry in document["missing"]}
    notes = {entry["field"]: entry["note"] for entry in document["notes"]}
    return [
        FieldRow(
            name=field.name,
            required=field.required,
            how=field.how,
            value=document["fields"].get(field.name),
            missing=missing.get(field.name),
            note=notes.get(field.name),
        )
        for field in registry.fields
    ]
