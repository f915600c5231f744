"""/api/v1 datasets: a pipeline uploads an iteration's unit-level CSV with its column mapping.

The upload goes through the same reading (CSV or XLSX, UTF-8, one header, named columns) and
the same all-or-nothing store as the web upload: the bytes are kept with their SHA-256 and the
arms' results are computed from them. Any problem stores nothing and is answered 422 naming the
row and column, so a script can fix its export and send it again.
"""

from __future__ import annotations

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.file import FileStorage
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.datastructures import FileStorage as WerkzeugFile

from tracker.api.auth import api_actor
from tracker.api.pagination import PageInfo, PageQuery, page_response
from tracker.api.paths import MAX_ID, IterationPath
from tracker.api.problems import FieldProblem, Problem, problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import ColumnMapping, Dataset
from tracker.services import datasets
from tracker.services.actors import require_write
from tracker.services.errors import NotFound
from tracker.web.upload_files import UnreadableFile, read_upload, size_text
from tracker.web.uploads import FORM_OVERHEAD_BYTES, max_upload_bytes

TAG = Tag(
    name="Datasets",
    description="Unit-level data files of an iteration, kept byte for byte with their SHA-256",
)


class DatasetOut(BaseModel):
    """A stored dataset (its bytes are not returned)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    sha256: str = Field(description="SHA-256 of the stored bytes")
    row_count: int = Field(description="Data rows under the header")
    size_bytes: int
    column_mapping: ColumnMapping
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class DatasetList(BaseModel):
    items: list[DatasetOut]
    page: PageInfo


class DatasetPath(IterationPath):
    dataset_id: int = Field(ge=1, le=MAX_ID)


class DatasetUpload(BaseModel):
    """The file and which of its columns hold what."""

    file: FileStorage = Field(description="The data: a CSV saved as UTF-8, or an XLSX")
    column_mapping: ColumnMapping = Field(
        description='As JSON, e.g. {"arm": "group", "outcomes": {"take-up": "claimed"}}: the '
        "arm column, and each metric key's outcome column"
    )


def dataset_url(slug: str, number: int, dataset_id: int | None) -> str:
    return f"/api/v1/pilots/{slug}/iterations/{number}/datasets/{dataset_id}"


def dataset_response(dataset: Dataset, status: int = 200, location: str | None = None) -> Response:
    body = DatasetOut.model_validate(dataset)
    return record_response(body, dataset, status=status, location=location)


def _file_problem(message: str, status: int = 422) -> Response:
    return problem(
        status,
        "The file cannot be stored" if status == 422 else "The file is too large",
        message,
        [FieldProblem(field="file", message=message)],
    )


def register(api: APIBlueprint) -> None:
    """Add the dataset operations to the API blueprint."""

    @api.before_request
    def _allow_upload_size() -> None:
        """Uploads may be as large as the web's (the app's default limit is for forms); this runs
        before the body is read."""
        if request.endpoint == f"{api.name}.upload_dataset":
            request.max_content_length = max_upload_bytes() + FORM_OVERHEAD_BYTES

    @api.get(
        "/pilots/<slug>/iterations/<number>/datasets",
        tags=[TAG],
        responses={200: DatasetList, 404: Problem, 422: Problem},
    )
    def list_datasets(path: IterationPath, query: PageQuery) -> Response:
        """An iteration's datasets, oldest first."""
        found = datasets.list_datasets(
            session=get_session(), pilot_slug=path.slug, number=path.number
        )
        return page_response(DatasetList, found, query, DatasetOut.model_validate)

    @api.get(
        "/pilots/<slug>/iterations/<number>/datasets/<dataset_id>",
        tags=[TAG],
        responses={200: DatasetOut, 404: Problem, 422: Problem},
    )
    def get_dataset(path: DatasetPath) -> Response:
        """One stored dataset's details."""
        found = datasets.list_datasets(
            session=get_session(), pilot_slug=path.slug, number=path.number
        )
        for dataset in found:
            if dataset.id == path.dataset_id:
                return dataset_response(dataset)
        raise NotFound("dataset", path.dataset_id)

    @api.post(
        "/pilots/<slug>/iterations/<number>/datasets",
        tags=[TAG],
        responses={201: DatasetOut, **problem_responses(403, 404, 409, 413, 422)},
    )
    def upload_dataset(path: IterationPath, form: DatasetUpload) -> Response:
        """Store a unit-level data file for an iteration and compute its arms' results
        (analyst role or above), as multipart/form-data. All or nothing: any problem — a
        mapping naming a missing column or metric, an unknown arm, a bad cell — stores nothing
        and is listed in `errors` by row and column. The same file twice is a conflict (409)."""
        actor = api_actor()
        require_write(actor, "dataset")
        upload = form.file
        if not isinstance(upload, WerkzeugFile) or not upload.filename:
            return _file_problem("Send the data as a file part named `file`, with its filename")
        limit = max_upload_bytes()
        try:
            data = upload.stream.read(limit + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file
        if len(data) > limit:
            return _file_problem(f"The file must be smaller than {size_text(limit)}", 413)
        try:
            read = read_upload(upload.filename, data)
        except UnreadableFile as error:
            return _file_problem(str(error))
        session = get_session()
        dataset = datasets.store_dataset(
            session=session,
            actor=actor,
            pilot_slug=path.slug,
            number=path.number,
            filename=read.filename,
            content=read.content,
            column_mapping=form.column_mapping,
        )
        session.commit()
        location = dataset_url(path.slug, path.number, dataset.id)
        return dataset_response(dataset, status=201, location=location)
