"""Unit-level datasets: uploaded files kept byte for byte, with SHA-256, row count and mapping.

The file itself is stored (not just the numbers derived from it) so an analysis can be re-run
and checked later against exactly the data it used.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from tracker.models import ColumnMapping, Dataset, Iteration, Metric
from tracker.models.enums import MetricKind, ResultSource
from tracker.services import keyed, records, results, unit_table
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, FieldError, ValidationFailed
from tracker.services.iterations import get_iteration, list_arms
from tracker.services.pilots import get_pilot


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _header_and_row_count(content: bytes) -> tuple[list[str], int]:
    """The header row and the number of data rows of a UTF-8 CSV (quoted newlines allowed)."""
    header, reader = _header_and_reader(content)
    rows = unit_table.clean_row_count(content, len(header))
    return header, rows if rows is not None else sum(1 for row in reader if row)


def _header_and_reader(content: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header row (names stripped) and a csv reader positioned after it."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed.single(
            "content", f"the file is not UTF-8 text (byte {error.start} cannot be read)"
        ) from None
    reader = csv.reader(_lines(text))
    header = next(reader, None)
    if not header:
        raise ValidationFailed.single("content", "the file is empty; expected a header row")
    return [name.strip() for name in header], reader


def _lines(text: str) -> Iterator[str]:
    """The text's lines, with their endings, one at a time (the header needs only the first)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


MAX_REPORTED_PROBLEMS = 20
BINARY_VALUES = {"0": 0, "1": 1}


def _rows(content: bytes) -> tuple[list[str], list[list[str]]]:
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader)]
    return header, [row for row in reader if row]


Cell = tuple[int, str]
"""A value as the text in the file, with its row number (row 1 follows the header)."""


def unit_values(
    content: bytes, mapping: ColumnMapping, arm_names: list[str]
) -> dict[str, dict[str, list[Cell]]]:
    """The outcome values of each arm: {metric key: {arm: [(row, text)]}}.

    Values stay strings so that summaries can be computed exactly (a float parse would round
    away the digits that values sharing many leading digits differ in). Empty cells are missing
    values and are left out. Every row whose arm is not one of `arm_names`, or that is short of
    columns, is reported by row number (row 1 is the first row after the header).
    """
    header, rows = _rows(content)
    arm_column = header.index(mapping.arm)
    outcome_columns = {key: header.index(column) for key, column in mapping.outcomes.items()}
    values: dict[str, dict[str, list[Cell]]] = {
        key: {arm: [] for arm in arm_names} for key in outcome_columns
    }
    problems: list[FieldError] = []
    for number, row in enumerate(rows, start=1):
        problem = _row_problem(number, row, header, mapping, arm_names)
        if problem is not None:
            problems.append(problem)
            continue
        arm = row[arm_column].strip()
        for key, column in outcome_columns.items():
            cell = row[column].strip()
            if cell:
                values[key][arm].append((number, cell))
    if problems:
        raise ValidationFailed(_first_problems(problems))
    return values


def _row_problem(
    number: int, row: list[str], header: list[str], mapping: ColumnMapping, arm_names: list[str]
) -> FieldError | None:
    """What is wrong with a row as a whole (its width or its arm), or None."""
    if len(row) != len(header):
        return FieldError(
            f"row {number}", f"has {len(row)} cells; expected {len(header)} like the header"
        )
    arm = row[header.index(mapping.arm)].strip()
    if arm not in arm_names:
        return FieldError(
            f"row {number}, column {mapping.arm}",
            f"got {arm!r}; expected one of this iteration's arms: {', '.join(arm_names)}",
        )
    return None


def _first_problems(problems: list[FieldError]) -> list[FieldError]:
    """At most MAX_REPORTED_PROBLEMS, with a closing line saying how many more there were."""
    if len(problems) <= MAX_REPORTED_PROBLEMS:
        return problems
    more = len(problems) - MAX_REPORTED_PROBLEMS
    return [*problems[:MAX_REPORTED_PROBLEMS], FieldError("file", f"and {more} more problems")]


