"""Two app processes on different ports, one PostgreSQL: no lost, duplicated or stale writes.

This is the scale-out claim of bench/README.md checked end to end. Two gunicorn processes
serve the same database; writers go through both at once, and afterwards every write is
checked against the database:
1. creates — each writer makes policies through alternating processes; each acknowledged
   create must exist exactly once with the fields sent, and nothing unacknowledged may exist;
2. contended updates — every writer changes the SAME policy with If-Match, retrying on 412;
   the policy's final version must be 1 + the acknowledged updates, its audit trail must hold
   one update per acknowledgement, and its title must be the last acknowledged one;
3. read-your-writes across processes — a change acknowledged by one process is what the other
   process returns on the very next read.

Standalone: `python bench/two_writers.py --database-url postgresql+psycopg://…` on a migrated,
preferably empty, database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from load import bench_credentials, free_port, start_app, stop_app  # noqa: E402

from tracker.db import session_scope  # noqa: E402
from tracker.models import AuditEvent, Policy  # noqa: E402
from tracker.models.enums import AuditAction  # noqa: E402

WRITERS = 4
CREATES_PER_WRITER = 25
UPDATES_PER_WRITER = 10
READ_CHECKS = 40
MAX_RETRIES = 200


@dataclass
class Client:
    """One JSON API caller, pinned to one app process."""

    port: int
    token: str

    def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, Any, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            payload = None if body is None else json.dumps(body)
            request_headers = {"Authorization": f"Bearer {self.token}", **headers}
            if payload is not None:
                request_headers["Content-Type"] = "application/json"
            connection.request(method, f"/api/v1{path}", body=payload, headers=request_headers)
            response = connection.getresponse()
            raw = response.read()
            document = json.loads(raw) if raw else None
            return response.status, document, {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()


@dataclass
class Tally:
    created: dict[str, str] = field(default_factory=dict)  # slug -> title acknowledged
    failed_creates: list[str] = field(default_factory=list)
    updates: list[tuple[int, str]] = field(default_factory=list)  # (version, title) acknowledged
    conflicts: int = 0
    stale_reads: int = 0


def new_policy(slug: str, title: str) -> dict[str, Any]:
    return {
        "policy": {"slug": slug, "title": title, "team": "Bench", "problem_statement": "Load."},
        "first_decision": {
            "to_stage": "idea",
            "rationale": "Bench write",
            "decided_by": "Bench",
            "decided_on": "2026-01-01",
        },
    }


def create_many(clients: list[Client], writer: int, run: str, tally: Tally) -> None:
    for number in range(CREATES_PER_WRITER):
        slug, title = f"{run}-w{writer}-{number}", f"Writer {writer} policy {number}"
        status, _, _ = clients[number % 2].call("POST", "/policies", new_policy(slug, title))
        if status == 201:
            tally.created[slug] = title
        else:
            tally.failed_creates.append(f"{slug}: HTTP {status}")


def update_contended(clients: list[Client], writer: int, slug: str, tally: Tally) -> None:
    for number in range(UPDATES_PER_WRITER):
        client = clients[(writer + number) % 2]
        title = f"Writer {writer} update {number}"
        for _ in range(MAX_RETRIES):
            _, _, headers = client.call("GET", f"/policies/{slug}")
            status, answer, _ = client.call(
                "PUT", f"/policies/{slug}", {"title": title}, **{"If-Match": headers["etag"]}
            )
            if status == 200:
                tally.updates.append((answer["version"], title))
                break
            if status != 412:
                raise RuntimeError(f"update answered HTTP {status}: {answer}")
            tally.conflicts += 1
        else:
            raise RuntimeError(f"writer {writer} never got an update in after {MAX_RETRIES} tries")


def read_your_writes(clients: list[Client], slug: str, tally: Tally) -> None:
    """Write through one process, read straight back through the other."""
    for number in range(READ_CHECKS):
        writer, reader = clients[number % 2], clients[(number + 1) % 2]
        _, _, headers = writer.call("GET", f"/policies/{slug}")
        title = f"Read check {number}"
        status, answer, _ = writer.call(
            "PUT", f"/policies/{slug}", {"title": title}, **{"If-Match": headers["etag"]}
        )
        if status != 200:
            raise RuntimeError(f"read check write answered HTTP {status}: {answer}")
        _, seen, _ = reader.call("GET", f"/policies/{slug}")
        if seen["title"] != title or seen["version"] != answer["version"]:
            tally.stale_reads += 1


def check(
    database_url: str, run: str, contended: str, tally: Tally, start_version: int
) -> list[str]:
    """Everything the writers were told against what the database holds; [] when all is well."""
    problems: list[str] = list(tally.failed_creates)
    with session_scope(database_url) as session:
        stored = {
            policy.slug: policy.title
            for policy in session.exec(
                select(Policy).where(col(Policy.slug).startswith(run + "-w"))
            )
        }
        if stored != tally.created:
            missing = set(tally.created) - set(stored)
            extra = set(stored) - set(tally.created)
            changed = {s for s in set(stored) & set(tally.created) if stored[s] != tally.created[s]}
            problems.append(
                f"creates: missing {sorted(missing)}, unacknowledged {sorted(extra)}, "
                f"changed {sorted(changed)}"
            )
        policy = session.exec(select(Policy).where(Policy.slug == contended)).one()
        expected_version = start_version + len(tally.updates)
        if policy.version != expected_version:
            problems.append(
                f"contended policy at version {policy.version}, expected {expected_version}"
            )
        versions = sorted(version for version, _ in tally.updates)
        if versions != list(range(start_version + 1, expected_version + 1)):
            problems.append(
                "acknowledged versions are not one each of v2…vN (an update was lost or doubled)"
            )
        last_title = max(tally.updates)[1]
        if policy.title != last_title:
            problems.append(f"contended title {policy.title!r}, last acknowledged {last_title!r}")
        audited = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == "policy",
                AuditEvent.entity_id == policy.id,
                AuditEvent.action == AuditAction.UPDATE,
            )
        ).all()
        if len(audited) != len(tally.updates):
            problems.append(f"{len(audited)} audited updates for {len(tally.updates)} acknowledged")
    if tally.stale_reads:
        problems.append(
            f"{tally.stale_reads} of {READ_CHECKS} reads through the other process were stale"
        )
    return problems


def measure(database_url: str, workdir: Path) -> list[dict[str, Any]]:
    """Run the three phases through two processes and report what the check found."""
    workdir.mkdir(parents=True, exist_ok=True)
    token = bench_credentials(database_url)
    ports = [free_port(), free_port()]
    processes = [start_app(database_url, workdir, port, workers=1) for port in ports]
    try:
        clients = [Client(port, token) for port in ports]
        run = f"two-writers-{int(time.time())}"
        tally = Tally()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(lambda w: create_many(clients, w, run, tally), range(WRITERS)))
        created_s = time.perf_counter() - started
        contended = f"{run}-w0-0"
        start_version = clients[0].call("GET", f"/policies/{contended}")[1]["version"]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(lambda w: update_contended(clients, w, contended, tally), range(WRITERS)))
        updated_s = time.perf_counter() - started
        read_your_writes(clients, f"{run}-w1-0", tally)
        tally.created[f"{run}-w1-0"] = f"Read check {READ_CHECKS - 1}"
        tally.created[contended] = max(tally.updates)[1]
        problems = check(database_url, run, contended, tally, start_version)
    finally:
        for process in processes:
            stop_app(process)
    writes = len(tally.created) + len(tally.updates) + READ_CHECKS
    return [
        {
            "name": "two processes, one PostgreSQL: writes checked afterwards",
            "group": "scale-out",
            "writes": writes,
            "acknowledged_creates": len(tally.created),
            "acknowledged_updates": len(tally.updates),
            "conflicts_retried": tally.conflicts,
            "create_phase_s": created_s,
            "update_phase_s": updated_s,
            "problems": problems,
            "target": "no lost, duplicated or stale write",
            "met": not problems,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tracker-bench-two-writers",
    )
    options = parser.parse_args()
    print(json.dumps(measure(options.database_url, options.workdir), indent=2))


if __name__ == "__main__":
    main()
