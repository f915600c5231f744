"""/healthz answers a load balancer without a session or a database query."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tracker.db import get_engine


def test_liveness_needs_no_sign_in_and_no_query(app: Flask, anonymous_client: FlaskClient) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = get_engine(app.config["DATABASE_URL"])
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = anonymous_client.get("/healthz")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert statements == []
