"""schemathesis fuzzes every /api/v1 operation in-process against the OpenAPI document.

The suite fails on any 5xx and on any response that does not match the document: an undeclared
status, content type or header, or a body outside its schema. (Request bodies are validated in
pydantic's lax mode, so 0 for false is accepted; schemathesis's negative-data checks, which
would flag that, are left out on purpose.) Writes run as an admin token on the test's own
database, so every operation is reachable.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_helpers import token_for
from tracker.models.enums import Role

pytestmark = pytest.mark.fuzz


@pytest.fixture
def api_schema(example_app: Flask) -> schemathesis.schemas.BaseSchema:
    example_app.config["API_FUZZ_TOKEN"] = token_for(example_app, Role.ADMIN)
    # Every example must reach its operation; a 429 part-way would quietly fuzz less.
    example_app.config["API_RATE_LIMIT"] = 0
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", example_app)


schema = schemathesis.pytest.from_fixture("api_schema")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_matches_its_document(case: schemathesis.Case, example_app: Flask) -> None:
    token = example_app.config["API_FUZZ_TOKEN"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
