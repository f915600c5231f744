"""Errors as RFC 9457 problem details: one JSON shape for every API failure.

Clients (data pipelines, Power BI, other government systems) need to tell "your field X is
wrong" from "someone else changed this record" from "you may not", by status and by a body
that names each bad field — never an HTML error page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tracker.services.errors import Conflict, NotAllowed, NotFound, ServiceError, ValidationFailed

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """One bad input: where it is (a dotted path such as `policy.slug`) and why."""

    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with `errors` naming each bad field when there are any."""

    # flask-openapi3 documents a model response as application/json; problems are sent as
    # application/problem+json, so the document names that media type too.
    model_config = ConfigDict(
        openapi_extra={  # type: ignore[typeddict-unknown-key]
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        }
    )

    type: str = Field(default="about:blank", description="A URI for the kind of problem")
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = Field(default_factory=list)


# What flask-openapi3 takes as an operation's `responses=`.
Responses = dict[str | int, type[BaseModel] | dict[Any, Any] | None]


def problem_responses(*statuses: int) -> Responses:
    """`responses=` entries documenting each of `statuses` as a problem."""
    return dict.fromkeys(statuses, Problem)


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    body = Problem(title=title, status=status, detail=detail, errors=errors or [])
    response = Response(
        json.dumps(body.model_dump(mode="json")), status=status, mimetype=PROBLEM_JSON
    )
    response.headers.update(headers or {})
    return response


def _location(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


def validation_problem(error: ValidationError) -> Response:
    """flask-openapi3's hook for requests that fail their pydantic model: 422, every field."""
    errors = [
        FieldProblem(field=_location(item["loc"]), message=item["msg"]) for item in error.errors()
    ]
    return problem(422, "The request is not valid", "Fix each field listed in errors.", errors)


def service_problem(error: ServiceError) -> Response:
    """The four service failures, mapped once for the whole API."""
    if isinstance(error, ValidationFailed):
        errors = [FieldProblem(field=e.field, message=e.message) for e in error.errors]
        return problem(422, "The request is not valid", "Fix each field listed in errors.", errors)
    if isinstance(error, NotFound):
        return problem(404, "Not found", str(error))
    if isinstance(error, Conflict):
        return problem(409, "Conflict", str(error))
    if isinstance(error, NotAllowed):
        return problem(403, "Forbidden", str(error))
    return problem(400, "Bad request", str(error))
