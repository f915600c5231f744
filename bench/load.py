"""Page and API latency under gunicorn, each as a ratio to the same app's floor (`/healthz`).

The app runs as it does in production — gunicorn, 2 sync workers — on a database the caller
has already filled. A second process (this one) loads it over loopback at a fixed concurrency.
Routes are measured in short blocks, interleaved and reshuffled every round, so that a noisy
neighbour on a shared machine slows every route alike; a ratio to the floor measured in the same
rounds is what this reports, never a bare time.

Standalone: `python bench/load.py --database-url sqlite:///… [--requests 200]` against a
database that has a portfolio in it (e.g. made by bench/generate.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import select

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tracker.db import session_scope  # noqa: E402
from tracker.models import AnalysisRun, Iteration, Pilot  # noqa: E402
from tracker.models.enums import Role  # noqa: E402
from tracker.services import api_tokens, users  # noqa: E402
from tracker.services.actors import Actor  # noqa: E402
from tracker.services.errors import NotFound  # noqa: E402

WORKERS = 2
CONCURRENCY = 4
BLOCK = 10  # requests per route per round, CONCURRENCY at a time
FLOOR = "floor (/healthz)"
BENCH_EMAIL = "bench@example.gov.uk"
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105  (a throwaway bench account)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    api: bool = False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def busiest_pilot(database_url: str) -> tuple[str, int]:
    """The pilot with the most iterations, and its latest iteration number: the heaviest pages."""
    with session_scope(database_url) as session:
        row = session.exec(
            select(Pilot.slug, func.count(Iteration.id), func.max(Iteration.number))
            .join(Iteration, Iteration.pilot_id == Pilot.id)
            .group_by(Pilot.slug)
            .order_by(func.count(Iteration.id).desc(), Pilot.slug)
            .limit(1)
        ).one()
        return row[0], int(row[2])


def bench_credentials(database_url: str) -> str:
    """An admin to sign in as, made once per database, and a fresh API token for it."""
    with session_scope(database_url) as session:
        try:
            user = users.get_user_by_email(session=session, email=BENCH_EMAIL)
        except NotFound:
            user = users.create_user(
                session=session,
                actor=Actor.system("bench"),
                data={"email": BENCH_EMAIL, "display_name": "Benchmark", "role": Role.ADMIN},
                password=BENCH_PASSWORD,
            )
        _, token = api_tokens.create_token(session, Actor.for_user(user), "bench")
        session.commit()
        return token


def start_app(
    database_url: str, workdir: Path, port: int, workers: int = WORKERS
) -> subprocess.Popen[bytes]:
    """gunicorn as in production; rate limiting off, since the bench is one very busy caller."""
    environment = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_INSTANCE_PATH": str(workdir / "instance"),
        "TRACKER_SECRET_KEY": "bench-only-secret",
        "TRACKER_API_RATE_LIMIT": "0",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    arguments = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--no-control-socket"]
    log = (workdir / f"gunicorn-{port}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603  (our own venv's gunicorn)
        [str(gunicorn), *arguments, "tracker:create_app()"],
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    stop_app(process)
    raise RuntimeError(f"gunicorn did not answer on port {port}; see {log.name}")


def stop_app(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def sign_in(port: int) -> str:
    """The session cookie of the bench admin, signed in through the real form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/sign-in")
    page = connection.getresponse()
    body = page.read().decode()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    match = CSRF_FIELD.search(body)
    if match is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    form = urlencode(
        {"csrf_token": match.group(1), "email": BENCH_EMAIL, "password": BENCH_PASSWORD}
    )
    connection.request(
        "POST",
        "/sign-in",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    answer = connection.getresponse()
    answer.read()
    connection.close()
    signed_in = answer.getheader("Set-Cookie", "").split(";")[0]
    if answer.status != 302 or not signed_in:
        raise RuntimeError(f"signing in failed with HTTP {answer.status}")
    return signed_in


def store_an_analysis(port: int, token: str, pilot: str) -> None:
    """The results page reads a stored run: make one, through the API, if the pilot has none."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(
        "POST", f"/api/v1/pilots/{pilot}/analyses", headers={"Authorization": f"Bearer {token}"}
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status not in (200, 201):
        raise RuntimeError(f"running the analysis of {pilot} failed: {response.status} {body!r}")


def routes_for(pilot: str, iteration: int) -> list[Route]:
    return [
        Route(FLOOR, "/healthz"),
        Route("dashboard", "/dashboard"),
        Route("policy list", "/"),
        Route("pilot page", f"/pilots/{pilot}"),
        Route(
            "iteration results page",
            f"/pilots/{pilot}/iterations/{iteration}/results-analysis",
        ),
        Route("API policy list", "/api/v1/policies?limit=50", api=True),
        Route("API pilot list", "/api/v1/pilots?limit=50", api=True),
    ]


def timed(port: int, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    status, body = get(port, path, headers)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return elapsed


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1): a value that was actually observed."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def timed_block(
    pool: ThreadPoolExecutor, port: int, route: Route, headers: dict[str, str], count: int
) -> list[float]:
    """`count` timings of one route, CONCURRENCY requests at a time."""
    return list(pool.map(lambda _: timed(port, route.path, headers), range(count)))


def load(
    port: int, routes: list[Route], headers: dict[str, dict[str, str]], requests: int
) -> dict[str, list[float]]:
    """`requests` timings per route, taken in reshuffled rounds of BLOCK at CONCURRENCY."""
    samples: dict[str, list[float]] = {route.name: [] for route in routes}
    shuffler = random.Random(8)  # noqa: S311  (an order to measure in, not a secret)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for route in routes:  # warm-up: first-hit template compilation is not the steady state
            timed_block(pool, port, route, headers[route.name], CONCURRENCY)
        for _ in range(max(1, requests // BLOCK)):
            order = routes[:]
            shuffler.shuffle(order)
            for route in order:
                samples[route.name] += timed_block(pool, port, route, headers[route.name], BLOCK)
    return samples


def figures(label: str, samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    floor = samples[FLOOR]
    floor_p50, floor_p95 = statistics.median(floor), percentile(floor, 0.95)
    rows = []
    for name, timings in samples.items():
        if name == FLOOR:
            continue
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        rows.append(
            {
                "name": f"{label}: {name}",
                "group": "latency",
                "requests": len(timings),
                "p50_s": p50,
                "p95_s": p95,
                "baseline": FLOOR,
                "baseline_p50_s": floor_p50,
                "baseline_p95_s": floor_p95,
                "ratio_p50": p50 / floor_p50,
                "ratio": p95 / floor_p95,
                "target": "p95 ≤ 5× floor p95",
                "met": p95 / floor_p95 <= 5,
            }
        )
    return rows


def measure(database_url: str, workdir: Path, label: str, requests: int) -> list[dict[str, Any]]:
    """Serve the database with gunicorn and time every route; one figure row per route."""
    workdir.mkdir(parents=True, exist_ok=True)
    pilot, iteration = busiest_pilot(database_url)
    token = bench_credentials(database_url)
    port = free_port()
    process = start_app(database_url, workdir, port)
    try:
        with session_scope(database_url) as session:
            stored = session.exec(
                select(func.count(AnalysisRun.id))
                .join(Pilot, Pilot.id == AnalysisRun.pilot_id)
                .where(Pilot.slug == pilot)
            ).one()
        if not stored:
            store_an_analysis(port, token, pilot)
        cookie = sign_in(port)
        routes = routes_for(pilot, iteration)
        headers = {
            route.name: {"Authorization": f"Bearer {token}"} if route.api else {"Cookie": cookie}
            for route in routes
        }
        headers[FLOOR] = {}
        return figures(label, load(port, routes, headers, requests))
    finally:
        stop_app(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tracker-bench-load"
    )
    parser.add_argument("--requests", type=int, default=200, help="per route")
    parser.add_argument("--label", default="latency")
    options = parser.parse_args()
    rows = measure(options.database_url, options.workdir, options.label, options.requests)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
