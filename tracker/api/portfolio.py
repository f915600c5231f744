"""/api/v1/portfolio: the portfolio as YAML files, out (export) and in (import).

The same files `tracker export` writes and `tracker import` reads (tracker/io), so a registry
or another department can round-trip a policy without a shell on the server. An import is all
or nothing: every problem is reported with its file, line and path, and nothing is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models import RawModel
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field
from sqlmodel import col, select

from tracker.api.auth import api_actor
from tracker.api.problems import FieldProblem, Problem, problem
from tracker.db import get_session
from tracker.io import yamlfile
from tracker.io.exporter import policy_document
from tracker.io.importer import PortfolioError, import_path
from tracker.io.reader import FORMAT
from tracker.models import Policy
from tracker.models.base import SLUG_PATTERN
from tracker.services.actors import require_write
from tracker.services.policies import get_policy

TAG = Tag(name="Portfolio files", description="Export and import the portfolio as YAML files")
YAML = "application/yaml"
UPLOAD_NAME = "portfolio.yaml"


class ExportQuery(BaseModel):
    policy: str | None = Field(
        default=None,
        pattern=SLUG_PATTERN,
        max_length=100,
        description="Only this policy (its slug); every policy when left out",
    )


class PortfolioYaml(RawModel):
    """A portfolio file, as `tracker export` writes it."""

    mimetypes = [YAML]  # noqa: RUF012 (flask-openapi3 reads it as the class attribute)


class ImportResult(BaseModel):
    """What the import did, by kind of record."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    summary: str


YAML_RESPONSE: dict[str, Any] = {
    "description": "The portfolio file (format "
    f"{FORMAT}); unit-level datasets are named by file and SHA-256, not included",
    "content": {
        YAML: {
            "schema": {
                "type": "object",
                "required": ["format", "policies"],
                "properties": {
                    "format": {"type": "string", "enum": [FORMAT]},
                    "policies": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}


def _datasets_named(document: Any) -> list[str]:
    """Where a document names dataset files: a YAML body carries no files beside it, and a
    path in it must never reach the server's own disk."""
    places = []
    policies = document.get("policies") if isinstance(document, dict) else None
    for p, policy in enumerate(policies if isinstance(policies, list) else []):
        pilots = policy.get("pilots") if isinstance(policy, dict) else None
        for q, pilot in enumerate(pilots if isinstance(pilots, list) else []):
            iterations = pilot.get("iterations") if isinstance(pilot, dict) else None
            for i, iteration in enumerate(iterations if isinstance(iterations, list) else []):
                if isinstance(iteration, dict) and iteration.get("datasets"):
                    places.append(f"policies.{p}.pilots.{q}.iterations.{i}.datasets")
    return places


def _portfolio_problem(error: PortfolioError) -> Response:
    """Each problem at its place: `portfolio.yaml:<line>: <path in the document>`."""
    errors = [
        FieldProblem(
            field=f"{UPLOAD_NAME}:{p.line}: {p.path}" if p.line else f"{UPLOAD_NAME}: {p.path}",
            message=p.message,
        )
        for p in error.problems
    ]
    return problem(
        422,
        "The portfolio file cannot be imported",
        "Nothing was imported: fix each problem listed in errors.",
        errors,
    )


def register(api: APIBlueprint) -> None:
    """Add the portfolio file operations to the API blueprint."""

    @api.get(
        "/portfolio/export",
        tags=[TAG],
        responses={200: YAML_RESPONSE, 404: Problem, 422: Problem},
    )
    def export_portfolio(query: ExportQuery) -> Response:
        """One policy, or every policy, as a portfolio YAML file (`tracker import` reads it)."""
        session = get_session()
        if query.policy is not None:
            slugs = [get_policy(session=session, slug=query.policy).slug]
        else:
            slugs = list(session.exec(select(Policy.slug).order_by(col(Policy.slug))))
        with tempfile.TemporaryDirectory(prefix="tracker-export-") as folder:
            documents = [
                policy_document(session=session, slug=slug, directory=Path(folder))
                for slug in slugs
            ]
        body = {"format": FORMAT, "policies": [d for doc in documents for d in doc["policies"]]}
        name = f"{query.policy or 'portfolio'}.yaml"
        return Response(
            yamlfile.dump(body),
            mimetype=YAML,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @api.post(
        "/portfolio/import",
        tags=[TAG],
        responses={200: ImportResult, 403: Problem, 413: Problem, 422: Problem},
    )
    def import_portfolio(raw: PortfolioYaml) -> Response:
        """Import a portfolio YAML file (editor role or above; metrics, plans and results in it
        need the analyst role): records are matched by their slugs and keys, created or updated,
        never deleted. All or nothing: each problem is listed in `errors` with its line and path.
        Datasets cannot be sent this way; upload them to their iteration's datasets."""
        actor = api_actor()
        require_write(actor, "policy")
        content = raw.get_data(cache=False)  # the app's request size limit applies: 413
        try:
            document, _lines = yamlfile.load(content.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            document = None  # the importer reports it, with its line, below
        places = _datasets_named(document)
        if places:
            message = "datasets cannot be imported from a YAML body: upload each file to its "
            message += "iteration's datasets instead"
            errors = [FieldProblem(field=place, message=message) for place in places]
            return problem(422, "The portfolio file cannot be imported", message, errors)
        session = get_session()
        with tempfile.TemporaryDirectory(prefix="tracker-import-") as folder:
            path = Path(folder) / UPLOAD_NAME
            path.write_bytes(content)
            try:
                report = import_path(session=session, path=path, actor=actor)
            except PortfolioError as error:
                session.rollback()
                return _portfolio_problem(error)
        session.commit()
        body = ImportResult(
            created=dict(report.created),
            updated=dict(report.updated),
            unchanged=dict(report.unchanged),
            summary=report.summary(),
        )
        return Response(body.model_dump_json(), mimetype="application/json")
