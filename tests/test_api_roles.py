"""Role × operation for /api/v1, read from the URL map so a new operation is covered at once:
a viewer's token changes nothing anywhere, and a revoked token is refused everywhere."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from tests.api_helpers import ApiClient, api_client, records_of
from tracker.db import get_engine
from tracker.models import ApiToken
from tracker.models.enums import Role
from tracker.services.actors import Actor
from tracker.services.api_tokens import revoke_token

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def operations(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every API operation, path values filled in as a client would."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_v1."):
            continue
        values: dict[str, Any] = {
            name: 1 if type(converter).__name__ == "IntegerConverter" else "x"
            for name, converter in rule._converters.items()
        }
        path = adapter.build(rule.endpoint, values)
        found += [
            (method, path) for method in sorted(rule.methods or ()) if method in (*WRITES, "GET")
        ]
    return found


def send(api: ApiClient, method: str, path: str) -> Any:
    return api.client.open(path, method=method, json={}, headers=api.headers())


def test_a_viewers_token_cannot_write_anything(example_app: Flask) -> None:
    viewer = api_client(example_app, Role.VIEWER)
    writes = [(m, p) for m, p in operations(example_app) if m in WRITES]
    assert writes, "the API has write operations"
    before = records_of(example_app)
    for method, path in writes:
        response = send(viewer, method, path)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"
    assert records_of(example_app) == before


def test_a_revoked_token_gets_401_on_every_operation(example_app: Flask) -> None:
    editor = api_client(example_app, Role.EDITOR)
    assert editor.get("/api/v1/policies").status_code == 200
    with Session(get_engine(example_app.config["DATABASE_URL"])) as session:
        token = session.exec(select(ApiToken)).one()
        owner = Actor(label="editor", role=Role.EDITOR, user_id=token.user_id)
        revoke_token(session, owner, token.id)
        session.commit()
    for method, path in operations(example_app):
        response = send(editor, method, path)
        assert response.status_code == 401, (method, path, response.status_code)