def _cell_problem(kind: MetricKind, column: str, row: int, cell: str) -> FieldError | None:
    """What is wrong with one outcome value for a metric of `kind`, or None."""
    try:
        value = Decimal(cell)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or (kind is MetricKind.BINARY and cell not in BINARY_VALUES):
        expected = "0 or 1" if kind is MetricKind.BINARY else "a number"
        return FieldError(f"row {row}, column {column}", f"got {cell!r}; expected {expected}")
    if kind is MetricKind.COUNT and value < 0:
        return FieldError(f"row {row}, column {column}", f"got {cell}; expected a count ≥ 0")
    return None


def _summary_fields(kind: MetricKind, column: str, cells: list[Cell]) -> dict[str, Any]:
    """Sufficient statistics of one arm's values, exactly computed, or every bad cell named."""
    from tracker.stats import MeanSummary

    problems = [
        problem for row, cell in cells if (problem := _cell_problem(kind, column, row, cell))
    ]
    if problems:
        raise ValidationFailed(_first_problems(problems))
    numbers = [Decimal(cell) for _, cell in cells]
    if kind is MetricKind.BINARY:
        return {"n": len(cells), "successes": sum(BINARY_VALUES[cell] for _, cell in cells)}
    if kind is MetricKind.COUNT:
        return {"n": len(cells), "total": float(sum(numbers)), "exposure": float(len(cells))}
    summary = MeanSummary.from_exact(numbers)
    return {"n": len(cells), "mean": summary.mean, "sd": summary.sd}


