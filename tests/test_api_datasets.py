"""/api/v1 datasets: a multipart CSV upload stored all-or-nothing, problems named by row/column."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask
from sqlmodel import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from tests import factories
from tests.api_helpers import ApiClient, api_client, records_of
from tests.web_helpers import seed
from tracker.models.enums import Role
from tracker.services.datasets import sha256_hex

DATASETS = "/api/v1/pilots/letter-trial/iterations/1/datasets"
MAPPING = {"arm": "group", "outcomes": {"take-up": "claimed"}}
CSV = b"group,claimed\ncontrol,1\ncontrol,0\ncontrol,0\nnew letter,1\nnew letter,1\n"


def trial(app: Flask) -> None:
    def build(session: Session) -> None:
        factories.make_trial(session)

    seed(app, build)


def upload(
    client: ApiClient,
    content: bytes = CSV,
    mapping: Any = None,
    filename: str = "letters.csv",
    url: str = DATASETS,
) -> TestResponse:
    mapping_text = mapping if isinstance(mapping, str) else json.dumps(mapping or MAPPING)
    # Encoded here in memory: the test client spools a large body to a file it never closes.
    boundary, body = encode_multipart(
        {
            "file": FileStorage(io.BytesIO(content), filename, content_type="text/csv"),
            "column_mapping": mapping_text,
        }
    )
    return client.client.post(
        url,
        data=body,
        headers=client.headers(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_upload_stores_the_file_and_its_results(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    stored = upload(analyst)
    assert stored.status_code == 201, stored.json
    assert stored.json["sha256"] == sha256_hex(CSV)
    assert stored.json["row_count"] == 5 and stored.json["size_bytes"] == len(CSV)
    assert stored.json["filename"] == "letters.csv"
    assert stored.json["column_mapping"]["outcomes"] == MAPPING["outcomes"]
    location = stored.headers["Location"]
    assert location == f"{DATASETS}/{stored.json['id']}"
    viewer = api_client(app, Role.VIEWER)
    assert viewer.get(location).json == stored.json
    listed = viewer.get(DATASETS).json
    assert [item["id"] for item in listed["items"]] == [stored.json["id"]]
    results = {
        (row[0], row[1]): row for row in records_of(app)["arm_result"]
    }  # the arms' results were computed from the file
    assert len(results) == 2
    again = upload(analyst)
    assert again.status_code == 409 and "already stored" in again.json["detail"]


def test_a_bad_cell_stores_nothing_and_is_named_by_row_and_column(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    before = records_of(app)
    bad_cell = upload(analyst, content=b"group,claimed\ncontrol,1\nnew letter,yes\n")
    assert bad_cell.status_code == 422 and bad_cell.mimetype == "application/problem+json"
    assert [error["field"] for error in bad_cell.json["errors"]] == ["row 2, column claimed"]
    assert "expected 0 or 1" in bad_cell.json["errors"][0]["message"]
    bad_arm = upload(analyst, content=b"group,claimed\ncontrol,1\nnew letter,1\nplacebo,0\n")
    assert [error["field"] for error in bad_arm.json["errors"]] == ["row 3, column group"]
    missing_column = upload(analyst, mapping={"arm": "group", "outcomes": {"take-up": "nope"}})
    assert missing_column.status_code == 422
    assert [error["field"] for error in missing_column.json["errors"]] == ["column_mapping"]
    bad_mapping = upload(analyst, mapping={"arm": "", "outcomes": {}})
    assert bad_mapping.status_code == 422
    assert {error["field"] for error in bad_mapping.json["errors"]} == {
        "column_mapping.arm",
        "column_mapping.outcomes",
    }
    not_csv = upload(analyst, content=b"\x00\x01binary", filename="data.csv")
    assert not_csv.status_code == 422
    assert [error["field"] for error in not_csv.json["errors"]] == ["file"]
    assert records_of(app) == before


def test_refusals_and_missing_iterations(app: Flask) -> None:
    trial(app)
    viewer, editor = api_client(app, Role.VIEWER), api_client(app, Role.EDITOR)
    before = records_of(app)
    for client in (viewer, editor):
        refused = upload(client)
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before
    analyst = api_client(app, Role.ANALYST)
    url = "/api/v1/pilots/letter-trial/iterations/4/datasets"
    assert upload(analyst, url=url).status_code == 404
    assert viewer.get(url).status_code == 404
    assert viewer.get(f"{DATASETS}/99").status_code == 404
    assert viewer.get("/api/v1/pilots/nope/iterations/1/datasets").status_code == 404
    bad_number = viewer.get("/api/v1/pilots/letter-trial/iterations/0/datasets")
    assert bad_number.status_code == 422
    assert [error["field"] for error in bad_number.json["errors"]] == ["number"]


def test_uploads_have_the_web_uploads_size_limit(app: Flask) -> None:
    trial(app)
    analyst = api_client(app, Role.ANALYST)
    # Larger than the app's 4 MiB limit for forms, within the uploads' limit: read, not refused
    # (this one is then refused for not being UTF-8, which shows its bytes were read).
    big = b"group,claimed\n" + b"x" * (5 * 1024 * 1024) + b"\xff\n"
    read = upload(analyst, content=big)
    assert read.status_code == 422
    assert "UTF-8" in read.json["errors"][0]["message"]
    app.config["UPLOAD_MAX_BYTES"] = 40
    too_large = upload(analyst)
    assert too_large.status_code == 413 and too_large.mimetype == "application/problem+json"
    assert records_of(app)["dataset"] == []
