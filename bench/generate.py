"""A synthetic but realistic portfolio at a chosen scale, loaded through the app's own importer.

`generate(scale, folder, seed)` writes portfolio files (format tracker-portfolio/1, ten policies
a file) that the importer accepts as they stand: stage histories that walk the stages, metrics of
every kind with results consistent with that kind, hypotheses, user needs, engagements, plans
(earlier versions locked under the app's own SHA-256), iterations v1..vN with 2–6 arms and a
decision on most finished ones. The same scale and seed give byte-identical files.

Files are written in YAML's JSON form by default (JSON is YAML 1.2): the reader parses those with
the json module, where PyYAML, even on libyaml, reads about 0.6 MB/s and an XL portfolio is
230 MB. `style="block"` writes block YAML as `tracker export` does, for comparison.

`load(scale, database_url, workdir)` migrates a database and imports the portfolio with
`tracker.io.importer.import_path` in one transaction, returning row counts and timings.
`run(scale, workdir)` is the bench module contract (bench/run.py): the import's time and records
per second, as a ratio to parsing the same files alone (`yamlfile.load_data`, the floor of any
import of these files).

    python bench/generate.py --scale M            # generate, import into SQLite, print a table
    python bench/generate.py --scale L --database postgresql+psycopg://…
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tracker.io.reader import FORMAT  # noqa: E402
from tracker.models import AnalysisPlan, AnalysisPlanCreate  # noqa: E402
from tracker.models.enums import STAGE_ORDER  # noqa: E402
from tracker.services.plans import canonical_plan  # noqa: E402

# Bump when the output changes, so cached portfolios and databases are rebuilt.
GENERATOR_VERSION = 1
POLICIES_PER_FILE = 10


@dataclass(frozen=True)
class Scale:
    """How many of each record a portfolio holds (arms and results follow from 2–6 arms)."""

    policies: int
    pilots: int
    iterations: int


SCALES = {
    "S": Scale(policies=5, pilots=20, iterations=100),
    "M": Scale(policies=50, pilots=200, iterations=1_000),
    "L": Scale(policies=500, pilots=2_000, iterations=10_000),
    "XL": Scale(policies=5_000, pilots=20_000, iterations=100_000),
}

TEAMS = [
    "HMRC Debt Management",
    "DWP Employment Support",
    "DHSC Prevention",
    "DfE School Attendance",
    "MHCLG Council Tax",
    "DVLA Compliance",
    "Home Office Passports",
    "DESNZ Energy Efficiency",
    "MoJ Court Attendance",
    "DfT Active Travel",
]
TOPICS = [
    "reminder letters",
    "text message nudges",
    "simplified forms",
    "default enrolment",
    "peer comparison",
    "appointment booking",
    "online payment links",
    "personalised advice",
]
GROUPS = ["public", "frontline_staff", "experts", "users", "delivery_partners"]
METHODS = ["workshop", "interview", "survey", "consultation", "user_research"]
DESIGNS = ["individual_rct", "cluster_rct", "ab_test", "stepped_wedge", "difference_in_differences"]
KINDS = ["binary", "continuous", "count"]
TESTS = {"binary": "two_proportion_z", "continuous": "welch_t", "count": "poisson_rate_ratio"}
OUTCOMES = ["adapt", "scale", "stop", "continue"]


def split(total: int, parts: int, low: int, high: int, rng: random.Random) -> list[int]:
    """`parts` whole numbers in [low, high] adding up exactly to `total`, varied by `rng`."""
    counts = [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
    for _ in range(parts * 2):
        give, take = rng.randrange(parts), rng.randrange(parts)
        if counts[give] > low and counts[take] < high:
            counts[give] -= 1
            counts[take] += 1
    return counts


def day(rng: random.Random, start_year: int = 2016, span_days: int = 2_500) -> int:
    """A day number (proleptic ordinal) for a date in the portfolio's years."""
    return date(start_year, 1, 1).toordinal() + rng.randrange(span_days)


def iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


