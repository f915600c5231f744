"""Unit-level datasets: uploaded files kept byte for byte, with SHA-256, row count and mapping.

The file itself is stored (not just the numbers derived from it) so an analysis can be re-run
and checked later against exactly the data it used.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from tracker.models import ColumnMapping, Dataset, Metric
from tracker.services import keyed, records
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, ValidationFailed
from tracker.services.iterations import get_iteration
from tracker.services.pilots import get_pilot


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _header_and_row_count(content: bytes) -> tuple[list[str], int]:
    """The header row and the number of data rows of a UTF-8 CSV (quoted newlines allowed)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed.single(
            "content", f"the file is not UTF-8 text (byte {error.start} cannot be read)"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise ValidationFailed.single("content", "the file is empty; expected a header row")
    return [name.strip() for name in header], sum(1 for row in reader if row)


def store_dataset(
    *,
    session: Session,
    actor: Actor,
    pilot_slug: str,
    number: int,
    filename: str,
    content: bytes,
    column_mapping: ColumnMapping | dict[str, Any],
) -> Dataset:
    """Keep an uploaded CSV for an iteration once its mapping names real columns and metrics."""
    mapping = records.validated(ColumnMapping, column_mapping)
    pilot = get_pilot(session=session, slug=pilot_slug)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    header, row_count = _header_and_row_count(content)
    missing = [name for name in mapping.columns() if name not in header]
    if missing:
        raise ValidationFailed.single(
            "column_mapping",
            f"no column called {', '.join(missing)}; the file's columns are {', '.join(header)}",
        )
    keyed.ids_for_keys(
        session,
        Metric,
        "policy_id",
        pilot.policy_id,
        [*mapping.outcomes, *mapping.pre_period],
        "column_mapping.outcomes",
    )
    digest = sha256_hex(content)
    records.unique_or_conflict(
        session,
        select(Dataset.id).where(Dataset.iteration_id == iteration.id, Dataset.sha256 == digest),
        f"this file (SHA-256 {digest}) is already stored for {pilot_slug} v{number}",
    )
    return records.insert(
        session,
        actor=actor,
        record=Dataset(
            iteration_id=records.id_of(iteration),
            filename=filename,
            sha256=digest,
            row_count=row_count,
            size_bytes=len(content),
            column_mapping=mapping.model_dump(),
            content=content,
            uploaded_by_id=actor.user_id,
        ),
        summary=f"{pilot_slug} v{number}: stored dataset {filename} ({row_count} rows)",
    )


def list_datasets(*, session: Session, pilot_slug: str, number: int) -> list[Dataset]:
    """An iteration's datasets, oldest first, without loading their bytes."""
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    return list(
        session.exec(
            select(Dataset)
            .options(defer(Dataset.content))  # type: ignore[arg-type]
            .where(Dataset.iteration_id == iteration.id)
            .order_by(col(Dataset.id))
        )
    )


def dataset_content(*, session: Session, dataset: Dataset) -> bytes:
    """The stored bytes, checked against the SHA-256 recorded when they were uploaded."""
    content = session.exec(select(Dataset.content).where(Dataset.id == dataset.id)).one()
    if sha256_hex(content) != dataset.sha256:
        raise Conflict(f"dataset {dataset.filename} no longer matches its SHA-256")
    return content
