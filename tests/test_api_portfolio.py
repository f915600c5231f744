"""/api/v1/portfolio: export the same YAML as `tracker export`, import all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.api_helpers import ApiClient, api_client, records_of
from tests.portfolio_helpers import minimal
from tracker.db import get_engine
from tracker.io.exporter import export_directory
from tracker.models.enums import Role

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
EXAMPLE = "council-tax-text-reminders"


def send(client: ApiClient, content: bytes | str) -> TestResponse:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return client.client.post(
        "/api/v1/portfolio/import",
        data=body,
        headers=client.headers(),
        content_type="application/yaml",
    )


def test_export_is_what_the_cli_writes(example_app: Flask, tmp_path: Path) -> None:
    viewer = api_client(example_app, Role.VIEWER)
    one = viewer.get(f"/api/v1/portfolio/export?policy={EXAMPLE}")
    assert one.status_code == 200 and one.mimetype == "application/yaml"
    assert f'filename="{EXAMPLE}.yaml"' in one.headers["Content-Disposition"]
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        written = export_directory(session=session, directory=tmp_path)
    assert one.get_data(as_text=True) == (tmp_path / f"{EXAMPLE}.yaml").read_text("utf-8")
    everything = yaml.safe_load(viewer.get("/api/v1/portfolio/export").get_data(as_text=True))
    assert everything["format"] == "tracker-portfolio/1"
    assert [p["slug"] for p in everything["policies"]] == sorted(path.stem for path in written)
    assert viewer.get("/api/v1/portfolio/export?policy=no-such-policy").status_code == 404
    bad = viewer.get("/api/v1/portfolio/export?policy=Not A Slug")
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json["errors"]] == ["policy"]


def test_import_creates_then_leaves_unchanged(app: Flask) -> None:
    analyst = api_client(app, Role.ANALYST)
    text = (EXPERIMENTS / f"{EXAMPLE}.yaml").read_text("utf-8")
    first = send(analyst, text)
    assert first.status_code == 200, first.json
    assert first.json["created"]["policies"] == 1 and first.json["created"]["pilots"] == 1
    exported = analyst.get(f"/api/v1/portfolio/export?policy={EXAMPLE}").get_data(as_text=True)
    assert (
        yaml.safe_load(exported)["policies"][0]["title"]
        == yaml.safe_load(text)["policies"][0]["title"]
    )
    before = records_of(app)
    for again in (send(analyst, text), send(analyst, exported)):  # the export round-trips
        assert again.status_code == 200, again.json
        assert again.json["created"] == {} and again.json["updated"] == {}
        assert sum(again.json["unchanged"].values()) > 0
    assert records_of(app) == before


def test_problems_are_named_by_line_and_path_and_nothing_is_written(app: Flask) -> None:
    analyst = api_client(app, Role.ANALYST)
    before = records_of(app)
    document = minimal()
    document["policies"][0]["title"] = ""
    problems = send(analyst, yaml.safe_dump(document, sort_keys=False))
    assert problems.status_code == 422 and problems.mimetype == "application/problem+json"
    fields = [error["field"] for error in problems.json["errors"]]
    assert any(f.startswith("portfolio.yaml:") and "title" in f for f in fields), fields
    broken = send(analyst, "format: tracker-portfolio/1\npolicies: [\n")
    assert broken.status_code == 422
    assert "not valid YAML" in broken.json["errors"][0]["message"]
    assert records_of(app) == before


def test_dataset_files_cannot_come_in_a_yaml_body(app: Flask) -> None:
    analyst = api_client(app, Role.ANALYST)
    document = minimal()
    iteration = document["policies"][0]["pilots"][0]["iterations"][0]
    iteration["datasets"] = [
        {"file": "/etc/passwd", "sha256": "0" * 64, "column_mapping": {"arm": "a"}}
    ]
    before = records_of(app)
    refused = send(analyst, yaml.safe_dump(document))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json["errors"]] == [
        "policies.0.pilots.0.iterations.0.datasets"
    ]
    assert "/etc/passwd" not in refused.get_data(as_text=True)
    assert records_of(app) == before


def test_a_viewer_cannot_import(app: Flask) -> None:
    viewer = api_client(app, Role.VIEWER)
    before = records_of(app)
    refused = send(viewer, (EXPERIMENTS / f"{EXAMPLE}.yaml").read_text("utf-8"))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert records_of(app) == before
