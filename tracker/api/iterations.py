"""/api/v1/pilots/{slug}/iterations: a pilot's iterations (v1, v2, …) and their arms, through
the same services as the web pages (validation, roles, audit and optimistic locking live there).

Arms are addressed by name, as a data pipeline knows them. A name may hold spaces, punctuation
and even slashes ("Letter A/B"), so the arm routes use Flask's `path` converter and the
Location header percent-encodes the name.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field

from tracker.api.auth import api_actor
from tracker.api.concurrency import guarded_update
from tracker.api.pagination import PageInfo, PageQuery, page_response
from tracker.api.paths import IterationPath, PilotPath
from tracker.api.problems import Problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import Arm, ArmCreate, ArmUpdate, Iteration, IterationCreate, IterationUpdate
from tracker.models.base import LARGEST_WHOLE_NUMBER, TITLE_MAX
from tracker.models.enums import IterationStatus
from tracker.services import iterations
from tracker.services.actors import require_write
from tracker.services.errors import ValidationFailed

TAG = Tag(
    name="Iterations",
    description="A pilot's iterations (v1, v2, …): what changed and why, and their arms",
)


class ArmOut(BaseModel):
    """An arm as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    is_control: bool
    allocation: float = Field(description="The planned share of units, above 0 and at most 1")
    description: str
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ArmList(BaseModel):
    items: list[ArmOut]
    page: PageInfo


