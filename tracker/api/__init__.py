"""/api/v1: the JSON front door for data pipelines and other government systems.

Every operation calls the same services as the web pages and has no logic of its own; its
request and response models are pydantic/SQLModel classes, which flask-openapi3 both validates
with and turns into the OpenAPI document at /api/v1/openapi.json (so the document cannot drift
from the code). flask-openapi3 was chosen over spectree because its Swagger UI plugin serves
its assets from the installed package — the app works offline — and its models are plain
pydantic 2, which SQLModel already is.
"""

from __future__ import annotations

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.openapi import OpenAPI
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from tracker.api import (
    analyses,
    audit,
    datasets,
    iterations,
    outcomes,
    pilots,
    plans,
    policies,
    policy_records,
    portfolio,
    rate_limit,
)
from tracker.api.auth import authenticate_request
from tracker.api.concurrency import stale
from tracker.api.inputs import refuse_nul_characters
from tracker.api.problems import Problem, problem, service_problem
from tracker.db import get_session
from tracker.services.errors import ServiceError, StaleVersion
from tracker.web.errors import http_error_page

PREFIX = "/api/v1"
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _rolled_back(error: ServiceError) -> Response:
    """A service refused: nothing it started may be committed.

    A stale write is 412 Precondition Failed, whether the If-Match version was already behind
    (`current` known, so the answer carries the current ETag) or another process saved first.
    """
    get_session().rollback()
    if isinstance(error, StaleVersion):
        version = (error.current or {}).get("version")
        if isinstance(version, int):
            return stale(version)
        return problem(412, "The record has changed", str(error))
    return service_problem(error)


def _saved_first_elsewhere(_error: StaleDataError) -> Response:
    """A commit lost a race outside the services' own checks: the same 412, nothing saved."""
    return _rolled_back(StaleVersion("The record was changed by someone else; nothing was saved."))


def register_api(app: OpenAPI) -> None:
    """Mount /api/v1 with Bearer-token auth, problem+json errors and no cookie or CSRF use."""
    api = APIBlueprint(
        "api_v1",
        __name__,
        url_prefix=PREFIX,
        abp_security=SECURITY,
        abp_responses={401: Problem, 422: Problem, 429: Problem},
    )
    rate_limit.register(api)  # first: requests that fail authentication count too
    api.before_request(authenticate_request)
    api.before_request(refuse_nul_characters)
    api.register_error_handler(ServiceError, _rolled_back)
    api.register_error_handler(StaleDataError, _saved_first_elsewhere)
    for resource in (
        policies,
        policy_records,
        pilots,
        iterations,
        outcomes,
        plans,
        analyses,
        datasets,
        audit,
        portfolio,
    ):
        resource.register(api)
    app.register_api(api)
    # Tokens, not cookies, authenticate the API, so a forged cross-site form cannot use it.
    app.extensions["csrf"].exempt(api)

    app.register_error_handler(HTTPException, _problem_or_page)


def _problem_or_page(error: HTTPException) -> Response | tuple[str, int]:
    """HTTP errors (404, 405, 500, …) as problem+json under /api/, as GOV.UK pages elsewhere."""
    if request.path.startswith(PREFIX + "/") or request.path == PREFIX:
        status = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return problem(status, error.name, error.description or "", headers=headers)
    return http_error_page(error)
