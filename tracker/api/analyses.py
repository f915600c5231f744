"""/api/v1 analyses: run the statistics engine over a pilot and read stored runs back.

A run's document is the very JSON `tracker analyse --json` prints (one builder,
`services.analysis.run_document`, serves both), so a pipeline reading the API gets the same
numbers as the CLI and the results pages. The statistics libraries are imported inside the
operations: the app must start without loading them.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from tracker.api.auth import anonymous_caller, api_actor
from tracker.api.pagination import PageInfo, PageQuery, page_response
from tracker.api.paths import MAX_ID, PilotPath
from tracker.api.problems import Problem
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.services.actors import require_write

TAG = Tag(
    name="Analyses",
    description="Runs of the statistics engine over a pilot: every comparison, kept for good",
)


class HealthFinding(BaseModel):
    """A check on the data behind a comparison (sample ratio mismatch, small counts, …)."""

    model_config = ConfigDict(extra="allow")

    code: str
    severity: str
    message: str


class Comparison(BaseModel):
    """One comparison of an arm with its baseline on one metric. Non-finite numbers are null."""

    model_config = ConfigDict(extra="allow")

    comparison: str
    metric: str
    iteration: int | None = None
    arm: str
    baseline: str
    method: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    scale: str = ""
    health: list[HealthFinding] = Field(default_factory=list)
    exploratory: bool = Field(description="True unless a locked plan named this comparison")
    role: str | None = Field(default=None, description="The metric's role in the locked plan")


class AnalysisDocument(BaseModel):
    """A stored run exactly as `tracker analyse --json` prints it."""

    pilot: str = Field(description="The pilot's slug")
    run_id: int
    created_at: str = Field(description="When the run was made (RFC 3339, UTC)")
    inputs_hash: str = Field(description="SHA-256 of the exact inputs the run read")
    plan_hash: str | None = Field(description="SHA-256 of the locked plan it ran under, if any")
    library_versions: dict[str, str]
    comparisons: list[Comparison]


class AnalysisRunSummary(BaseModel):
    """A stored run without its comparisons: read them at `url`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: UtcDatetime
    iteration_number: int | None = Field(description="The one iteration analysed, or null: all")
    actor_label: str = Field(description="Who ran it (left empty for callers without a token)")
    plan_hash: str | None
    inputs_hash: str
    comparison_count: int
    url: str


class AnalysisRunList(BaseModel):
    items: list[AnalysisRunSummary]
    page: PageInfo


class RunQuery(BaseModel):
    iteration: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Analyse only this iteration (no across-iteration tests); all when left out",
    )


class RunPath(BaseModel):
    run_id: int = Field(ge=1, le=MAX_ID)


def run_url(run_id: int | None) -> str:
    return f"/api/v1/analyses/{run_id}"


def _document(
    run: Any, pilot_slug: str, status: int = 200, location: str | None = None
) -> Response:
    from tracker.services.analysis import run_document

    response = jsonify(run_document(run, pilot_slug))
    response.status_code = status
    if location is not None:
        response.headers["Location"] = location
    return response


def register(api: APIBlueprint) -> None:
    """Add the analysis operations to the API blueprint."""

    @api.post(
        "/pilots/<slug>/analyses",
        tags=[TAG],
        responses={201: AnalysisDocument, 403: Problem, 404: Problem, 422: Problem},
    )
    def run_pilot_analysis(path: PilotPath, query: RunQuery) -> Response:
        """Analyse a pilot now (analyst role or above) and store the run; every earlier run is
        kept. The body is the same document as `tracker analyse --json`."""
        from tracker.services.analysis import run_analysis  # loads the statistics libraries

        actor = api_actor()
        require_write(actor, "analysis_run")  # before the computing, not after
        session = get_session()
        run = run_analysis(
            session=session, actor=actor, pilot_slug=path.slug, iteration=query.iteration
        )
        session.commit()
        return _document(run, path.slug, status=201, location=run_url(run.id))

    @api.get(
        "/pilots/<slug>/analyses",
        tags=[TAG],
        responses={200: AnalysisRunList, 404: Problem, 422: Problem},
    )
    def list_pilot_analyses(path: PilotPath, query: PageQuery) -> Response:
        """A pilot's stored runs, newest first, without their comparisons."""
        from tracker.services.analysis import list_runs

        runs = list_runs(session=get_session(), pilot_slug=path.slug)
        return page_response(
            AnalysisRunList,
            runs,
            query,
            lambda run: AnalysisRunSummary.model_validate(
                {
                    "id": run.id,
                    "created_at": run.created_at,
                    "iteration_number": run.iteration_number,
                    "actor_label": "" if anonymous_caller() else run.actor_label,
                    "plan_hash": run.plan_hash,
                    "inputs_hash": run.inputs_hash,
                    "comparison_count": len(run.rows),
                    "url": run_url(run.id),
                }
            ),
        )

    @api.get(
        "/analyses/<run_id>",
        tags=[TAG],
        responses={200: AnalysisDocument, 404: Problem, 422: Problem},
    )
    def get_analysis(path: RunPath) -> Response:
        """One stored run with every comparison, as `tracker analyse --json` printed it."""
        from tracker.services.analysis import get_run

        run, pilot_slug = get_run(session=get_session(), run_id=path.run_id)
        return _document(run, pilot_slug)
