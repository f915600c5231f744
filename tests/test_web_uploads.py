"""Uploading a unit-level dataset: file, columns, preview with every problem, confirm.

The trial is a published one: the National Supported Work experiment as Dehejia & Wahba (1999)
analysed it (experiments/national-supported-work.yaml), with real rows of its unit-level file.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from datetime import date, datetime
from pathlib import Path
from statistics import mean, stdev
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tracker.config import EXPERIMENTS_FOLDER, PROJECT_ROOT
from tracker.io.importer import import_path
from tracker.models import ArmResult, AuditEvent, Dataset
from tracker.models.enums import Role
from tracker.services import datasets
from tracker.web.upload_files import STAGED_FOR_SECONDS
from tracker.web.uploads import fingerprint

from .conftest import add_user, signed_in_client
from .web_helpers import app_session, csrf_token, error_summary, row_counts, signed_in_as, text_of

PILOT = "nsw-dehejia-wahba-experimental-sample"
BASE = f"/pilots/{PILOT}/iterations/1/datasets"
TREATED, CONTROL = "Supported work programme", "Control"

# Real rows of the Dehejia-Wahba NSW experimental file (re74, re75, re78: earnings in dollars),
# with the arm named as the pilot names it rather than treat = 1 / 0.
NSW_ROWS = [
    (TREATED, "37.0", "11.0", "0.0", "0.0", "9930.0458984375"),
    (TREATED, "22.0", "9.0", "0.0", "0.0", "3595.89404296875"),
    (TREATED, "30.0", "12.0", "0.0", "0.0", "24909.44921875"),
    (TREATED, "27.0", "11.0", "0.0", "0.0", "7506.14599609375"),
    (TREATED, "33.0", "8.0", "0.0", "0.0", "289.7898864746094"),
    (TREATED, "22.0", "9.0", "0.0", "0.0", "4056.493896484375"),
    (TREATED, "23.0", "12.0", "0.0", "0.0", "0.0"),
    (TREATED, "32.0", "11.0", "0.0", "0.0", "8472.158203125"),
    (CONTROL, "23.0", "10.0", "0.0", "0.0", "0.0"),
    (CONTROL, "26.0", "12.0", "0.0", "0.0", "12383.6796875"),
    (CONTROL, "22.0", "9.0", "0.0", "0.0", "0.0"),
    (CONTROL, "18.0", "9.0", "0.0", "0.0", "10740.080078125"),
    (CONTROL, "45.0", "11.0", "0.0", "0.0", "11796.4697265625"),
    (CONTROL, "18.0", "9.0", "0.0", "0.0", "9227.0517578125"),
    (CONTROL, "24.0", "8.0", "0.0", "0.0", "10569.26953125"),
    (CONTROL, "34.0", "11.0", "0.0", "0.0", "6040.3349609375"),
]
HEADER = ("arm", "age", "education", "re74", "re75", "re78")
MAPPING_FORM = {
    "arm": "arm",
    "outcome-earnings-1978": "re78",
    "pre_period-earnings-1978": "re75",
    "outcome-earnings-1975": "",
    "pre_period-earnings-1975": "",
    "covariates": ["age", "education"],
    "cluster": "",
}
REFERENCE_NSW = (
    PROJECT_ROOT.parent / "shared" / "reference-data" / "nsw_dehejia_wahba_experimental.csv"
)


def nsw_csv(rows: list[tuple[str, ...]] | None = None) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows or NSW_ROWS)]
    return ("\n".join(lines) + "\n").encode()


def broken_csv() -> bytes:
    """Row 7 (the seventh row under the header) has a typed note where earnings should be."""
    rows = list(NSW_ROWS)
    rows[6] = (*rows[6][:5], "n/a")
    return nsw_csv(rows)


@pytest.fixture
def nsw_app(app: Flask) -> Flask:
    """The app (SQLite and PostgreSQL) holding the published NSW trial from the portfolio."""
    with app_session(app) as session:
        import_path(session=session, path=EXPERIMENTS_FOLDER / "national-supported-work.yaml")
        session.commit()
    return app


@pytest.fixture
def analyst(nsw_app: Flask) -> FlaskClient:
    return signed_in_client(nsw_app, role=Role.ANALYST)


def counts(app: Flask) -> tuple[int, ...]:
    """Datasets, audit events and per-arm results: what an upload must not touch before confirm."""
    return row_counts(app, Dataset, AuditEvent, ArmResult)


def upload(client: FlaskClient, content: bytes, filename: str, path: str = f"{BASE}/new") -> Any:
    data = {"csrf_token": csrf_token(client, path), "file": (io.BytesIO(content), filename)}
    return client.post(path, data=data, content_type="multipart/form-data")


def token_of(response: Any) -> str:
    match = re.search(r"/datasets/([A-Za-z0-9_-]{32})/columns$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def map_columns(client: FlaskClient, token: str, mapping: dict[str, Any] | None = None) -> Any:
    path = f"{BASE}/{token}/columns"
    return client.post(
        path, data={**(mapping or MAPPING_FORM), "csrf_token": csrf_token(client, path)}
    )


def preview(client: FlaskClient, token: str) -> str:
    response = client.get(f"{BASE}/{token}/preview")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client: FlaskClient, token: str, page: str) -> Any:
    checked = re.search(r'name="checked" value="([0-9a-f]{64})"', page)
    assert checked, "no confirm form on the preview"
    data = {
        "csrf_token": csrf_token(client, f"{BASE}/{token}/preview"),
        "checked": checked.group(1),
    }
    return client.post(f"{BASE}/{token}/confirm", data=data)


def problems_on(page: str) -> list[str]:
    section = page.split('id="problems"', 1)
    if len(section) == 1:
        return []
    items = section[1].split("</ul>", 1)[0]
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", items, re.S)]


def staged_bytes(app: Flask) -> dict[str, bytes]:
    folder = Path(app.instance_path) / "uploads"
    return {name: (folder / name).read_bytes() for name in staged_files(app)}


def staged_files(app: Flask) -> list[str]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_broken_row_is_named_and_nothing_is_saved_then_the_fix_is_stored(
    nsw_app: Flask, analyst: FlaskClient
) -> None:
    before = counts(nsw_app)
    response = upload(analyst, broken_csv(), "nsw-experimental.csv")
    assert response.status_code == 303
    token = token_of(response)
    assert map_columns(analyst, token).status_code == 303

    page = preview(analyst, token)
    assert problems_on(page) == ["Row 7, column 're78': got 'n/a'; expected a number"]
    assert error_summary(page) == [
        ("1 problem was found in the file. Fix the file and upload it again.", "#problems")
    ]
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: Check the data" in page
    assert "Save the dataset" not in page and "/confirm" not in page
    assert f"{BASE}/new?replaces={token}" in page
    assert counts(nsw_app) == before
    # Posting the confirmation anyway is refused by the same checks, and still saves nothing.
    forced = analyst.post(
        f"{BASE}/{token}/confirm",
        data={
            "csrf_token": csrf_token(analyst, f"{BASE}/{token}/preview"),
            "checked": "0" * 64,
        },
    )
    assert forced.status_code == 200 and "changed after you checked" in forced.get_data(True)
    mapping = json.loads((Path(nsw_app.instance_path) / "uploads" / f"{token}.json").read_text())
    forced = analyst.post(
        f"{BASE}/{token}/confirm",
        data={
            "csrf_token": csrf_token(analyst, f"{BASE}/{token}/preview"),
            "checked": fingerprint(broken_csv(), mapping["mapping"]),
        },
    )
    assert problems_on(forced.get_data(as_text=True)) == problems_on(page)
    assert counts(nsw_app) == before

    corrected = nsw_csv()
    response = upload(analyst, corrected, "nsw-experimental.csv", f"{BASE}/new?replaces={token}")
    new_token = token_of(response)
    assert len(staged_files(nsw_app)) == 2  # the broken upload was thrown away
    columns_page = analyst.get(f"{BASE}/{new_token}/columns").get_data(as_text=True)
    assert re.search(r'<option value="re75" selected>', columns_page)  # the mapping carried over
    assert map_columns(analyst, new_token).status_code == 303
    page = preview(analyst, new_token)
    assert problems_on(page) == []
    assert text_of(page.split('id="row-count">')[1].split("<")[0]) == "16"
    sha = hashlib.sha256(corrected).hexdigest()
    assert f'id="sha256">{sha}<' in page
    arm_table = text_of(page.split('id="arm-counts"')[1].split("</table>")[0])
    assert f"{CONTROL} 8" in arm_table and f"{TREATED} 8" in arm_table
    assert "The first 10 of 16 rows" in page
    assert counts(nsw_app) == before

    response = confirm(analyst, new_token, page)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/pilots/{PILOT}#iteration-1")
    assert staged_files(nsw_app) == []
    with app_session(nsw_app) as session:
        [stored] = datasets.list_datasets(session=session, pilot_slug=PILOT, number=1)
        assert (stored.filename, stored.sha256, stored.row_count) == (
            "nsw-experimental.csv",
            sha,
            len(NSW_ROWS),
        )
        assert datasets.dataset_content(session=session, dataset=stored) == corrected
        assert stored.column_mapping == {
            "arm": "arm",
            "outcomes": {"earnings-1978": "re78"},
            "covariates": ["age", "education"],
            "cluster": None,
            "pre_period": {"earnings-1978": "re75"},
        }
        results = session.exec(select(ArmResult).where(ArmResult.dataset_id == stored.id)).all()
        means = sorted(round(result.mean or 0, 6) for result in results)
    earnings = {
        arm: [float(row[5]) for row in NSW_ROWS if row[0] == arm] for arm in (TREATED, CONTROL)
    }
    assert means == sorted(round(mean(values), 6) for values in earnings.values())

    pilot_page = analyst.get(response.headers["Location"]).get_data(as_text=True)
    listing = text_of(pilot_page.split('id="datasets-1"')[1].split("</table>")[0])
    assert "nsw-experimental.csv 16" in listing and f"{sha[:12]}…" in listing and sha in listing
    assert "Test analyst" in listing
    assert "nsw-experimental.csv is stored: 16 rows" in pilot_page  # the success banner


def test_every_problem_is_listed_by_row_and_column(nsw_app: Flask, analyst: FlaskClient) -> None:
    rows = [(TREATED, "30", "12", "0", "0", f"x{i}") for i in range(25)]
    rows += [("Treatment", "30", "12", "0", "0", "10"), (CONTROL, "30")]
    before = counts(nsw_app)
    token = token_of(upload(analyst, nsw_csv(rows), "many-problems.csv"))
    map_columns(analyst, token)
    found = problems_on(preview(analyst, token))
    assert len(found) == 27  # more than the service's short list of 20
    assert found[0] == "Row 1, column 're78': got 'x0'; expected a number"
    assert found[24] == "Row 25, column 're78': got 'x24'; expected a number"
    assert found[25] == (
        "Row 26, column 'arm': got 'Treatment'; expected one of this iteration's arms: "
        f"{CONTROL}, {TREATED}"
    )
    assert found[26] == "Row 27: has 2 cells; expected 6 like the header"
    assert counts(nsw_app) == before


def test_the_same_file_twice_is_refused_at_the_preview(
    nsw_app: Flask, analyst: FlaskClient
) -> None:
    token = token_of(upload(analyst, nsw_csv(), "nsw.csv"))
    map_columns(analyst, token)
    assert confirm(analyst, token, preview(analyst, token)).status_code == 303
    before = counts(nsw_app)
    token = token_of(upload(analyst, nsw_csv(), "nsw-again.csv"))
    map_columns(analyst, token)
    [problem] = problems_on(preview(analyst, token))
    sha = hashlib.sha256(nsw_csv()).hexdigest()
    assert problem == f"This file (SHA-256 {sha}) is already stored for {PILOT} v1"
    assert counts(nsw_app) == before


def test_xlsx_first_sheet_is_stored_as_csv(nsw_app: Flask, analyst: FlaskClient) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["arm", "re78", "re75", "enrolled", "age"])
    sheet.append([CONTROL, 0, 1266.909015, datetime(1976, 3, 1), 23])
    sheet.append([TREATED, 9930.0458984375, None, date(1976, 4, 2), 37.0])
    sheet.append([TREATED, 3595.5, 0, datetime(1976, 4, 2, 9, 30), 22])
    sheet.append([CONTROL, 12383.68, 0, None, 26, None])
    sheet.append([])
    workbook.create_sheet("Notes").append(["This sheet is not read"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload(analyst, buffer.getvalue(), "NSW sample.xlsx")
    token = token_of(response)
    map_columns(
        analyst,
        token,
        {**MAPPING_FORM, "covariates": ["age"], "pre_period-earnings-1978": "re75"},
    )
    page = preview(analyst, token)
    assert problems_on(page) == []
    assert "The first sheet of NSW sample.xlsx, converted to CSV" in page
    assert confirm(analyst, token, page).status_code == 303
    expected = (
        "arm,re78,re75,enrolled,age\n"
        f"{CONTROL},0,1266.909015,1976-03-01,23\n"
        f"{TREATED},9930.0458984375,,1976-04-02,37\n"
        f"{TREATED},3595.5,0,1976-04-02T09:30:00,22\n"
        f"{CONTROL},12383.68,0,,26\n"
    ).encode()
    with app_session(nsw_app) as session:
        [stored] = datasets.list_datasets(session=session, pilot_slug=PILOT, number=1)
        assert datasets.dataset_content(session=session, dataset=stored) == expected
        assert (stored.filename, stored.row_count) == ("NSW sample.csv", 4)
        assert stored.sha256 == hashlib.sha256(expected).hexdigest()


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"arm,re78\nControl,1\n", "data.txt", "The selected file must be a CSV or XLSX"),
        (b"arm,re78\nControl,1\n", "data.xlsx", "The selected file must be a CSV or XLSX"),
        (
            b"PK\x03\x04not really a workbook",
            "data.xlsx",
            "The selected file must be a CSV or XLSX",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00", "data.csv", "The selected file must be a CSV or XLSX"),
        (b"", "data.csv", "The selected file is empty"),
        (b"\n\n", "data.csv", "The selected file is empty"),
        (b"arm,re78\n", "data.csv", "The selected file has no rows of data under its header row"),
        ("arm,re78\nContrôle,1\n".encode("latin-1"), "data.csv", "must be a CSV saved as UTF-8"),
        (b"arm,re78,arm\nControl,1,2\n", "data.csv", "more than one column called 'arm'"),
        (None, "", "Select a CSV or XLSX file"),
    ],
)
def test_wrong_files_get_a_gov_uk_error_and_nothing_is_staged(
    nsw_app: Flask, analyst: FlaskClient, content: bytes | None, filename: str, message: str
) -> None:
    path = f"{BASE}/new"
    data: dict[str, Any] = {"csrf_token": csrf_token(analyst, path)}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    response = analyst.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [(text, href)] = error_summary(page)
    assert message in text and href == "#file"
    assert "<title>Error: Upload data for iteration 1" in page
    assert staged_files(nsw_app) == []


def test_files_over_the_limit_are_refused(nsw_app: Flask, analyst: FlaskClient) -> None:
    assert "smaller than 50MB" in analyst.get(f"{BASE}/new").get_data(as_text=True)
    nsw_app.config["UPLOAD_MAX_BYTES"] = 300
    response = upload(analyst, nsw_csv(), "nsw.csv")  # a little over: read and measured
    assert response.status_code == 200
    assert error_summary(response.get_data(as_text=True)) == [
        ("The selected file must be smaller than 300 bytes", "#file")
    ]
    far_over = nsw_csv() * 200  # past the request limit: refused before it is read
    response = upload(analyst, far_over, "nsw.csv")
    assert response.status_code == 413
    assert error_summary(response.get_data(as_text=True)) == [
        ("The selected file must be smaller than 300 bytes", "#file")
    ]
    assert staged_files(nsw_app) == []


def test_columns_are_guessed_and_checked(nsw_app: Flask, analyst: FlaskClient) -> None:
    content = b"Arm,earnings-1978,earnings_1978_pre,school\nControl,1,0,a\n"
    token = token_of(upload(analyst, content, "guess.csv"))
    page = analyst.get(f"{BASE}/{token}/columns").get_data(as_text=True)
    assert '<option value="Arm" selected>' in page
    assert '<option value="earnings-1978" selected>' in page
    assert '<option value="earnings_1978_pre" selected>' in page
    assert 'for="outcome-earnings-1978"' in page and "Outcome column for" in page

    path = f"{BASE}/{token}/columns"
    blank = {"arm": "", "outcome-earnings-1978": "", "outcome-earnings-1975": ""}
    response = analyst.post(path, data={**blank, "csrf_token": csrf_token(analyst, path)})
    assert error_summary(response.get_data(as_text=True)) == [
        ("Select the column that names each unit's arm", "#arm"),
        ("Select the outcome column for at least one metric", "#outcome-earnings-1978"),
    ]
    clash = {
        "arm": "Arm",
        "outcome-earnings-1978": "Arm",
        "pre_period-earnings-1975": "school",
        "cluster": "Arm",
    }
    response = analyst.post(path, data={**clash, "csrf_token": csrf_token(analyst, path)})
    assert [href for _, href in error_summary(response.get_data(as_text=True))] == [
        "#outcome-earnings-1978",
        "#outcome-earnings-1975",
        "#cluster",
    ]
    assert analyst.get(f"{BASE}/{token}/preview").headers["Location"].endswith("/columns")


def test_upload_page_sends_the_file_with_progress(nsw_app: Flask, analyst: FlaskClient) -> None:
    page = analyst.get(f"{BASE}/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'data-upload-progress="upload-progress"' in page and 'accept=".csv,.xlsx' in page
    assert '<label class="govuk-label govuk-label--s" for="upload-progress-bar">' in page
    assert '<progress class="app-upload-progress__bar" id="upload-progress-bar"' in page
    assert 'role="status" aria-live="polite"' in page
    assert '<script type="module" src="/static/js/upload-progress.js">' in page
    script = analyst.get("/static/js/upload-progress.js")
    assert script.status_code == 200 and b'upload.addEventListener("progress"' in script.data
    script.close()
    assert "upload-progress.js" not in analyst.get(f"/pilots/{PILOT}").get_data(as_text=True)


def test_pilot_page_offers_upload_to_analysts_only(nsw_app: Flask, analyst: FlaskClient) -> None:
    assert "Upload data for iteration 1" in analyst.get(f"/pilots/{PILOT}").get_data(as_text=True)
    editor = signed_in_client(nsw_app, role=Role.EDITOR)
    page = editor.get(f"/pilots/{PILOT}").get_data(as_text=True)
    assert "Upload data for iteration 1" not in page and 'id="datasets-1"' not in page


def test_another_users_upload_is_not_found(nsw_app: Flask, analyst: FlaskClient) -> None:
    token = token_of(upload(analyst, nsw_csv(), "nsw.csv"))
    map_columns(analyst, token)
    other = signed_in_client(nsw_app, role=Role.ADMIN)
    before = counts(nsw_app)
    form_token = csrf_token(other, f"{BASE}/new")
    assert other.get(f"{BASE}/{token}/columns").status_code == 404
    assert (
        other.post(
            f"{BASE}/{token}/columns", data={**MAPPING_FORM, "csrf_token": form_token}
        ).status_code
        == 404
    )
    assert other.get(f"{BASE}/{token}/preview").status_code == 404
    assert other.post(f"{BASE}/{token}/confirm", data={"csrf_token": form_token}).status_code == 404
    # Nor is the owner's token valid for another iteration, nor a made-up one.
    assert analyst.get(f"/pilots/{PILOT}/iterations/2/datasets/{token}/preview").status_code == 404
    assert analyst.get(f"{BASE}/{'A' * 32}/preview").status_code == 404
    assert analyst.get(f"{BASE}/..%2Fsecret_key/preview").status_code == 404
    assert counts(nsw_app) == before
    assert preview(analyst, token)  # still the owner's


def test_staged_uploads_expire_after_a_day(nsw_app: Flask, analyst: FlaskClient) -> None:
    token = token_of(upload(analyst, nsw_csv(), "nsw.csv"))
    meta = Path(nsw_app.instance_path) / "uploads" / f"{token}.json"
    meta.write_text(
        re.sub(
            r'"created": [0-9.]+',
            f'"created": {time.time() - STAGED_FOR_SECONDS - 1}',
            meta.read_text(),
        )
    )
    assert analyst.get(f"{BASE}/{token}/columns").status_code == 404
    assert staged_files(nsw_app) == []


def write_routes(token: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", f"{BASE}/new", {}),
        ("POST", f"{BASE}/new", {"file": (io.BytesIO(nsw_csv()), "nsw.csv")}),
        ("GET", f"{BASE}/{token}/columns", {}),
        ("POST", f"{BASE}/{token}/columns", dict(MAPPING_FORM)),
        ("GET", f"{BASE}/{token}/preview", {}),
        ("POST", f"{BASE}/{token}/confirm", {"checked": "0" * 64}),
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_viewers_and_editors_are_refused_everywhere(
    nsw_app: Flask, analyst: FlaskClient, role: Role
) -> None:
    token = token_of(upload(analyst, nsw_csv(), "nsw.csv"))
    map_columns(analyst, token)
    page = preview(analyst, token)
    assert re.search(r'name="checked" value="([0-9a-f]{64})"', page)
    user = add_user(nsw_app, role=role, email=f"{role.value}-2@example.gov.uk")
    before, staged = counts(nsw_app), staged_bytes(nsw_app)
    client = signed_in_as(nsw_app, user)
    form_token = csrf_token(client, "/")
    for method, path, data in write_routes(token):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(
                path, data={**data, "csrf_token": form_token}, content_type="multipart/form-data"
            )
        assert response.status_code == 403, (method, path)
    assert counts(nsw_app) == before
    assert staged_bytes(nsw_app) == staged


@pytest.mark.skipif(
    not REFERENCE_NSW.exists(), reason="reference data ../shared/reference-data is absent"
)
def test_the_whole_published_file_reproduces_the_papers_means(
    nsw_app: Flask, analyst: FlaskClient
) -> None:
    """All 445 units of Dehejia & Wahba's file give the arm means the portfolio quotes."""
    lines = REFERENCE_NSW.read_text().splitlines()
    arms = {"1.0": TREATED, "0.0": CONTROL}
    rows = [line.split(",") for line in lines[1:]]
    content = "\n".join(
        ["arm," + lines[0], *(f"{arms[row[0]]},{','.join(row)}" for row in rows)]
    ).encode()
    token = token_of(upload(analyst, content, "nsw_dehejia_wahba_experimental.csv"))
    map_columns(
        analyst,
        token,
        {"arm": "arm", "outcome-earnings-1978": "re78", "outcome-earnings-1975": "re75"},
    )
    page = preview(analyst, token)
    assert problems_on(page) == [] and "445" in page
    assert confirm(analyst, token, page).status_code == 303
    with app_session(nsw_app) as session:
        [stored] = datasets.list_datasets(session=session, pilot_slug=PILOT, number=1)
        assert stored.row_count == 445
        results = session.exec(select(ArmResult).where(ArmResult.dataset_id == stored.id)).all()
    by_n = sorted((result.n, round(result.mean or 0, 2)) for result in results)
    assert (185, 6349.14) in by_n and (260, 4554.80) in by_n
    treated = [float(row[-1]) for row in rows if row[0] == "1.0"]
    assert round(stdev(treated), 2) == 7867.40


