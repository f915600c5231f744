"""/api/v1/pilots: find, read, set up and change pilots through the same services as the web
pages (the pilot list's search, the pilot form's validation, roles, audit and locking)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from tracker.api.auth import anonymous_caller, api_actor
from tracker.api.concurrency import guarded_update, shown_unchanged
from tracker.api.pagination import PageInfo, PageQuery, paged_response
from tracker.api.paths import PilotPath, PolicyPath
from tracker.api.problems import Problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import Pilot, PilotCreate, PilotUpdate, Policy
from tracker.models.enums import EvaluationType, PilotDesign, PilotStatus
from tracker.services import pilots
from tracker.services.search import PilotFilters, clean_text, find_pilots

TAG = Tag(name="Pilots", description="Tests of a policy's hypotheses, run as numbered iterations")

# A policy slug, or nothing (no filter): the pilot list's "All policies".
OPTIONAL_SLUG = r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$"


class PilotFields(BaseModel):
    """What every view of a pilot shows."""

    model_config = ConfigDict(from_attributes=True)

    slug: str
    policy: str = Field(description="The slug of the policy the pilot tests")
    title: str
    design: PilotDesign
    unit_of_randomisation: str
    population: str
    place: str
    planned_sample_size: int | None
    evaluation_type: EvaluationType
    evidence_strength: int | None
    status: PilotStatus
    planned_start: date | None
    planned_end: date | None
    citation: str
    source_url: str
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PilotOut(PilotFields):
    """A pilot as the API returns it, with the keys of the hypotheses it tests."""

    hypothesis_keys: list[str] = Field(description="Keys of the policy's hypotheses it tests")


class PilotListItem(PilotFields):
    latest_iteration: int | None = Field(description="Number of its newest iteration, if any")


class PilotList(BaseModel):
    items: list[PilotListItem]
    page: PageInfo


class PilotQuery(PageQuery):
    """The pilot list's filters, as on the web page."""

    status: list[PilotStatus] = Field(default_factory=list, description="Any of these statuses")
    evaluation_type: list[EvaluationType] = Field(
        default_factory=list, description="Any of these evaluation types"
    )
    policy: str = Field(
        default="", pattern=OPTIONAL_SLUG, max_length=100, description="Pilots of this policy"
    )
    q: str = Field(
        default="",
        max_length=200,
        description="Words in title, population, place, unit of randomisation or citation",
    )


def _fields(pilot: Pilot, policy_slug: str) -> dict[str, Any]:
    """The pilot's columns with its policy named by slug rather than by database id."""
    return {
        **{name: getattr(pilot, name) for name in PilotFields.model_fields if name != "policy"},
        "policy": policy_slug,
    }


def pilot_out(pilot: Pilot) -> PilotOut:
    """The full view of one pilot: its policy's slug and the hypotheses it tests."""
    session = get_session()
    policy = session.get(Policy, pilot.policy_id)
    return PilotOut.model_validate(
        {
            **_fields(pilot, policy.slug if policy else ""),
            "hypothesis_keys": pilots.hypothesis_keys_of(session=session, pilot=pilot),
        }
    )


def pilot_response(pilot: Pilot, status: int = 200, location: str | None = None) -> Response:
    return record_response(pilot_out(pilot), pilot, status=status, location=location)


def _unchanged(pilot: Pilot, changes: Mapping[str, Any]) -> bool:
    """Whether applying `changes` would leave the pilot as it is (hypotheses are a set)."""
    return shown_unchanged(pilot_out(pilot).model_dump(), changes, "hypothesis_keys")


def register(api: APIBlueprint) -> None:
    """Add the pilot operations to the API blueprint."""

    @api.get("/pilots", tags=[TAG], responses={200: PilotList, 422: Problem})
    def list_pilots(query: PilotQuery) -> Response:
        """Pilots matching the filters, by policy title then pilot title.

        Each comes with the number of its newest iteration. Without a token, only the pilots
        of published policies."""
        filters = PilotFilters(
            statuses=tuple(query.status),
            evaluation_types=tuple(query.evaluation_type),
            policy=query.policy,
            text=clean_text(query.q),
        )
        found = find_pilots(
            session=get_session(),
            filters=filters,
            published_only=anonymous_caller(),
            limit=query.limit,
            offset=query.offset,
        )
        return paged_response(
            PilotList,
            found,
            query,
            lambda match: PilotListItem.model_validate(
                {
                    **_fields(match.pilot, match.policy.slug),
                    "latest_iteration": match.latest_iteration.number
                    if match.latest_iteration
                    else None,
                }
            ),
        )

    @api.get("/pilots/<slug>", tags=[TAG], responses={200: PilotOut, 404: Problem})
    def get_pilot(path: PilotPath) -> Response:
        """One pilot; its ETag is the version to send back with If-Match when changing it."""
        return pilot_response(pilots.get_pilot(session=get_session(), slug=path.slug))

    @api.post(
        "/policies/<slug>/pilots",
        tags=[TAG],
        responses={201: PilotOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    )
    def create_pilot(path: PolicyPath, body: PilotCreate) -> Response:
        """Set up a pilot of this policy (editor role or above).

        `hypothesis_keys` name the policy's hypotheses the pilot tests."""
        session = get_session()
        pilot = pilots.create_pilot(
            session=session, actor=api_actor(), policy_slug=path.slug, data=body
        )
        session.commit()
        return pilot_response(pilot, status=201, location=f"/api/v1/pilots/{pilot.slug}")

    @api.put(
        "/pilots/<slug>",
        tags=[TAG],
        responses={200: PilotOut, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def update_pilot(path: PilotPath, body: PilotUpdate) -> Response:
        """Change a pilot's design, status, dates or the hypotheses it tests.

        Fields left out stay as they are. Send If-Match with the ETag you read; sending the
        same change again changes nothing."""
        session = get_session()
        return guarded_update(
            "pilot",
            load=lambda: pilots.get_pilot(session=session, slug=path.slug),
            changes=body.model_dump(exclude_unset=True),
            respond=pilot_response,
            apply=lambda expected: pilots.update_pilot(
                session=session,
                actor=api_actor(),
                slug=path.slug,
                data=body,
                expected_version=expected,
            ),
            unchanged=_unchanged,
        )
