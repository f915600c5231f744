"""Uploading a unit-level dataset for an iteration: map columns, preview problems, confirm.

Four steps, each its own page: choose the file (kept server-side under a random token), say
which column holds what, check the preview (every problem by row and column, nothing saved),
then confirm, which stores the file and the results computed from it in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlmodel import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.db import get_session
from tracker.models import Dataset, Iteration, Metric, Pilot, Policy, User
from tracker.services import datasets
from tracker.services.actors import ROLE_RANK, WRITE_ROLE
from tracker.services.errors import Conflict, FieldError, ValidationFailed
from tracker.services.iterations import get_iteration, list_arms
from tracker.services.metrics import list_metrics
from tracker.services.overviews import pilot_datasets
from tracker.services.pilots import get_pilot
from tracker.web.auth import SESSION_USER, current_actor, current_user, require_role
from tracker.web.editing import save
from tracker.web.slugs import SLUG_ROUTE, checked
from tracker.web.upload_files import (
    STAGING_FOLDER,
    ReadFile,
    StagedUpload,
    Staging,
    UnreadableFile,
    csv_table,
    read_upload,
    size_text,
)
from tracker.web.upload_forms import (
    ConfirmForm,
    UploadForm,
    mapping_defaults,
    mapping_fits,
    mapping_form_class,
    mapping_from,
    mapping_is_complete,
    outcome_field,
    pre_period_field,
)

blueprint = Blueprint("uploads", __name__)

ITERATION_URL = f"/pilots/<{SLUG_ROUTE}:slug>/iterations/<int:number>/datasets"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
FORM_OVERHEAD_BYTES = 64 * 1024  # the CSRF token and multipart boundaries around the file
PREVIEW_ROWS = 10


def max_upload_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large_message() -> str:
    return f"The selected file must be smaller than {size_text(max_upload_bytes())}"


@blueprint.url_value_preprocessor
def _limit_request_size(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Refuse bodies over the limit before anything reads them (this runs before CSRF's check)."""
    request.max_content_length = max_upload_bytes() + FORM_OVERHEAD_BYTES


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file far over the limit: the upload form again, with the GOV.UK size message.

    The body is refused while CSRF's check reads it, before the sign-in guard has run, so the
    signed-in user is looked up here; anyone who may not upload gets the plain 413 page.
    """
    user = _signed_in_user()
    values = request.view_args or {}
    if (
        request.endpoint != "uploads.new"
        or user is None
        or ROLE_RANK[user.role] < ROLE_RANK[WRITE_ROLE["dataset"]]
    ):
        return render_template("errors/generic.html", error=error), 413
    g.user = user
    slug = checked(str(values.get("slug", "")))
    _, iteration = _pilot_and_iteration(slug, int(values.get("number", 0)))
    form = UploadForm(formdata=None)
    form.file.errors = [too_large_message()]
    return _upload_page(form, slug, iteration), 413


def _signed_in_user() -> User | None:
    user_id = session.get(SESSION_USER)
    user = get_session().get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.is_active else None


@blueprint.route(f"{ITERATION_URL}/new", methods=["GET", "POST"])
@require_role(WRITE_ROLE["dataset"])
def new(slug: str, number: int) -> ResponseReturnValue:
    """Step 1: choose the file; it is checked and kept server-side until it is confirmed."""
    slug = checked(slug)
    pilot, iteration = _pilot_and_iteration(slug, number)
    form = UploadForm()
    if form.validate_on_submit():
        read = _read_upload(form)
        if read is not None:
            staging = _staging()
            staged = staging.add(
                user_id=_user_id(), pilot_slug=pilot.slug, number=number, read=read
            )
            replaced = _replaced_upload(staging, slug, number)
            if replaced is not None:
                header, _ = csv_table(read.content)
                if replaced.mapping and mapping_fits(replaced.mapping, header):
                    staged.mapping = replaced.mapping
                    staging.save(staged)
                staging.remove(replaced.token)
            return redirect(_step_url("columns", slug, number, staged.token), 303)
    return _upload_page(form, slug, iteration)


@blueprint.route(f"{ITERATION_URL}/<token>/columns", methods=["GET", "POST"])
@require_role(WRITE_ROLE["dataset"])
def columns(slug: str, number: int, token: str) -> ResponseReturnValue:
    """Step 2: say which column holds the arm, each metric's outcome, and the optional extras."""
    slug = checked(slug)
    pilot, iteration = _pilot_and_iteration(slug, number)
    staging, staged = _staged_or_404(token, slug, number)
    header, _ = csv_table(staging.content(staged))
    metrics = _metrics_of(pilot)
    form_class = mapping_form_class(header, metrics)
    if request.method == "GET":
        form = form_class(data=mapping_defaults(staged.mapping, header, metrics))
    else:
        form = form_class()
    if metrics and form.is_submitted():
        valid = form.validate()
        if mapping_is_complete(form, metrics) and valid:
            staged.mapping = mapping_from(form, metrics)
            staging.save(staged)
            return redirect(_step_url("preview", slug, number, token), 303)
    return render_template(
        "uploads/columns.html",
        form=form,
        metrics=[(metric, outcome_field(metric), pre_period_field(metric)) for metric in metrics],
        pilot=pilot,
        iteration=iteration,
        staged=staged,
        back_url=url_for("uploads.new", slug=slug, number=number, replaces=token),
    )


