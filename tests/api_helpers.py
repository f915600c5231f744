"""Calling /api/v1 as a script would: a personal token per role, JSON in and out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.conftest import add_user
from tests.portfolio_helpers import table_dump
from tracker.db import get_engine
from tracker.models.enums import Role
from tracker.services.actors import Actor
from tracker.services.api_tokens import create_token


@dataclass
class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` with every request."""

    client: FlaskClient
    token: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any, **kwargs: Any) -> TestResponse:
        return self.client.post(
            path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, json: Any, **kwargs: Any) -> TestResponse:
        return self.client.put(
            path, json=json, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )


def token_for(app: Flask, role: Role) -> str:
    """A new user with `role` and a personal API token of theirs."""
    user = add_user(app, role=role, email=f"api-{role.value}@example.gov.uk")
    with Session(get_engine(app.config["DATABASE_URL"])) as session:
        _, plaintext = create_token(session, Actor.for_user(user), "tests")
        session.commit()
    return plaintext


def api_client(app: Flask, role: Role = Role.VIEWER) -> ApiClient:
    return ApiClient(app.test_client(), token_for(app, role))


def records_of(app: Flask) -> dict[str, Any]:
    """Every table but those any request may update: tokens' last-used times, rate counters."""
    dump = table_dump(app.config["DATABASE_URL"])
    dump.pop("api_token")
    dump.pop("api_rate_window")
    return dump
