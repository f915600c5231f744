"""A pilot in the shape of two trial registries: the UK Evaluation Registry and the AEA's.

Teams register evaluations with the Evaluation Task Force's UK Evaluation Registry and
randomised trials with the American Economic Association's RCT Registry; both ask for fields
the tracker already holds. Each registry's fields are kept here as data (name, required or not,
how the tracker fills it, and the function that fills it), so a test can walk every field of
every registry and a document can never leave a field silently empty: each field is either
filled or listed under "missing" with the reason, never both.

Documents are built by pure functions from a pilot overview and its newest analysis run, so
they are tested without the app.

The package is split by purpose: `shared` holds the shapes, what a design and a locked plan
mean, and the fillers both forms use; `uk_evaluation` and `aea_rct` hold each registry's form;
`document` builds the document and the rows a page lists. This module re-exports the public
names, so callers import from `tracker.io.registries` alone.
"""

from __future__ import annotations

from tracker.io.registries.aea_rct import (
    AEA_FIELDS,
    AEA_RCT_REGISTRY,
    AEA_STATUS,
    NO_METHOD,
)
from tracker.io.registries.document import FieldRow, field_rows, registry_document
from tracker.io.registries.shared import (
    BLANK_LINE,
    CLUSTERED,
    DESIGN_WORDS,
    NO_LOCKED_PLAN,
    RANDOMISED,
    FieldSpec,
    Missing,
    Noted,
    Registry,
    RegistryField,
    Source,
    locked_plan,
)
from tracker.io.registries.uk_evaluation import (
    EVALUATION_WORDS,
    UK_EVALUATION_REGISTRY,
    UK_FIELDS,
    UK_STATUS,
)

# The registries by the key a download's URL names them by.
REGISTRIES: dict[str, Registry] = {
    registry.key: registry for registry in (UK_EVALUATION_REGISTRY, AEA_RCT_REGISTRY)
}

__all__ = [
    "AEA_FIELDS",
    "AEA_RCT_REGISTRY",
    "AEA_STATUS",
    "BLANK_LINE",
    "CLUSTERED",
    "DESIGN_WORDS",
    "EVALUATION_WORDS",
    "NO_LOCKED_PLAN",
    "NO_METHOD",
    "RANDOMISED",
    "REGISTRIES",
    "UK_EVALUATION_REGISTRY",
    "UK_FIELDS",
    "UK_STATUS",
    "FieldRow",
    "FieldSpec",
    "Missing",
    "Noted",
    "Registry",
    "RegistryField",
    "Source",
    "field_rows",
    "locked_plan",
    "registry_document",
]