@blueprint.get(f"{ITERATION_URL}/<token>/preview")
@require_role(WRITE_ROLE["dataset"])
def preview(slug: str, number: int, token: str) -> ResponseReturnValue:
    """Step 3: the first rows, counts, hash and every problem; nothing is saved yet."""
    slug = checked(slug)
    staging, staged, _mapping = _mapped_or_to_columns(token, slug, number)
    return _preview_page(staging, staged, ConfirmForm(formdata=None))


@blueprint.post(f"{ITERATION_URL}/<token>/confirm")
@require_role(WRITE_ROLE["dataset"])
def confirm(slug: str, number: int, token: str) -> ResponseReturnValue:
    """Step 4: store the file and the results computed from it, all or nothing."""
    slug = checked(slug)
    staging, staged, mapping = _mapped_or_to_columns(token, slug, number)
    form = ConfirmForm()
    content = staging.content(staged)
    if not form.validate_on_submit():
        return _preview_page(staging, staged, form)
    if form.checked.data != fingerprint(content, mapping):
        form.checked.errors = [
            "The file or its columns changed after you checked this preview. "
            "Check the preview again before you confirm"
        ]
        return _preview_page(staging, staged, form)
    problems = datasets.dataset_problems(
        session=get_session(),
        pilot_slug=slug,
        number=number,
        content=content,
        column_mapping=mapping,
    )
    if problems:  # the preview shows them all, and no way to confirm
        return _preview_page(staging, staged, ConfirmForm(formdata=None))
    saved = save(form, lambda db_session: _store(db_session, staged, content, mapping))
    if not saved.ok or saved.result is None:
        return _preview_page(staging, staged, form)
    staging.remove(token)
    stored: Dataset = saved.result
    flash(
        f"{stored.filename} is stored: {stored.row_count:,} rows",
        f"dataset-stored-{number}",
    )
    return redirect(url_for("pilots.detail", slug=slug, _anchor=f"iteration-{number}"), 303)


@dataclass(frozen=True)
class StoredDataset:
    """A dataset as the pilot page lists it."""

    dataset: Dataset
    uploaded_by: str