class Portfolio:
    """Builds policy documents deterministically from one random stream."""

    def __init__(self, scale: Scale, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (synthetic data, not secrets)
        self.scale = scale

    def policies(self) -> list[dict[str, Any]]:
        rng, scale = self.rng, self.scale
        pilots_of = split(scale.pilots, scale.policies, 1, 8, rng)
        iterations_of = split(scale.iterations, scale.pilots, 1, 9, rng)
        documents, next_pilot = [], 0
        for index, pilot_count in enumerate(pilots_of):
            counts = iterations_of[next_pilot : next_pilot + pilot_count]
            documents.append(self.policy(index, counts))
            next_pilot += pilot_count
        return documents

    def policy(self, index: int, iteration_counts: list[int]) -> dict[str, Any]:
        rng = self.rng
        slug = f"policy-{index:05d}"
        topic = TOPICS[index % len(TOPICS)]
        metrics = self.metrics(rng.randint(3, 5))
        keys = [metric["key"] for metric in metrics]
        hypotheses = [
            {
                "key": f"h{n}",
                "we_believe": f"changing {topic} (variant {n})",
                "for_users": "people who have not yet acted",
                "will": f"improve {metrics[n % len(metrics)]['name'].lower()}",
                "measured_by": keys[n % len(keys)],
                "status": rng.choice(["untested", "testing", "supported", "refuted"]),
            }
            for n in range(1, rng.randint(2, 4) + 1)
        ]
        pilots = [
            self.pilot(f"{slug}-pilot-{n}", count, metrics, [h["key"] for h in hypotheses])
            for n, count in enumerate(iteration_counts, start=1)
        ]
        return {
            "slug": slug,
            "title": f"{topic.capitalize()} for {TEAMS[index % len(TEAMS)]} ({index})",
            "team": TEAMS[index % len(TEAMS)],
            **self.stage_history(),
            "problem_statement": f"Too few people respond on time; {topic} may help.",
            "tags": sorted({topic.split()[0], rng.choice(["tax", "health", "work", "justice"])}),
            "theory_of_change": {
                "inputs": ["Existing contact details"],
                "activities": [f"Send {topic}"],
                "outcomes": ["More people act on time"],
                "assumptions": ["Contact details are current"],
            },
            "metrics": metrics,
            "user_needs": [
                {
                    "key": f"need-{n}",
                    "as_a": "member of the public",
                    "i_need": f"to know what to do next ({n})",
                    "so_that": "I avoid a penalty",
                    "metrics": keys[: n + 1],
                }
                for n in range(rng.randint(1, 3))
            ],
            "hypotheses": hypotheses,
            "engagements": self.engagements(pilots),
            "pilots": pilots,
        }

    def stage_history(self) -> dict[str, Any]:
        rng = self.rng
        final = rng.randrange(len(STAGE_ORDER))
        decided = day(rng, 2015, 400)
        history, previous = [], None
        for stage in STAGE_ORDER[: final + 1]:
            history.append(
                {
                    "from": previous,
                    "to": stage.value,
                    "decided_on": iso(decided),
                    "decided_by": "Programme board",
                    "rationale": f"Evidence supports moving to {stage.value}.",
                    "evidence": [f"Board paper, {iso(decided)}"],
                }
            )
            previous, decided = stage.value, decided + rng.randint(20, 200)
        return {"stage": previous, "stage_history": history}

    def metrics(self, count: int) -> list[dict[str, Any]]:
        return [
            {
                "key": f"m{n}-{KINDS[n % 3]}",
                "name": f"Outcome {n} ({KINDS[n % 3]})",
                "kind": KINDS[n % 3],
                "unit": {"binary": "proportion", "continuous": "pounds", "count": "per month"}[
                    KINDS[n % 3]
                ],
                "direction": "decrease" if n % 3 == 2 else "increase",
                "minimum_important_difference": [0.01, 5.0, 0.05][n % 3],
            }
            for n in range(count)
        ]

    def pilot(
        self, slug: str, iterations: int, metrics: list[dict[str, Any]], hypotheses: list[str]
    ) -> dict[str, Any]:
        rng = self.rng
        start = day(rng)
        measured = metrics[:3]  # one of each kind: the plan's metrics and every arm's results
        running = rng.random() < 0.3
        return {
            "slug": slug,
            "title": f"Trial {slug}",
            "design": rng.choice(DESIGNS),
            "unit_of_randomisation": "person",
            "population": "Adults sent a reminder",
            "place": "England",
            "planned_sample_size": rng.randrange(1_000, 100_000),
            "evaluation_type": "impact",
            "evidence_strength": rng.randint(2, 5),
            "status": "running" if running else "complete",
            "planned_start": iso(start),
            "planned_end": iso(start + 60 * iterations),
            "hypotheses": rng.sample(hypotheses, rng.randint(1, len(hypotheses))),
            "analysis_plans": self.plans(slug, measured),
            "iterations": [
                self.iteration(n, start + 60 * (n - 1), measured, last=running and n == iterations)
                for n in range(1, iterations + 1)
            ],
        }

    def plans(self, pilot_slug: str, measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One or two versions; every version but the last is locked, the last half the time."""
        rng = self.rng
        count = 2 if rng.random() < 0.3 else 1
        plans = []
        for version in range(1, count + 1):
            plan: dict[str, Any] = {
                "version": version,
                "estimand": "Difference between each arm and control (intention to treat).",
                "alpha": 0.05,
                "sidedness": "two_sided",
                "multiple_testing": rng.choice(["holm", "benjamini_hochberg"]),
                "covariates": ["age band"],
                "stopping_rule": "None; fixed horizon.",
                "mde": 0.02,
                "sequential": False,
                "amendment_reason": "Added a guardrail metric." if version > 1 else None,
                "metrics": [
                    {"metric": m["key"], "role": role, "test": TESTS[m["kind"]]}
                    for m, role in zip(measured, ["primary", "secondary", "guardrail"], strict=True)
                ],
            }
            if version < count or rng.random() < 0.5:
                plan["locked_at"] = "2020-01-01T09:00:00+00:00"
                plan["lock_hash"] = lock_hash(pilot_slug, plan)
            plans.append(plan)
        return plans

    def iteration(
        self, number: int, start: int, measured: list[dict[str, Any]], *, last: bool
    ) -> dict[str, Any]:
        rng = self.rng
        arm_count = rng.randint(2, 6)
        shares = [round(1 / arm_count, 6)] * arm_count
        shares[0] = round(1 - sum(shares[1:]), 6)
        base = {kind: _baseline(kind, rng) for kind in KINDS}
        arms = [
            {
                "name": "Control" if a == 0 else f"Variant {chr(64 + a)}",
                "control": a == 0,
                "allocation": shares[a],
                "description": "Business as usual." if a == 0 else f"Message variant {a}.",
                "results": [
                    _result(metric, base[metric["kind"]], rng.randrange(200, 20_000), a, rng)
                    for metric in measured
                ],
            }
            for a in range(arm_count)
        ]
        document: dict[str, Any] = {
            "number": number,
            "title": f"v{number}",
            "what_changed": "First version." if number == 1 else "Reworded the best variant.",
            "why": "To test the idea." if number == 1 else "The previous iteration's decision.",
            "start_date": iso(start),
            "end_date": iso(start + 45),
            "status": "running" if last else "complete",
            "arms": arms,
        }
        if not last and rng.random() < 0.85:
            document["decision"] = {
                "outcome": rng.choice(OUTCOMES),
                "rationale": "The primary metric moved; see the results.",
                "decided_by": "Programme board",
                "decided_on": iso(start + 50),
            }
        return document

    def engagements(self, pilots: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        entries = []
        for n in range(rng.randint(1, 3)):
            entry: dict[str, Any] = {
                "key": f"engagement-{n}",
                "group": rng.choice(GROUPS),
                "method": rng.choice(METHODS),
                "held_on": iso(day(rng)),
                "participants": rng.randint(3, 400),
                "what_we_heard": "People found the letter hard to follow.",
                "what_changed": "The next version is shorter.",
            }
            if n == 0 and pilots:
                entry["pilot"] = pilots[0]["slug"]
                entry["iteration"] = 1
            entries.append(entry)
        return entries


BASELINES = {"binary": (0.1, 0.6), "continuous": (50.0, 300.0), "count": (0.2, 2.0)}


def _baseline(kind: str, rng: random.Random) -> float:
    """The control arm's level: a proportion, a mean in pounds, or a rate per person-month."""
    low, high = BASELINES[kind]
    return rng.uniform(low, high)


def _result(
    metric: dict[str, Any], base: float, n: int, arm: int, rng: random.Random
) -> dict[str, Any]:
    """Sufficient statistics of one arm on one metric, with a small effect for variants."""
    effect = 0.0 if arm == 0 else rng.gauss(0.03, 0.04)
    kind = metric["kind"]
    if kind == "binary":
        p = min(max(base + effect, 0.01), 0.99)
        return {"metric": metric["key"], "n": n, "successes": round(n * p)}
    if kind == "continuous":
        mean = base * (1 + effect)
        return {"metric": metric["key"], "n": n, "mean": round(mean, 3), "sd": round(mean, 3)}
    exposure = round(n * rng.uniform(0.8, 1.0), 1)
    total = round(exposure * base * (1 - effect))
    return {"metric": metric["key"], "n": n, "total": max(total, 0), "exposure": exposure}


def lock_hash(pilot_slug: str, plan: dict[str, Any]) -> str:
    """The SHA-256 the app computes when it locks this plan (its own canonical JSON)."""
    fields = AnalysisPlanCreate.model_validate(plan)
    record = AnalysisPlan(
        pilot_id=0, plan_version=plan["version"], **fields.model_dump(exclude={"metrics"})
    )
    canonical = canonical_plan(pilot_slug, record, fields.metrics)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def generate(scale: str, folder: Path, seed: int = 8, style: str = "json") -> list[Path]:
    """Write the portfolio at `scale` into `folder` (emptied first); return the files written.

    `style` "json" writes YAML's JSON form, which the reader parses with the json module;
    "block" writes block YAML as a person (or `tracker export`) would, 50–100× slower to parse.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    documents = Portfolio(SCALES[scale], seed).policies()
    paths = []
    for start in range(0, len(documents), POLICIES_PER_FILE):
        path = folder / f"portfolio-{start // POLICIES_PER_FILE:04d}.yaml"
        body = {"format": FORMAT, "policies": documents[start : start + POLICIES_PER_FILE]}
        if style == "json":
            text = json.dumps(body, indent=1, ensure_ascii=False)
        else:
            text = yaml.dump(body, Dumper=yaml.CSafeDumper, sort_keys=False, width=100)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@dataclass
class LoadStats:
    """What one load wrote and how long it took."""

    scale: str
    database: str
    files: int
    rows: dict[str, int]
    generate_s: float
    parse_s: float
    import_s: float

    @property
    def records(self) -> int:
        """Domain rows written (the audit trail counted apart)."""
        return sum(n for table, n in self.rows.items() if table != "audit_event")


def portfolio_folder(scale: str, workdir: Path, seed: int = 8, style: str = "json") -> Path:
    """The cached portfolio for a scale, seed and style, (re)generated when missing or outdated."""
    folder = workdir / f"portfolio-{scale}-seed{seed}-{style}-v{GENERATOR_VERSION}"
    if not (folder / "complete").exists():
        generate(scale, folder, seed, style)
        (folder / "complete").write_text("", encoding="utf-8")
    return folder


def parse_seconds(folder: Path) -> float:
    """Seconds the reader's parser takes over every file once: the floor of any import."""
    from tracker.io import yamlfile

    started = time.perf_counter()
    for path in sorted(folder.glob("*.yaml")):
        yamlfile.load_data(path.read_text(encoding="utf-8"))
    return time.perf_counter() - started


def table_counts(database_url: str) -> dict[str, int]:
    """Rows in every table of the app's schema."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    from tracker.db import get_engine

    with get_engine(database_url).connect() as connection:
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in sorted(SQLModel.metadata.tables.items())
        }


def load(
    scale: str, database_url: str, workdir: Path, seed: int = 8, style: str = "json"
) -> LoadStats:
    """Migrate `database_url` and import the portfolio at `scale` into it in one transaction.

    The database should be empty: a second load is a re-import (updates in place, no new rows).
    """
    from tracker import migrate
    from tracker.db import session_scope
    from tracker.io.importer import import_path

    started = time.perf_counter()
    folder = portfolio_folder(scale, workdir, seed, style)
    generate_s = time.perf_counter() - started
    migrate.upgrade(database_url)
    parse_s = parse_seconds(folder)
    started = time.perf_counter()
    with session_scope(database_url) as session:
        import_path(session=session, path=folder, actor_label=f"bench load {scale}")
    import_s = time.perf_counter() - started
    return LoadStats(
        scale=scale,
        database=database_url.split(":", 1)[0],
        files=len(list(folder.glob("*.yaml"))),
        rows=table_counts(database_url),
        generate_s=generate_s,
        parse_s=parse_s,
        import_s=import_s,
    )


def figure(stats: LoadStats) -> dict[str, Any]:
    """The bench row for one load: import time as a multiple of parsing the files alone."""
    return {
        "name": f"import portfolio {stats.scale} ({stats.database})",
        "median_s": round(stats.import_s, 3),
        "baseline": "parsing the same files alone (yamlfile.load_data)",
        "baseline_median_s": round(stats.parse_s, 3),
        "ratio": round(stats.import_s / stats.parse_s, 1),
        "target": "none set by issue 8 (reported for the budget of make bench)",
        "met": None,
        "notes": (
            f"{stats.files} files, {stats.records:,} records + {stats.rows['audit_event']:,} "
            f"audit events, {stats.records / stats.import_s:,.0f} records/s (one run)"
        ),
    }


def fresh_sqlite_url(workdir: Path, name: str) -> str:
    """A URL for a new SQLite file in `workdir`, any earlier one (and its WAL) removed."""
    database = workdir / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{database}"


def run(scale: str, workdir: Path) -> list[dict[str, Any]]:
    """Bench contract: load `scale` into a fresh SQLite file and report the import figures."""
    return [figure(load(scale, fresh_sqlite_url(workdir, f"generate-{scale}"), workdir))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".cache")
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--style", choices=("json", "block"), default="json")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.generate_only:
        folder = portfolio_folder(args.scale, args.workdir, args.seed, args.style)
        print(f"{len(list(folder.glob('*.yaml')))} files in {folder}")
        return
    url = args.database or fresh_sqlite_url(args.workdir, f"generate-{args.scale}")
    stats = load(args.scale, url, args.workdir, args.seed, args.style)
    print(json.dumps(figure(stats), indent=2))
    print(json.dumps(stats.rows, indent=2))


if __name__ == "__main__":
    main()