class IterationOut(BaseModel):
    """An iteration as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    what_changed: str
    why: str
    start_date: date | None
    end_date: date | None
    status: IterationStatus
    version: int = Field(description='The record\'s version; its ETag is "v<version>"')
    created_at: UtcDatetime
    updated_at: UtcDatetime


class IterationDetail(IterationOut):
    """An iteration with its arms."""

    arms: list[ArmOut]


class IterationList(BaseModel):
    items: list[IterationOut]
    page: PageInfo


class NewIterationQuery(BaseModel):
    copy_arms_from: int | None = Field(
        default=None,
        ge=1,
        le=LARGEST_WHOLE_NUMBER,
        description="Start with the arms of this earlier iteration (its number), as the web "
        "form's 'Copy the arms' does",
    )


class ArmPath(IterationPath):
    name: str = Field(
        min_length=1, max_length=TITLE_MAX, description="The arm's name (percent-encoded)"
    )


def iteration_url(slug: str, number: int) -> str:
    """The API path of an iteration."""
    return f"/api/v1/pilots/{slug}/iterations/{number}"


def arm_url(slug: str, number: int, name: str) -> str:
    """The API path of an arm, its name percent-encoded (spaces, slashes and all)."""
    return f"{iteration_url(slug, number)}/arms/{quote(name, safe='')}"


def iteration_response(
    iteration: Iteration, status: int = 200, location: str | None = None
) -> Response:
    arms = iterations.list_arms(session=get_session(), iteration=iteration)
    body = IterationDetail.model_validate(
        {
            **IterationOut.model_validate(iteration).model_dump(),
            "arms": [ArmOut.model_validate(arm) for arm in arms],
        }
    )
    return record_response(body, iteration, status=status, location=location)


def arm_response(arm: Arm, status: int = 200, location: str | None = None) -> Response:
    return record_response(ArmOut.model_validate(arm), arm, status=status, location=location)


def register(api: APIBlueprint) -> None:
    """Add the iteration and arm operations to the API blueprint."""
    _register_iterations(api)
    _register_arms(api)


def _register_iterations(api: APIBlueprint) -> None:
    @api.get(
        "/pilots/<slug>/iterations",
        tags=[TAG],
        responses={200: IterationList, 404: Problem, 422: Problem},
    )
    def list_iterations(path: PilotPath, query: PageQuery) -> Response:
        """A pilot's iterations, v1 first."""
        found = iterations.list_iterations(session=get_session(), pilot_slug=path.slug)
        return page_response(IterationList, found, query, IterationOut.model_validate)

    @api.get(
        "/pilots/<slug>/iterations/<number>",
        tags=[TAG],
        responses={200: IterationDetail, 404: Problem},
    )
    def get_iteration(path: IterationPath) -> Response:
        """One iteration with its arms.

        Its ETag is the version to send back with If-Match when changing it."""
        return iteration_response(
            iterations.get_iteration(
                session=get_session(), pilot_slug=path.slug, number=path.number
            )
        )

    @api.post(
        "/pilots/<slug>/iterations",
        tags=[TAG],
        responses={201: IterationDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    )
    def create_iteration(
        path: PilotPath, query: NewIterationQuery, body: IterationCreate
    ) -> Response:
        """Start the next iteration of a pilot (editor role or above).

        Say what changed from the last one and why; then add its arms, or copy an earlier
        iteration's arms with `copy_arms_from`."""
        session = get_session()
        actor = api_actor()
        require_write(actor, "iteration")  # a viewer hears "not allowed" before anything else
        source = _copy_source(path.slug, query.copy_arms_from)
        iteration = iterations.create_iteration(
            session=session, actor=actor, pilot_slug=path.slug, data=body
        )
        for arm in iterations.list_arms(session=session, iteration=source) if source else []:
            iterations.create_arm(
                session=session,
                actor=actor,
                pilot_slug=path.slug,
                number=iteration.number,
                data=arm.model_dump(include={"name", "is_control", "allocation", "description"}),
            )
        session.commit()
        return iteration_response(
            iteration, status=201, location=iteration_url(path.slug, iteration.number)
        )

    @api.put(
        "/pilots/<slug>/iterations/<number>",
        tags=[TAG],
        responses={200: IterationDetail, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def update_iteration(path: IterationPath, body: IterationUpdate) -> Response:
        """Change an iteration; fields left out stay as they are.

        Send If-Match with the ETag you read; sending the same change again changes nothing."""
        session = get_session()
        return guarded_update(
            "iteration",
            load=lambda: iterations.get_iteration(
                session=session, pilot_slug=path.slug, number=path.number
            ),
            changes=body.model_dump(exclude_unset=True),
            respond=iteration_response,
            apply=lambda expected: iterations.update_iteration(
                session=session,
                actor=api_actor(),
                pilot_slug=path.slug,
                number=path.number,
                data=body,
                expected_version=expected,
            ),
        )


def _copy_source(slug: str, number: int | None) -> Iteration | None:
    """The iteration whose arms a new one starts with; naming one that does not exist is a bad
    field of the request (the pilot itself missing stays a 404)."""
    if number is None:
        return None
    session = get_session()
    numbers = {i.number: i for i in iterations.list_iterations(session=session, pilot_slug=slug)}
    if number not in numbers:
        raise ValidationFailed.single("copy_arms_from", f"the pilot has no iteration {number}")
    return numbers[number]


def _register_arms(api: APIBlueprint) -> None:
    @api.get(
        "/pilots/<slug>/iterations/<number>/arms",
        tags=[TAG],
        responses={200: ArmList, 404: Problem, 422: Problem},
    )
    def list_arms(path: IterationPath, query: PageQuery) -> Response:
        """An iteration's arms, in the order they were added."""
        session = get_session()
        iteration = iterations.get_iteration(
            session=session, pilot_slug=path.slug, number=path.number
        )
        found = iterations.list_arms(session=session, iteration=iteration)
        return page_response(ArmList, found, query, ArmOut.model_validate)

    @api.get(
        "/pilots/<slug>/iterations/<number>/arms/<path:name>",
        tags=[TAG],
        responses={200: ArmOut, 404: Problem},
    )
    def get_arm(path: ArmPath) -> Response:
        """One arm, by name.

        Its ETag is the version to send back with If-Match when changing it."""
        session = get_session()
        iteration = iterations.get_iteration(
            session=session, pilot_slug=path.slug, number=path.number
        )
        return arm_response(
            iterations.get_arm(session=session, iteration=iteration, name=path.name)
        )

    @api.post(
        "/pilots/<slug>/iterations/<number>/arms",
        tags=[TAG],
        responses={201: ArmOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    )
    def create_arm(path: IterationPath, body: ArmCreate) -> Response:
        """Add an arm to an iteration with its planned share of units (editor role or above).

        An iteration has at most one control arm, and the shares may not add up to more than 1.
        """
        session = get_session()
        arm = iterations.create_arm(
            session=session,
            actor=api_actor(),
            pilot_slug=path.slug,
            number=path.number,
            data=body,
        )
        session.commit()
        return arm_response(arm, status=201, location=arm_url(path.slug, path.number, arm.name))

    @api.put(
        "/pilots/<slug>/iterations/<number>/arms/<path:name>",
        tags=[TAG],
        responses={200: ArmOut, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def update_arm(path: ArmPath, body: ArmUpdate) -> Response:
        """Change an arm; fields left out stay as they are.

        A new name moves the arm to a new URL. Send If-Match with the ETag you read; sending the
        same change again changes nothing."""
        session = get_session()

        def load() -> Arm:
            iteration = iterations.get_iteration(
                session=session, pilot_slug=path.slug, number=path.number
            )
            return iterations.get_arm(session=session, iteration=iteration, name=path.name)

        return guarded_update(
            "arm",
            load=load,
            changes=body.model_dump(exclude_unset=True),
            respond=arm_response,
            apply=lambda expected: iterations.update_arm(
                session=session,
                actor=api_actor(),
                pilot_slug=path.slug,
                number=path.number,
                name=path.name,
                data=body,
                expected_version=expected,
            ),
        )
