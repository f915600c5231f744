"""Bearer tokens for the API: who is calling, with their owner's current role.

The web pages' cookie sign-in does not apply here: scripts and other systems present a personal
API token (`Authorization: Bearer tlt_…`) made on the web page /account/api-tokens. The token
carries its owner's role as it is now, so demoting a person demotes their tokens at once.
"""

from __future__ import annotations

from flask import Response, g, request

from tracker.api.problems import problem
from tracker.db import get_session
from tracker.models.enums import Role
from tracker.services.actors import Actor

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tracker"'}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def authenticate_request() -> Response | None:
    """Put the caller's Actor on `g.api_actor`, or answer 401 naming what is wrong."""
    from tracker.services.api_tokens import authenticate

    token = bearer_token()
    if token is None:
        return problem(
            401,
            "Authentication required",
            "Send a personal API token as `Authorization: Bearer <token>`; make one at "
            "/account/api-tokens.",
            headers=CHALLENGE,
        )
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


def api_actor() -> Actor:
    """The authenticated caller of this request."""
    actor: Actor = g.api_actor
    return actor
