"""Rate limits on /api/v1: each caller gets API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS.

A caller is its bearer token when it sends one that was made here (so people behind one office
address do not share a limit), otherwise its address — a made-up token counts against the
address it comes from, so it can neither dodge the limit nor grow the counters table. The limit
is checked before authentication, so failed attempts are counted too. Every limited response
says where the caller stands in `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
(seconds until the window ends, as in the IETF httpapi RateLimit header draft); a refusal is 429
with `Retry-After`. Only the API blueprint has these hooks: web pages and the OpenAPI document
and Swagger UI (another blueprint) are never limited.
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from flask_openapi3.blueprint import APIBlueprint
from sqlmodel import Session

from tracker.api.auth import bearer_token
from tracker.api.problems import problem
from tracker.db import get_session
from tracker.models.base import utcnow
from tracker.models.site import RATE_BUCKET_MAX
from tracker.services.api_tokens import is_known, token_digest
from tracker.services.rate_limits import RateLimitState, count_request

# 128 bits of the token's SHA-256 tell tokens apart and keep the token itself out of the table.
TOKEN_BUCKET_HEX = 32


def caller_bucket(session: Session) -> str:
    """Who is counted: "token:<part of its hash>" for a known token, else "address:<IP>"."""
    token = bearer_token()
    if token is not None and is_known(session, token):
        return "token:" + token_digest(token)[:TOKEN_BUCKET_HEX]
    return ("address:" + (request.remote_addr or "unknown"))[:RATE_BUCKET_MAX]


def limit_request() -> Response | None:
    """Count this request (committed at once, for every worker to see); 429 if over the limit."""
    limit: int = current_app.config["API_RATE_LIMIT"]
    if limit == 0:
        return None
    window: int = current_app.config["API_RATE_WINDOW_SECONDS"]
    session = get_session()
    state = count_request(
        session=session,
        bucket=caller_bucket(session),
        limit=limit,
        window_seconds=window,
        clock=utcnow,
    )
    session.commit()
    g.api_rate_limit = state
    if state.allowed:
        return None
    wait = state.reset_after_seconds
    return problem(
        429,
        "Too many requests",
        f"Each caller may make {limit} API requests every {window} seconds. "
        f"Try again in {wait} second{'' if wait == 1 else 's'}.",
        headers={"Retry-After": str(wait)},
    )


def add_rate_limit_headers(response: Response) -> Response:
    """Tell the caller its limit, what is left of it and when the window resets."""
    state: RateLimitState | None = g.get("api_rate_limit")
    if state is not None:
        response.headers["RateLimit-Limit"] = str(state.limit)
        response.headers["RateLimit-Remaining"] = str(state.remaining)
        response.headers["RateLimit-Reset"] = str(state.reset_after_seconds)
    return response


def register(api: APIBlueprint) -> None:
    """Add the hooks; call before any other before_request so every attempt is counted."""
    api.before_request(limit_request)
    api.after_request(add_rate_limit_headers)