@blueprint.app_context_processor
def _dataset_lists() -> dict[str, Any]:
    """`stored_datasets(pilot, iteration)` for the pilot page's per-iteration list; the first
    call reads every dataset of the pilot, so the page costs one query, not one per iteration."""
    read: dict[int, dict[int, list[tuple[Dataset, str | None]]]] = {}

    def stored_datasets(pilot: Pilot, iteration: Iteration) -> list[StoredDataset]:
        pilot_id = pilot.id or 0
        if pilot_id not in read:
            read[pilot_id] = pilot_datasets(session=get_session(), pilot_id=pilot_id)
        return [
            StoredDataset(dataset, uploaded_by or "Not recorded")
            for dataset, uploaded_by in read[pilot_id].get(iteration.id or 0, [])
        ]

    return {"stored_datasets": stored_datasets}


def fingerprint(content: bytes, mapping: dict[str, Any]) -> str:
    """What a preview showed: the file's bytes and the column mapping, as one SHA-256."""
    canonical = json.dumps(mapping, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(datasets.sha256_hex(content).encode() + canonical.encode()).hexdigest()


def _upload_page(form: UploadForm, slug: str, iteration: Iteration) -> str:
    form.file.description = (
        "A CSV (saved as UTF-8) or an XLSX workbook, smaller than "
        f"{size_text(max_upload_bytes())}. "
        "The first row must name the columns; each following row is one unit. "
        "For a workbook, only the first sheet is read."
    )
    return render_template(
        "uploads/new.html",
        form=form,
        iteration=iteration,
        arms=list_arms(session=get_session(), iteration=iteration),
        heading=f"Upload data for iteration {iteration.number}",
        caption=iteration.title or f"Iteration {iteration.number}",
        back_url=url_for("pilots.detail", slug=slug, _anchor=f"iteration-{iteration.number}"),
        back_text="Back to the pilot",
        submit_text="Upload file",
        form_enctype="multipart/form-data",
        max_size=size_text(max_upload_bytes()),
    )


def _read_upload(form: UploadForm) -> ReadFile | None:
    """The file read as CSV, or None with the GOV.UK message on the file field."""
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        form.file.errors = ["Select a CSV or XLSX file"]
        return None
    limit = max_upload_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        form.file.errors = [too_large_message()]
        return None
    try:
        return read_upload(upload.filename, data)
    except UnreadableFile as error:
        form.file.errors = [str(error)]
        return None


def _replaced_upload(staging: Staging, slug: str, number: int) -> StagedUpload | None:
    """The earlier upload this one corrects (its mapping is kept when the columns still fit)."""
    token = request.args.get("replaces", "")
    return staging.find(token, user_id=_user_id(), pilot_slug=slug, number=number)


def _preview_page(staging: Staging, staged: StagedUpload, form: ConfirmForm) -> str:
    """The preview: first rows, row count, SHA-256, per-arm counts and every problem."""
    session = get_session()
    pilot, iteration = _pilot_and_iteration(staged.pilot_slug, staged.number)
    content = staging.content(staged)
    mapping = staged.mapping or {}
    header, rows = csv_table(content)
    problems = datasets.dataset_problems(
        session=session,
        pilot_slug=pilot.slug,
        number=iteration.number,
        content=content,
        column_mapping=mapping,
    )
    if not problems and not form.errors:
        problems = _dry_run(session, staged, content)
    arm_names = [arm.name for arm in list_arms(session=session, iteration=iteration)]
    form.checked.data = fingerprint(content, mapping)
    metrics = {metric.key: metric for metric in _metrics_of(pilot)}
    return render_template(
        "uploads/preview.html",
        form=form,
        pilot=pilot,
        iteration=iteration,
        staged=staged,
        mapping=mapping,
        metrics=metrics,
        header=header,
        first_rows=rows[:PREVIEW_ROWS],
        row_count=len(rows),
        sha256=datasets.sha256_hex(content),
        arm_counts=_arm_counts(header, rows, mapping.get("arm", ""), arm_names),
        problems=[
            text
            for text in dict.fromkeys(problem_text(problem) for problem in problems)
            if text not in form.checked.errors
        ],
        token=staged.token,
    )


def _store(
    session: Session, staged: StagedUpload, content: bytes, mapping: dict[str, Any]
) -> Dataset:
    """Store the dataset and its results; problems come back as sentences naming row and column."""
    try:
        return datasets.store_dataset(
            session=session,
            actor=current_actor(),
            pilot_slug=staged.pilot_slug,
            number=staged.number,
            filename=staged.filename,
            content=content,
            column_mapping=mapping,
        )
    except ValidationFailed as error:
        raise ValidationFailed(
            [FieldError("checked", problem_text(problem)) for problem in error.errors]
        ) from None
    except Conflict as error:
        raise ValidationFailed.single("checked", problem_text(FieldError("", str(error)))) from None


def _dry_run(session: Session, staged: StagedUpload, content: bytes) -> list[FieldError]:
    """Store the file in a transaction that is always rolled back: the last word on problems."""
    try:
        _store(session, staged, content, staged.mapping or {})
    except ValidationFailed as error:
        return list(error.errors)
    finally:
        session.rollback()
    return []


@dataclass(frozen=True)
class ArmCount:
    name: str
    rows: int
    known: bool


def _arm_counts(
    header: list[str], rows: list[list[str]], arm_column: str, arm_names: list[str]
) -> list[ArmCount]:
    """Rows per arm: every arm of the iteration, then any other value found in the arm column."""
    if arm_column not in header:
        return []
    index = header.index(arm_column)
    counts = Counter(row[index].strip() for row in rows if len(row) > index)
    found = [ArmCount(name, counts.pop(name, 0), known=True) for name in arm_names]
    return found + [ArmCount(name, count, known=False) for name, count in counts.most_common()]


ROW_AND_COLUMN = re.compile(r"row (\d+), column (.+)")


def problem_text(problem: FieldError) -> str:
    """A service problem as a sentence: "Row 7, column 'voted': got 'x'; expected 0 or 1"."""
    where = problem.field
    match = ROW_AND_COLUMN.fullmatch(where)
    if match:
        where = f"Row {match.group(1)}, column '{match.group(2)}'"
    elif where.startswith("row "):
        where = f"Row {where.removeprefix('row ')}"
    else:
        return problem.message[:1].upper() + problem.message[1:]
    return f"{where}: {problem.message}"


def _pilot_and_iteration(slug: str, number: int) -> tuple[Pilot, Iteration]:
    session = get_session()
    return get_pilot(session=session, slug=slug), get_iteration(
        session=session, pilot_slug=slug, number=number
    )


def _metrics_of(pilot: Pilot) -> list[Metric]:
    session = get_session()
    policy = session.get(Policy, pilot.policy_id)
    if policy is None:
        abort(404)
    return list_metrics(session=session, policy_slug=policy.slug)


def _staging() -> Staging:
    return Staging(Path(current_app.instance_path) / STAGING_FOLDER)


def _staged_or_404(token: str, slug: str, number: int) -> tuple[Staging, StagedUpload]:
    """The user's own upload for this iteration; anyone else's, or an expired one, is a 404."""
    staging = _staging()
    staged = staging.find(token, user_id=_user_id(), pilot_slug=slug, number=number)
    if staged is None:
        abort(404)
    return staging, staged


def _mapped_or_to_columns(
    token: str, slug: str, number: int
) -> tuple[Staging, StagedUpload, dict[str, Any]]:
    """The user's upload and its column mapping; with no mapping yet, a redirect to the columns
    step (the preview and confirm steps have nothing to show without one)."""
    staging, staged = _staged_or_404(token, slug, number)
    if staged.mapping is None:
        abort(redirect(_step_url("columns", slug, number, token), 303))
    return staging, staged, staged.mapping


def _user_id() -> int:
    user = current_user()
    if user is None or user.id is None:
        abort(401)
    return user.id


def _step_url(step: str, slug: str, number: int, token: str) -> str:
    return url_for(f"uploads.{step}", slug=slug, number=number, token=token)
