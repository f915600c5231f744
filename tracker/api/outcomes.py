"""/api/v1/pilots/{slug}/iterations/{number}: per-arm results and the iteration's decision.

Both are written with PUT to their own address, because a data pipeline knows which arm and
metric (or which iteration) it is reporting on and may send the same numbers again: the first
PUT creates (201), a later one replaces (200, needing If-Match with the version it read), and a
repeat that changes nothing succeeds unchanged. The services do the validation, the role check
and the audit, exactly as for the web forms.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as SQLField

from tracker.api.auth import api_actor
from tracker.api.concurrency import expected_version, fields_equal
from tracker.api.iterations import ArmPath, iteration_url
from tracker.api.pagination import PageInfo, PageQuery, page_response
from tracker.api.paths import IterationPath
from tracker.api.problems import Problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import ArmResult, ArmResultCreate, Decision, DecisionCreate, Metric
from tracker.models.base import SLUG_MAX, SLUG_PATTERN
from tracker.models.enums import DecisionOutcome, ResultSource
from tracker.services import iterations, keyed, results
from tracker.services.actors import require_write
from tracker.services.errors import NotFound, ValidationFailed
from tracker.services.pilots import get_pilot

RESULTS_TAG = Tag(
    name="Results",
    description="Each arm's results on each metric: the sufficient statistics the analysis uses",
)
DECISION_TAG = Tag(
    name="Decisions",
    description="What was decided at the end of an iteration: adapt, scale, stop or continue",
)


class ResultOut(BaseModel):
    """One arm's result on one metric, as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    arm: str = Field(description="The arm's name")
    metric: str = Field(description="The metric's key")
    n: int
    successes: int | None
    mean: float | None
    sd: float | None
    total: float | None
    exposure: float | None
    note: str
    source: ResultSource = Field(description="Entered as a summary, or derived from a dataset")
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ResultList(BaseModel):
    items: list[ResultOut]
    page: PageInfo


class ResultPath(ArmPath):
    metric: str = Field(pattern=SLUG_PATTERN, max_length=SLUG_MAX, description="The metric's key")


class ResultPut(ArmResultCreate):
    """The result for the arm and metric named in the path. Give n and, by the metric's kind:
    binary `successes`; continuous `mean` and `sd` (or `sum` and `sum_of_squares`); count
    `total` and `exposure`."""

    metric: str | None = SQLField(  # type: ignore[assignment]
        default=None, description="May be left out; if given, it must be the metric in the path"
    )


class DecisionOut(BaseModel):
    """An iteration's decision, as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    outcome: DecisionOutcome
    rationale: str
    decided_by: str
    decided_on: date
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


def result_url(slug: str, number: int, arm: str, metric: str) -> str:
    """The API path of one arm's result on one metric, the arm's name percent-encoded."""
    return f"{iteration_url(slug, number)}/arms/{quote(arm, safe='')}/results/{metric}"


def result_out(result: ArmResult, arm: str, metric: str) -> ResultOut:
    """A stored result named by its arm and metric (it holds only their ids)."""
    named = {"arm": arm, "metric": metric}
    return ResultOut.model_validate(
        {
            name: named[name] if name in named else getattr(result, name)
            for name in ResultOut.model_fields
        }
    )


def result_response(
    result: ArmResult, arm: str, metric: str, status: int = 200, location: str | None = None
) -> Response:
    body = result_out(result, arm, metric)
    return record_response(body, result, status=status, location=location)


def decision_response(
    decision: Decision, status: int = 200, location: str | None = None
) -> Response:
    body = DecisionOut.model_validate(decision)
    return record_response(body, decision, status=status, location=location)


# What a replacement writes: every statistic (those of other kinds cleared), the note and where
# the numbers came from — the same columns services.results.record_result sets.
_REPLACED = ("n", "successes", "mean", "sd", "total", "exposure", "note", "source", "dataset_id")


def _unchanged(existing: ArmResult, metric: Metric, data: ArmResultCreate) -> bool:
    """Whether recording `data` would leave the stored result exactly as it is."""
    proposed = {
        **dict.fromkeys(_REPLACED),
        **results.sufficient_statistics(metric, data),
        "source": ResultSource.SUMMARY,
    }
    return {name: getattr(existing, name) for name in _REPLACED} == proposed


def register(api: APIBlueprint) -> None:
    """Add the result and decision operations to the API blueprint."""
    _register_results(api)
    _register_decision(api)


def _register_results(api: APIBlueprint) -> None:
    @api.get(
        "/pilots/<slug>/iterations/<number>/results",
        tags=[RESULTS_TAG],
        responses={200: ResultList, 404: Problem, 422: Problem},
    )
    def list_results(path: IterationPath, query: PageQuery) -> Response:
        """Every arm's result on every metric in an iteration, arm by arm."""
        session = get_session()
        pilot = get_pilot(session=session, slug=path.slug)
        iteration = iterations.get_iteration(
            session=session, pilot_slug=path.slug, number=path.number
        )
        arms = {
            arm.id: arm.name for arm in iterations.list_arms(session=session, iteration=iteration)
        }
        metrics = {
            metric.id: metric.key
            for metric in keyed.list_keyed(session, Metric, "policy_id", pilot.policy_id)
        }
        return page_response(
            ResultList,
            results.list_results(session=session, iteration=iteration),
            query,
            lambda r: result_out(r, arms[r.arm_id], metrics[r.metric_id]),
        )

    @api.get(
        "/pilots/<slug>/iterations/<number>/arms/<path:name>/results/<metric>",
        tags=[RESULTS_TAG],
        responses={200: ResultOut, 404: Problem},
    )
    def get_result(path: ResultPath) -> Response:
        """One arm's result on one metric.

        Its ETag is the version to send back with If-Match when replacing it."""
        result, _ = _find_result(path)
        if result is None:
            raise NotFound("result", f"{path.name} on {path.metric}")
        return result_response(result, path.name, path.metric)

    @api.put(
        "/pilots/<slug>/iterations/<number>/arms/<path:name>/results/<metric>",
        tags=[RESULTS_TAG],
        responses={
            200: ResultOut,
            201: ResultOut,
            **problem_responses(403, 404, 409, 412, 422, 428),
        },
    )
    def put_result(path: ResultPath, body: ResultPut) -> Response:
        """Enter or replace one arm's result on one metric (analyst role or above).

        201 when it is new. Replacing a stored result needs If-Match with the ETag you read;
        sending the same numbers again changes nothing."""
        require_write(api_actor(), "arm_result")
        if body.metric is not None and body.metric != path.metric:
            raise ValidationFailed.single(
                "metric",
                f"names {body.metric!r} but the path is for {path.metric!r}; "
                "leave it out or make them match",
            )
        data = ArmResultCreate.model_validate({**body.model_dump(), "metric": path.metric})
        existing, metric = _find_result(path)
        expected: int | None = None
        if existing is not None:
            guard = expected_version(
                existing,
                _unchanged(existing, metric, data),
                lambda r: result_response(r, path.name, path.metric),
            )
            if isinstance(guard, Response):
                return guard
            expected = guard
        session = get_session()
        result = results.record_result(
            session=session,
            actor=api_actor(),
            pilot_slug=path.slug,
            number=path.number,
            arm_name=path.name,
            data=data,
            expected_version=expected,
        )
        session.commit()
        if existing is not None:
            return result_response(result, path.name, path.metric)
        location = result_url(path.slug, path.number, path.name, path.metric)
        return result_response(result, path.name, path.metric, status=201, location=location)


