"""/api/v1 analysis plans: write a draft, edit it, lock it under its SHA-256, amend it.

A plan is pre-registration: once locked it never changes, and a change of mind is an amendment
— the next version, with a reason — so anyone can check that an analysis ran under the plan
registered before the data arrived. The rules live in services.plans; these operations only
carry them over HTTP, as the web pages do.
"""

from __future__ import annotations

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from tracker.api.auth import api_actor
from tracker.api.concurrency import guarded_update, if_match_version, stale
from tracker.api.pagination import PageInfo, PageQuery, page_response
from tracker.api.paths import MAX_ID, PilotPath, SlugPath
from tracker.api.problems import Problem, problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import AnalysisPlan, AnalysisPlanCreate, AnalysisPlanUpdate, PlanMetricSpec
from tracker.models.enums import MultipleTesting, Sidedness
from tracker.services import plans
from tracker.services.actors import require_write

TAG = Tag(
    name="Analysis plans",
    description="Pre-registered analysis plans: drafts, locked versions and amendments",
)


class PlanOut(BaseModel):
    """One version of a pilot's analysis plan."""

    model_config = ConfigDict(from_attributes=True)

    pilot: str = Field(description="The pilot's slug")
    plan_version: int = Field(description="1 for the first plan, 2 and on for amendments")
    estimand: str
    alpha: float
    sidedness: Sidedness
    multiple_testing: MultipleTesting
    covariates: list[str]
    stopping_rule: str
    mde: float | None
    sequential: bool
    amendment_reason: str | None
    metrics: list[PlanMetricSpec]
    locked: bool
    locked_at: UtcDatetime | None
    lock_hash: str | None = Field(
        description="SHA-256 of the canonical JSON the plan was locked under; null for a draft"
    )
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PlanList(BaseModel):
    items: list[PlanOut]
    page: PageInfo


class PlanPath(SlugPath):
    version: int = Field(ge=1, le=MAX_ID, description="The plan version (1, 2, …)")


def plan_url(pilot_slug: str, plan_version: int) -> str:
    return f"/api/v1/pilots/{pilot_slug}/plans/{plan_version}"


def plan_out(pilot_slug: str, plan: AnalysisPlan, specs: list[PlanMetricSpec]) -> PlanOut:
    return PlanOut.model_validate(
        {
            **{name: getattr(plan, name) for name in PlanOut.model_fields if hasattr(plan, name)},
            "pilot": pilot_slug,
            "metrics": specs,
            "locked": plan.locked_at is not None,
        }
    )


def plan_response(
    session: Session,
    pilot_slug: str,
    plan: AnalysisPlan,
    status: int = 200,
    location: str | None = None,
) -> Response:
    body = plan_out(pilot_slug, plan, plans.plan_metric_specs(session=session, plan=plan))
    return record_response(body, plan, status=status, location=location)


def _unchanged(session: Session, plan: AnalysisPlan, body: AnalysisPlanUpdate) -> bool:
    """Whether applying `body` would leave the plan as it is (a repeated PUT)."""
    changes = body.model_dump(exclude_unset=True, exclude={"metrics"})
    if any(getattr(plan, name) != value for name, value in changes.items()):
        return False
    if body.metrics is None:
        return True
    stored = plans.plan_metric_specs(session=session, plan=plan)
    return sorted((s.metric, s.role, s.test) for s in stored) == sorted(
        (s.metric, s.role, s.test) for s in body.metrics
    )


def _locked_problem(plan: AnalysisPlan) -> Response | None:
    """409 for a change to a locked plan version; None for a draft."""
    locked_at = plan.locked_at
    if locked_at is None:
        return None
    return problem(
        409,
        "The plan version is locked",
        f"Plan version {plan.plan_version} was locked on {locked_at:%Y-%m-%d} and cannot change. "
        "To change the plan, amend it: POST the new version, with an amendment_reason, to "
        "the pilot's plans.",
    )


