"""`make bench`: every figure of the performance brief, each as a ratio to a baseline measured
in the same run, printed as one table and written to bench/results/latest.json.

Steps (each can be left out with --skip):
  load        generate the portfolio at each scale and import it with the app's own importer,
              into SQLite and into PostgreSQL
  latency     pages and API lists under gunicorn, as multiples of the same app's /healthz
  unit-data   the 1,000,000-row CSV (and the GGL reference file) uploaded and analysed,
              against pandas.read_csv of the same file
  comparisons a 20 × 5 × 10 pilot's comparisons with Holm, and Welch against gbstats
  two-writers two app processes writing through one PostgreSQL, every write checked after

The machine is shared and noisy, so no figure is a bare time: every row names its baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import comparisons  # noqa: E402
import generate  # noqa: E402
import load as latency  # noqa: E402
import two_writers  # noqa: E402
import unit_data  # noqa: E402

RESULTS = BENCH / "results" / "latest.json"
CACHE = BENCH / ".cache"
STEPS = ("load", "latency", "unit-data", "comparisons", "two-writers")
POSTGRES_SERVER = os.environ.get(
    "TRACKER_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
XL_LIMIT = 1.5


def postgres_database(name: str) -> str | None:
    """A fresh, empty PostgreSQL database for the bench, or None when no server answers."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except sa.exc.OperationalError as error:
        print(f"  PostgreSQL not reachable ({error.orig}); its figures are left out", flush=True)
        return None
    return f"{POSTGRES_SERVER}/{name}"


def databases(scale: str, wanted: list[str]) -> dict[str, str]:
    """Empty databases for one scale: a new SQLite file and, if it answers, PostgreSQL."""
    found: dict[str, str] = {}
    if "sqlite" in wanted:
        path = CACHE / f"bench-{scale}.sqlite3"
        path.unlink(missing_ok=True)
        found["sqlite"] = f"sqlite:///{path}"
    if "postgresql" in wanted:
        url = postgres_database(f"tracker_bench_{scale.lower()}")
        if url is not None:
            found["postgresql"] = url
    return found


def step(title: str, work: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    print(f"\n== {title}", flush=True)
    started = time.perf_counter()
    rows = work()
    print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return rows


def xl_against_l(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each route's p95 at XL over its p95 at L, both as multiples of their own run's floor."""
    by_name = {row["name"]: row for row in rows if row.get("group") == "latency"}
    out = []
    for name, large in by_name.items():
        if not name.startswith("L "):
            continue
        xl = by_name.get("XL " + name[2:])
        if xl is None:
            continue
        growth = xl["ratio"] / large["ratio"]
        out.append(
            {
                "name": f"XL/L growth: {name[2:]}",
                "group": "growth",
                "ratio": growth,
                "baseline": "the same route at L (p95 ÷ floor p95 in each run)",
                "target": f"≤ {XL_LIMIT}×",
                "met": growth <= XL_LIMIT,
            }
        )
    return out


def measured(row: dict[str, Any]) -> str:
    if "p95_s" in row:
        return f"p50 {row['p50_s'] * 1000:.1f} ms, p95 {row['p95_s'] * 1000:.1f} ms"
    if row.get("median_s") is not None:
        return f"median {row['median_s'] * 1000:.1f} ms"
    if "problems" in row:
        return f"{row['writes']} writes, {len(row['problems'])} problems"
    return ""


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ("figure", "measured", "ratio", "target", "met")
    lines = [header]
    for row in rows:
        ratio = row.get("ratio")
        lines.append(
            (
                row["name"],
                measured(row),
                "" if ratio is None else f"{ratio:.2f}×",
                str(row.get("target", "")),
                {True: "yes", False: "NO", None: "—"}[row.get("met")],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
        elif rows[number - 1].get("notes"):
            print(f"    {rows[number - 1]['notes']}")


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607  (git from PATH, read-only)
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCH,
    ).stdout.strip()
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="L,XL", help="comma-separated: S, L, XL")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--xl-databases",
        default="sqlite",
        help="where XL is loaded (its PostgreSQL load alone takes ~8 minutes on 2 cores)",
    )
    parser.add_argument("--skip", default="", help=f"comma-separated steps of {', '.join(STEPS)}")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per route")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args()
    scales = [s for s in options.scales.split(",") if s]
    wanted = [d for d in options.databases.split(",") if d]
    skip = {s for s in options.skip.split(",") if s}
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for scale in scales:
        if {"load", "latency"} <= skip:
            break
        here = [d for d in wanted if scale != "XL" or d in options.xl_databases.split(",")]
        for name, url in databases(scale, here).items():
            stats = generate.load(scale, url, CACHE)
            rows.append(generate.figure(stats))
            print(f"   loaded {scale} into {name}: {rows[-1]['notes']}", flush=True)
            if "latency" not in skip:
                rows += step(
                    f"latency at {scale} on {name}",
                    lambda url=url, scale=scale, name=name: latency.measure(
                        url, CACHE / f"latency-{scale}-{name}", f"{scale} {name}", options.requests
                    ),
                )
    rows += xl_against_l(rows)
    if "unit-data" not in skip:
        rows += step("unit-level data", lambda: unit_data.run("L", CACHE / "unit-data"))
    if "comparisons" not in skip:
        rows += step("comparisons", lambda: comparisons.run("L", CACHE / "comparisons"))
    if "two-writers" not in skip and "postgresql" in wanted:
        url = postgres_database("tracker_bench_two_writers")
        if url is not None:
            from tracker import migrate

            migrate.upgrade(url)
            rows += step("two writers", lambda: two_writers.measure(url, CACHE / "two-writers"))
    print()
    print_table(rows)
    document = {
        "machine": machine(),
        "command": " ".join(["python bench/run.py", *sys.argv[1:]]),
        "seconds": round(time.perf_counter() - started),
        "figures": rows,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nWrote {options.output} ({document['seconds']} s)")


if __name__ == "__main__":
    main()