def _find_result(path: ResultPath) -> tuple[ArmResult | None, Metric]:
    """The stored result the path names (None when not yet entered) and its metric; NotFound
    when the pilot, iteration, arm or metric does not exist."""
    session = get_session()
    pilot = get_pilot(session=session, slug=path.slug)
    iteration = iterations.get_iteration(session=session, pilot_slug=path.slug, number=path.number)
    arm = iterations.get_arm(session=session, iteration=iteration, name=path.name)
    metric = keyed.get_keyed(session, Metric, "policy_id", pilot.policy_id, path.metric)
    stored = results.list_results(session=session, iteration=iteration)
    found = next((r for r in stored if r.arm_id == arm.id and r.metric_id == metric.id), None)
    return found, metric


def _register_decision(api: APIBlueprint) -> None:
    @api.get(
        "/pilots/<slug>/iterations/<number>/decision",
        tags=[DECISION_TAG],
        responses={200: DecisionOut, 404: Problem},
    )
    def get_decision(path: IterationPath) -> Response:
        """What was decided at the end of an iteration; 404 while nothing has been decided."""
        session = get_session()
        iteration = iterations.get_iteration(
            session=session, pilot_slug=path.slug, number=path.number
        )
        decision = results.get_decision(session=session, iteration=iteration)
        if decision is None:
            raise NotFound("decision", f"{path.slug} v{path.number}")
        return decision_response(decision)

    @api.put(
        "/pilots/<slug>/iterations/<number>/decision",
        tags=[DECISION_TAG],
        responses={
            200: DecisionOut,
            201: DecisionOut,
            **problem_responses(403, 404, 409, 412, 422, 428),
        },
    )
    def put_decision(path: IterationPath, body: DecisionCreate) -> Response:
        """Record or revise what was decided at the end of an iteration (editor role or above).

        Say why. 201 the first time; revising it needs If-Match with the ETag you read. Sending
        the same decision again changes nothing."""
        require_write(api_actor(), "decision")
        session = get_session()
        iteration = iterations.get_iteration(
            session=session, pilot_slug=path.slug, number=path.number
        )
        existing = results.get_decision(session=session, iteration=iteration)
        expected: int | None = None
        if existing is not None:
            same = fields_equal(existing, body.model_dump())
            guard = expected_version(existing, same, decision_response)
            if isinstance(guard, Response):
                return guard
            expected = guard
        decision = results.record_decision(
            session=session,
            actor=api_actor(),
            pilot_slug=path.slug,
            number=path.number,
            data=body,
            expected_version=expected,
        )
        session.commit()
        if existing is not None:
            return decision_response(decision)
        location = f"{iteration_url(path.slug, path.number)}/decision"
        return decision_response(decision, status=201, location=location)
