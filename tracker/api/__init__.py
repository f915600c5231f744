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
)
from tracker.api.auth import authenticate_request
from tracker.api.inputs import refuse_nul_characters
from tracker.api.problems import Problem, problem, service_problem
from tracker.db import get_session
from tracker.services.errors import ServiceError
from tracker.web.errors import http_error_page

PREFIX = "/api/v1"
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


def _rolled_back(error: ServiceError) -> Response:
    """A service refused: nothing it started may be committed."""
    get_session().rollback()
    return service_problem(error)


def register_api(app: OpenAPI) -> None:
    """Mount /api/v1 with Bearer-token auth, problem+json errors and no cookie or CSRF use."""
    api = APIBlueprint(
        "api_v1",
        __name__,
        url_prefix=PREFIX,
        abp_security=SECURITY,
        abp_responses={401: Problem, 422: Problem},
    )
    api.before_request(authenticate_request)
    api.before_request(refuse_nul_characters)
    api.register_error_handler(ServiceError, _rolled_back)
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
