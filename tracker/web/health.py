"""`/healthz`: the liveness check a load balancer or container runtime polls.

It answers without a database query or a signed-in user, so it says only that this process is
serving requests; being that cheap, it is also the "framework floor" the benchmarks divide
every page's latency by (bench/load.py).
"""

from __future__ import annotations

from flask import Blueprint, Response

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def liveness() -> Response:
    """Plain "ok", never cached by a proxy."""
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})
