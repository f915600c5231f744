"""The export downloads: every role may take them, with the right type and a dated file name."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from flask import Flask, render_template
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import seed, text_of
from tracker.io.portfolio_table import COLUMNS
from tracker.models.base import utcnow
from tracker.models.enums import Role
from tracker.services import pilots
from tracker.web.exports import XLSX_MIMETYPE

NHS = "southwark-nhs-health-check-invitation-trial"
EVIL_TITLE = "=1+2"
REGISTRY_URLS = [
    f"/pilots/{NHS}/registry/uk-evaluation-registry.json",
    f"/pilots/{NHS}/registry/aea-rct-registry.json",
]


def attachment_name(response: object) -> str:
    disposition = response.headers["Content-Disposition"]  # type: ignore[attr-defined]
    found = re.fullmatch(r'attachment; filename="([^"]+)"', disposition)
    assert found, disposition
    return found.group(1)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_downloads_every_export(example_app: Flask, role: Role) -> None:
    client = signed_in_client(example_app, role=role)
    today = utcnow().date().isoformat()
    spreadsheet = client.get("/exports/portfolio.csv")
    assert spreadsheet.status_code == 200 and spreadsheet.mimetype == "text/csv"
    assert attachment_name(spreadsheet) == f"portfolio-{today}.csv"
    rows = list(csv.DictReader(io.StringIO(spreadsheet.get_data(as_text=True))))
    assert len(rows) == 5 and {row["pilot_slug"] for row in rows} >= {NHS}
    workbook = client.get("/exports/portfolio.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype == XLSX_MIMETYPE
    assert attachment_name(workbook) == f"portfolio-{today}.xlsx"
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert [cell.value for cell in sheet[1]] == list(COLUMNS) and sheet.max_row == 6
    for url in REGISTRY_URLS:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/json"
        key = url.rsplit("/", 1)[1].removesuffix(".json")
        assert attachment_name(response) == f"{NHS}-{key}.json"
        document = response.get_json()
        assert document["registry"]["key"] == key
        assert document["source"]["pilot_url"] == f"http://localhost/pilots/{NHS}"
    assert client.get(f"/pilots/{NHS}/registry").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(example_app: Flask) -> None:
    client = example_app.test_client()
    for url in ["/exports/portfolio.csv", "/exports/portfolio.xlsx", *REGISTRY_URLS]:
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url


@pytest.mark.parametrize(
    "url",
    [
        "/pilots/no-such-pilot/registry/aea-rct-registry.json",
        "/pilots/Not_A_Slug/registry/uk-evaluation-registry.json",
        f"/pilots/{NHS}/registry/clinicaltrials-gov.json",
    ],
)
def test_unknown_pilots_and_registries_are_not_found(example_app: Flask, url: str) -> None:
    assert signed_in_client(example_app).get(url).status_code == 404


def test_the_partials_link_to_the_downloads(example_app: Flask) -> None:
    client = signed_in_client(example_app)
    with example_app.test_request_context():
        pilot_links = render_template(
            "exports/_pilot_links.html", pilot={"slug": NHS, "title": "NHS trial"}
        )
        portfolio_links = render_template("exports/_portfolio_links.html")
    hrefs = re.findall(r'href="([^"]+)"', pilot_links + portfolio_links)
    assert sorted(hrefs) == sorted(
        [
            *REGISTRY_URLS,
            f"/pilots/{NHS}/registry",
            "/exports/portfolio.csv",
            "/exports/portfolio.xlsx",
        ]
    )
    assert all(client.get(href).status_code == 200 for href in hrefs)


def test_exports_on_this_database_neutralise_formulas(app: Flask) -> None:
    """On SQLite and PostgreSQL: a formula-like title is text in both spreadsheet formats."""
    seed(app, lambda session: factories.make_trial(session))
    seed(app, lambda session: factories.make_policy(session, slug="evil", title=EVIL_TITLE))
    client = signed_in_client(app)
    rows = list(csv.DictReader(io.StringIO(client.get("/exports/portfolio.csv").text)))
    assert [row["policy_title"] for row in rows] == ["'" + EVIL_TITLE, "Policy school-meals"]
    sheet = load_workbook(io.BytesIO(client.get("/exports/portfolio.xlsx").data)).active
    title = sheet.cell(row=2, column=COLUMNS.index("policy_title") + 1)
    assert (title.data_type, title.value) == ("s", "'" + EVIL_TITLE)
    document = json.loads(client.get("/pilots/letter-trial/registry/aea-rct-registry.json").text)
    assert {
        "field": "sample_size_by_arm",
        "required": True,
        "reason": ("Not every arm of v1 has results; no planned sample size is recorded"),
    } in document["missing"]
    assert document["fields"]["clustered"] == "no"


def test_the_registry_page_shows_what_is_filled_and_what_is_missing(example_app: Flask) -> None:
    response = signed_in_client(example_app).get(f"/pilots/{NHS}/registry")
    assert response.status_code == 200 and response.mimetype == "text/html"
    text = text_of(response.get_data(as_text=True))
    assert "Register this pilot" in text
    assert (
        "UK Evaluation Registry (Evaluation Task Force) Every required field is filled" not in text
    )
    assert "Missing The tracker does not record the randomisation method" in text
    assert "total: 12,244" in text and "Control letter, no SMS: 814" in text
    assert "Missing No planned start date is recorded for the pilot" in text
    assert "2 required fields are missing." in text  # UK: intended start and end dates


def test_the_registry_page_escapes_what_users_typed(app: Flask) -> None:
    seed(app, lambda session: factories.make_trial(session))
    seed(
        app,
        lambda session: pilots.update_pilot(
            session=session,
            actor=factories.EDITOR,
            slug="letter-trial",
            data={"unit_of_randomisation": "<script>alert(1)</script>"},
            expected_version=1,
        ),
    )
    html = signed_in_client(app).get("/pilots/letter-trial/registry").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