def register(api: APIBlueprint) -> None:
    """Add the analysis plan operations to the API blueprint."""

    @api.get(
        "/pilots/<slug>/plans", tags=[TAG], responses={200: PlanList, 404: Problem, 422: Problem}
    )
    def list_plans(path: PilotPath, query: PageQuery) -> Response:
        """A pilot's plan versions, oldest first; the last is the current plan."""
        session = get_session()
        found = plans.list_plans(session=session, pilot_slug=path.slug)
        specs = plans.metric_specs_by_plan(session=session, plan_ids=[p.id or 0 for p in found])
        return page_response(
            PlanList, found, query, lambda p: plan_out(path.slug, p, specs.get(p.id or 0, []))
        )

    @api.get(
        "/pilots/<slug>/plans/<version>",
        tags=[TAG],
        responses={200: PlanOut, 404: Problem, 422: Problem},
    )
    def get_plan(path: PlanPath) -> Response:
        """One plan version, with the SHA-256 it was locked under; its ETag is the version to
        send back with If-Match when editing or locking it."""
        session = get_session()
        plan = plans.get_plan(session=session, pilot_slug=path.slug, version=path.version)
        return plan_response(session, path.slug, plan)

    @api.post(
        "/pilots/<slug>/plans",
        tags=[TAG],
        responses={201: PlanOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    )
    def create_plan(path: PilotPath, body: AnalysisPlanCreate) -> Response:
        """Write the pilot's first plan, or amend a locked plan as the next version (analyst
        role or above). An amendment must give its `amendment_reason`; while the latest version
        is an unlocked draft, edit that draft instead (409)."""
        session = get_session()
        plan = plans.create_plan(
            session=session, actor=api_actor(), pilot_slug=path.slug, data=body
        )
        session.commit()
        location = plan_url(path.slug, plan.plan_version)
        return plan_response(session, path.slug, plan, status=201, location=location)

    @api.put(
        "/pilots/<slug>/plans/<version>",
        tags=[TAG],
        responses={200: PlanOut, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def update_plan(path: PlanPath, body: AnalysisPlanUpdate) -> Response:
        """Edit a draft plan version (fields left out stay as they are; `metrics`, when sent,
        replaces the list). A locked version cannot change (409): amend it instead. Send
        If-Match with the ETag you read; sending the same change again changes nothing."""
        session = get_session()
        return guarded_update(
            "analysis_plan",
            load=lambda: plans.get_plan(
                session=session, pilot_slug=path.slug, version=path.version
            ),
            changes=body.model_dump(exclude_unset=True),
            respond=lambda plan: plan_response(session, path.slug, plan),
            apply=lambda expected: plans.update_plan(
                session=session,
                actor=api_actor(),
                pilot_slug=path.slug,
                version=path.version,
                data=body,
                expected_version=expected,
            ),
            unchanged=lambda plan, _: _unchanged(session, plan, body),
            refuse=_locked_problem,
        )

    @api.post(
        "/pilots/<slug>/plans/<version>/lock",
        tags=[TAG],
        responses={200: PlanOut, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def lock_plan(path: PlanPath) -> Response:
        """Lock a draft plan version under the SHA-256 of its canonical form (analyst role or
        above); it needs a primary metric (422), and a locked version cannot be locked again
        (409). Send If-Match with the ETag of the version you reviewed."""
        actor = api_actor()
        require_write(actor, "analysis_plan")
        session = get_session()
        plan = plans.get_plan(session=session, pilot_slug=path.slug, version=path.version)
        expected = if_match_version()
        if isinstance(expected, Response):
            return expected
        if plan.locked_at is None and expected != plan.version:
            return stale(plan.version)
        plan = plans.lock_plan(
            session=session,
            actor=actor,
            pilot_slug=path.slug,
            version=path.version,
            expected_version=expected if plan.locked_at is None else None,
        )
        session.commit()
        return plan_response(session, path.slug, plan)
