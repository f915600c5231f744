"""/api/v1/policies: list, read, create and change policies through the same services as the
web pages (validation, roles, audit and optimistic locking all live there)."""

from __future__ import annotations

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from tracker.api.auth import anonymous_caller, api_actor
from tracker.api.concurrency import guarded_update
from tracker.api.pagination import PageInfo, PageQuery, paged_response
from tracker.api.paths import PolicyPath
from tracker.api.problems import Problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import Policy, PolicyCreate, PolicyUpdate, StageDecisionCreate
from tracker.models.enums import PolicyStage
from tracker.services import policies
from tracker.services.search import PolicyFilters, clean_text, find_policies

TAG = Tag(name="Policies", description="Policy ideas and their stage from idea to retired")


class PolicyOut(BaseModel):
    """A policy as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    slug: str
    title: str
    illustrative: bool
    published: bool = Field(
        description="Readable without a token while an admin has turned open API reads on"
    )
    team: str
    problem_statement: str
    tags: list[str]
    theory_of_change: dict[str, list[str]]
    stage: PolicyStage
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PolicyListItem(PolicyOut):
    pilot_count: int


class PolicyList(BaseModel):
    items: list[PolicyListItem]
    page: PageInfo


class PolicyQuery(PageQuery):
    """The portfolio's filters, as on the web page."""

    stage: list[PolicyStage] = Field(default_factory=list, description="Any of these stages")
    team: str = Field(default="", max_length=200, description="This team exactly")
    tag: str = Field(default="", max_length=200, description="Has this tag")
    q: str = Field(default="", max_length=200, description="Words in title, problem, team, tags")


class NewPolicy(BaseModel):
    """A policy and the stage decision that records it (at `idea`, or later with a reason)."""

    policy: PolicyCreate
    first_decision: StageDecisionCreate


def policy_response(policy: Policy, status: int = 200, location: str | None = None) -> Response:
    return record_response(
        PolicyOut.model_validate(policy), policy, status=status, location=location
    )


def register(api: APIBlueprint) -> None:
    """Add the policy operations to the API blueprint."""

    @api.get("/policies", tags=[TAG], responses={200: PolicyList, 422: Problem})
    def list_policies(query: PolicyQuery) -> Response:
        """Policies matching the filters, by title (only published ones without a token)."""
        filters = PolicyFilters(
            stages=tuple(query.stage),
            team=clean_text(query.team),
            tag=clean_text(query.tag),
            text=clean_text(query.q),
        )
        found = find_policies(
            session=get_session(),
            filters=filters,
            published_only=anonymous_caller(),
            limit=query.limit,
            offset=query.offset,
        )
        return paged_response(
            PolicyList,
            found,
            query,
            lambda s: PolicyListItem.model_validate(
                {**PolicyOut.model_validate(s.policy).model_dump(), "pilot_count": s.pilot_count}
            ),
        )

    @api.get("/policies/<slug>", tags=[TAG], responses={200: PolicyOut, 404: Problem})
    def get_policy(path: PolicyPath) -> Response:
        """One policy; its ETag is the version to send back with If-Match when changing it."""
        return policy_response(policies.get_policy(session=get_session(), slug=path.slug))

    @api.post(
        "/policies",
        tags=[TAG],
        responses={201: PolicyOut, 403: Problem, 409: Problem, 422: Problem},
    )
    def create_policy(body: NewPolicy) -> Response:
        """Record a policy (editor role or above)."""
        session = get_session()
        policy = policies.create_policy(
            session=session, actor=api_actor(), data=body.policy, first_decision=body.first_decision
        )
        session.commit()
        return policy_response(policy, status=201, location=f"/api/v1/policies/{policy.slug}")

    @api.put(
        "/policies/<slug>",
        tags=[TAG],
        responses={200: PolicyOut, **problem_responses(403, 404, 412, 422, 428)},
    )
    def update_policy(path: PolicyPath, body: PolicyUpdate) -> Response:
        """Change a policy's description (fields left out stay as they are). Send If-Match with
        the ETag you read; sending the same change again changes nothing."""
        session = get_session()
        return guarded_update(
            "policy",
            load=lambda: policies.get_policy(session=session, slug=path.slug),
            changes=body.model_dump(exclude_unset=True),
            respond=policy_response,
            apply=lambda expected: policies.update_policy(
                session=session,
                actor=api_actor(),
                slug=path.slug,
                data=body,
                expected_version=expected,
            ),
        )