def test_a_store_that_fails_at_confirm_saves_nothing(
    nsw_app: Flask, analyst: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the checks pass but storing fails (the data changed meanwhile), save() rolls back."""
    token = token_of(upload(analyst, broken_csv(), "nsw.csv"))
    map_columns(analyst, token)
    before = counts(nsw_app)
    monkeypatch.setattr(datasets, "dataset_problems", lambda **_: [])
    monkeypatch.setattr("tracker.web.uploads._dry_run", lambda *_: [])
    page = preview(analyst, token)
    response = confirm(analyst, token, page)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert problems_on(page) == ["Row 7, column 're78': got 'n/a'; expected a number"]
    assert "Save the dataset" not in page
    assert counts(nsw_app) == before


def test_file_names_and_cells_are_read_as_people_wrote_them() -> None:
    from datetime import time as time_of_day

    from tracker.web.upload_files import cell_text, clean_filename

    assert clean_filename("C:\\Users\\me\\trial data.csv") == "trial data.csv"
    assert clean_filename("../../instance/secret_key.csv") == "secret_key.csv"
    assert clean_filename("tab\there.csv") == "tabhere.csv"
    assert clean_filename("") == "upload.csv"
    assert len(clean_filename("x" * 300 + ".csv")) == 255
    assert clean_filename("x" * 300 + ".csv").endswith("x.csv")
    values = [None, True, False, 3.0, 0.1, 1e-05, 12, "Control", time_of_day(9, 30)]
    assert [cell_text(value) for value in values] == [
        "",
        "TRUE",
        "FALSE",
        "3",
        "0.1",
        "1e-05",
        "12",
        "Control",
        "09:30:00",
    ]
