"""Bearer tokens for the API: who is calling, with their owner's current role.

The web pages' cookie sign-in does not apply here: scripts and other systems present a personal
API token (`Authorization: Bearer tlt_…`) made on the web page /account/api-tokens. The token
carries its owner's role as it is now, so demoting a person demotes their tokens at once.

While an admin has turned open reads on (/admin/settings), a GET or HEAD with no Authorization
header at all is let in as an anonymous viewer, but only to published work (api.open_reads);
anything else gets the very 401 a request without a token always gets.
"""

from __future__ import annotations

from flask import Response, g, request

from tracker.api import open_reads
from tracker.api.problems import problem
from tracker.db import get_session
from tracker.models.enums import Role
from tracker.services.actors import Actor
from tracker.services.site_settings import open_api_reads

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracker"'}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authentication_required() -> Response:
    """The 401 for a request without a usable token, and for any open read out of scope."""
    return problem(
        401,
        "Authentication required",
        "Send a personal API token as `Authorization: Bearer <token>`; make one at "
        "/account/api-tokens.",
        headers=CHALLENGE,
    )


def authenticate_request() -> Response | None:
    """Put the caller's Actor on `g.api_actor`, or answer 401 naming what is wrong."""
    from tracker.services.api_tokens import authenticate

    g.api_anonymous = False
    if "Authorization" not in request.headers and request.method in open_reads.METHODS:
        return _open_read()
    token = bearer_token()
    if token is None:
        return authentication_required()
    session = get_session()
    user = authenticate(session, token)
    session.commit()  # keeps the token's last-used time
    if user is None:
        return problem(
            401, "Invalid token", "The token is unknown, revoked or expired.", headers=CHALLENGE
        )
    g.api_actor = Actor.for_user(user)
    if request.method in WRITES and user.role == Role.VIEWER:
        # Every write needs at least the editor role (services.actors.WRITE_ROLE); saying so
        # before the body is read keeps a viewer's token from learning anything by writing.
        return problem(403, "Forbidden", "A viewer's token can read but not change anything.")
    return None


def _open_read() -> Response | None:
    """Let a caller without a token read published work, if open reads are on; else 401."""
    session = get_session()
    if not open_api_reads(session) or not open_reads.in_scope(
        session, request.endpoint, request.view_args or {}
    ):
        return authentication_required()
    g.api_actor = Actor.anonymous()
    g.api_anonymous = True
    return None


def anonymous_caller() -> bool:
    """Whether this request came without a token (an open read): lists then show only
    published work and leave out who did what."""
    return bool(g.get("api_anonymous", False))


def api_actor() -> Actor:
    """The authenticated caller of this request."""
    actor: Actor = g.api_actor
    return actor