def _arm_fields(
    content: bytes, mapping: ColumnMapping, arm_names: list[str], kinds: dict[str, MetricKind]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(metric key, arm, result fields) of every arm with values, metric by metric.

    Column-wise (`unit_table`) where the file is clean; any doubt goes to the row-by-row
    reading, which names every problem by row and column.
    """
    fast = unit_table.outcome_texts(content, _header_and_reader(content)[0], mapping, arm_names)
    slow: dict[str, dict[str, list[Cell]]] | None = None
    for key, column in mapping.outcomes.items():
        for arm in arm_names:
            fields = None
            if fast is not None:
                if fast[key][arm].size == 0:
                    continue
                fields = unit_table.summary_fields(kinds[key], fast[key][arm])
            if fields is None:
                slow = slow or unit_values(content, mapping, arm_names)
                if not slow[key][arm]:
                    continue
                fields = _summary_fields(kinds[key], column, slow[key][arm])
            yield key, arm, fields


def outcome_values(
    content: bytes, mapping: ColumnMapping, arm_names: list[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Each outcome's non-empty cells by arm, as written: {metric key: {arm: texts}}."""
    fast = unit_table.outcome_texts(content, _header_and_reader(content)[0], mapping, arm_names)
    if fast is not None:
        return {
            key: {arm: tuple(texts.tolist()) for arm, texts in by_arm.items()}
            for key, by_arm in fast.items()
        }
    return {
        key: {arm: tuple(cell for _, cell in cells) for arm, cells in by_arm.items()}
        for key, by_arm in unit_values(content, mapping, arm_names).items()
    }


def derive_results(
    *, session: Session, actor: Actor, pilot_slug: str, number: int, dataset: Dataset
) -> None:
    """Record every arm's result on every mapped outcome, computed from the dataset's rows.

    Counts take each unit as one unit of exposure. A replaced result is audited before/after.
    """
    pilot = get_pilot(session=session, slug=pilot_slug)
    iteration = get_iteration(session=session, pilot_slug=pilot_slug, number=number)
    arm_names = [arm.name for arm in list_arms(session=session, iteration=iteration)]
    mapping = ColumnMapping.model_validate(dataset.column_mapping)
    kinds = {
        metric.key: metric.kind
        for metric in keyed.list_keyed(session, Metric, "policy_id", pilot.policy_id)
    }
    content = dataset_content(session=session, dataset=dataset)
    for key, arm, fields in _arm_fields(content, mapping, arm_names, kinds):
        results.record_result(
            session=session,
            actor=actor,
            pilot_slug=pilot_slug,
            number=number,
            arm_name=arm,
            data={
                "metric": key,
                **fields,
                "note": f"Computed from {dataset.filename} (SHA-256 {dataset.sha256[:12]}…)",
            },
            source=ResultSource.DATASET,
            dataset_id=dataset.id,
        )


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
    """Keep an uploaded CSV for an iteration and record the arms' results computed from it.

    All or nothing: a mapping that names a missing column or metric, an unknown arm or a bad
    cell (named by row and column) stores nothing.
    """
    mapping, iteration, row_count = _checked_file_and_mapping(
        session, pilot_slug, number, content, column_mapping
    )
    digest = sha256_hex(content)
    records.unique_or_conflict(
        session,
        _same_file(iteration, digest),
        _already_stored(digest, pilot_slug, number),
    )
    dataset = records.insert(
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
    derive_results(
        session=session, actor=actor, pilot_slug=pilot_slug, number=number, dataset=dataset
    )
    return dataset


def dataset_problems(
    *,
    session: Session,
    pilot_slug: str,
    number: int,
    content: bytes,
    column_mapping: ColumnMapping | dict[str, Any],
) -> list[FieldError]:
    """Every problem that would stop `store_dataset` storing this file, none left out.

    The same checks in the same words, for a preview before anything is saved: the mapping
    against the header and the policy's metrics, a file already stored, then every row's width
    and arm and every outcome cell, in row order. Writes nothing.
    """
    try:
        mapping, iteration, _ = _checked_file_and_mapping(
            session, pilot_slug, number, content, column_mapping
        )
    except ValidationFailed as error:
        return list(error.errors)
    problems: list[FieldError] = []
    digest = sha256_hex(content)
    if session.exec(_same_file(iteration, digest)).first() is not None:
        problems.append(FieldError("file", _already_stored(digest, pilot_slug, number)))
    pilot = get_pilot(session=session, slug=pilot_slug)
    arm_names = [arm.name for arm in list_arms(session=session, iteration=iteration)]
    kinds = {
        metric.key: metric.kind
        for metric in keyed.list_keyed(session, Metric, "policy_id", pilot.policy_id)
    }
    header, rows = _rows(content)
    outcome_columns = {key: header.index(column) for key, column in mapping.outcomes.items()}
    for row_number, row in enumerate(rows, start=1):
        problem = _row_problem(row_number, row, header, mapping, arm_names)
        if problem is not None:
            problems.append(problem)
            continue
        for key, column in outcome_columns.items():
            cell = row[column].strip()
            if cell and (
                problem := _cell_problem(kinds[key], mapping.outcomes[key], row_number, cell)
            ):
                problems.append(problem)
    return problems


def _checked_file_and_mapping(
    session: Session,
    pilot_slug: str,
    number: int,
    content: bytes,
    column_mapping: ColumnMapping | dict[str, Any],
) -> tuple[ColumnMapping, Iteration, int]:
    """The mapping, the iteration and the row count, once the mapping fits the file and policy."""
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
        list(dict.fromkeys([*mapping.outcomes, *mapping.pre_period])),
        "column_mapping.outcomes",
    )
    return mapping, iteration, row_count


def _same_file(iteration: Iteration, digest: str) -> SelectOfScalar[int | None]:
    """The id of a dataset of `iteration` with exactly these bytes."""
    return select(col(Dataset.id)).where(
        Dataset.iteration_id == iteration.id, Dataset.sha256 == digest
    )


def _already_stored(digest: str, pilot_slug: str, number: int) -> str:
    return f"this file (SHA-256 {digest}) is already stored for {pilot_slug} v{number}"


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
