"""One way to send a record: its public model as JSON, its version as the ETag, and on create
201 with a Location — so every resource answers the same shape a client can rely on."""

from __future__ import annotations

from flask import Response, jsonify
from pydantic import BaseModel

from tracker.api.concurrency import Versioned, etag


def record_response(
    body: BaseModel, record: Versioned, *, status: int = 200, location: str | None = None
) -> Response:
    """`body` as JSON with `record`'s ETag (and `Location` when it was just created)."""
    response = jsonify(body.model_dump(mode="json"))
    response.status_code = status
    response.headers["ETag"] = etag(record.version)
    if location is not None:
        response.headers["Location"] = location
    return response
