"""Import and analysis of unit-level data: the app's upload and analysis against pandas.read_csv.

Issue 8, item 4: a 1,000,000-row CSV (3 arms, a binary and a continuous outcome, a covariate
and a cluster id) uploaded through `datasets.store_dataset` (validate, hash, store the bytes,
derive every arm's results) and analysed by `analysis.run_analysis` (as `tracker analyse` and
the API do) must take at most 3× what `pandas.read_csv` takes to read the same file, measured
in the same run, interleaved, and peak memory must stay under 1 GiB. Each timed run is its own
subprocess so its peak RSS is its own; the time is measured inside it, after the imports.
The reference file ../shared/reference-data/ggl2008_social_pressure.csv.gz (344,084 rows) goes
through the same pipeline when it is there.

    python bench/unit_data.py --scale L [--rows 1000000] [--repeats 3] [--profile]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # standalone or imported by run.py

import pilot_setup

from tracker.models.enums import MetricKind, MetricRole

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference-data" / "ggl2008_social_pressure.csv.gz"
ROWS = {"S": 100_000, "L": 1_000_000, "XL": 1_000_000}
REPEATS = 3
RATIO_TARGET = 3.0
MEMORY_TARGET_BYTES = 1024**3


@dataclass(frozen=True)
class Case:
    """A file, the metrics and arms it holds, and how its columns map onto them."""

    label: str
    csv: Path
    metric_kinds: dict[str, MetricKind]
    arms: tuple[pilot_setup.ArmSpec, ...]
    mapping: dict[str, Any]


def synthetic_csv(path: Path, rows: int, seed: int = 8) -> Path:
    """A realistic unit-level trial file, the same bytes for the same seed and row count.

    Three arms (1/3 each) over 2,000 clusters (schools); `prior_days` is the covariate,
    `claimed` (0/1) and `days_to_claim` (2 decimals) the outcomes, both shifted by the arm and
    correlated with the covariate and the cluster.
    """
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 3, rows)
    cluster = rng.integers(1, 2001, rows)
    cluster_effect = rng.normal(0, 2, 2001)[cluster]
    prior = np.round(rng.gamma(4, 5, rows), 2)
    days = np.round(30 + 0.4 * prior - 1.5 * arm + cluster_effect + rng.normal(0, 8, rows), 2)
    claimed = (rng.random(rows) < 0.30 + 0.03 * arm).astype(int)
    names = np.array(["control", "letter", "text message"])[arm]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("unit_id,arm,claimed,days_to_claim,prior_days,school\n")
        for start in range(0, rows, 100_000):
            part = slice(start, min(start + 100_000, rows))
            lines = [
                f"{unit},{name},{c},{d:.2f},{p:.2f},S{s:04d}\n"
                for unit, name, c, d, p, s in zip(
                    range(start + 1, part.stop + 1),
                    names[part],
                    claimed[part],
                    days[part],
                    prior[part],
                    cluster[part],
                    strict=True,
                )
            ]
            out.writelines(lines)
    return path


def synthetic_case(workdir: Path, rows: int) -> Case:
    path = workdir / f"unit_data_{rows}.csv"
    if not path.exists():
        synthetic_csv(path, rows)
    return Case(
        label=f"{rows:,}-row synthetic CSV",
        csv=path,
        metric_kinds={"claimed": MetricKind.BINARY, "days-to-claim": MetricKind.CONTINUOUS},
        arms=(
            pilot_setup.ArmSpec("control", True, 1 / 3),
            pilot_setup.ArmSpec("letter", False, 1 / 3),
            pilot_setup.ArmSpec("text message", False, 1 / 3),
        ),
        mapping={
            "arm": "arm",
            "outcomes": {"claimed": "claimed", "days-to-claim": "days_to_claim"},
            "covariates": ["prior_days"],
            "cluster": "school",
        },
    )


def reference_case(workdir: Path) -> Case | None:
    """Gerber, Green & Larimer (2008) social pressure, decompressed into the workdir (not the
    repo); None when the shared file is not there."""
    if not REFERENCE.exists():
        return None
    path = workdir / "ggl2008_social_pressure.csv"
    if not path.exists():
        path.write_bytes(gzip.decompress(REFERENCE.read_bytes()))
    treatments = ("Civic Duty", "Hawthorne", "Self", "Neighbors")
    return Case(
        label="ggl2008 social pressure (344,084 rows)",
        csv=path,
        metric_kinds={"voted-2006": MetricKind.BINARY, "household-size": MetricKind.CONTINUOUS},
        arms=(
            pilot_setup.ArmSpec("No Postcard", True, 5 / 9),
            *(pilot_setup.ArmSpec(name, False, 1 / 9) for name in treatments),
        ),
        mapping={
            "arm": "treatment",
            "outcomes": {"voted-2006": "primary_06", "household-size": "hh_size"},
            "covariates": ["primary_04"],
            "cluster": "cluster",
        },
    )


def prepare(case: Case, database: Path, repeats: int) -> str:
    """A migrated database with one pilot per repeat (a file is stored once per iteration)."""
    url = pilot_setup.migrated_sqlite(database)
    roles = dict(zip(case.metric_kinds, (MetricRole.PRIMARY, MetricRole.SECONDARY), strict=True))
    with pilot_setup.session_on(url) as session:
        pilot_setup.make_policy(session, "bench-unit-data", case.metric_kinds)
        for repeat in range(repeats):
            pilot_setup.make_pilot(
                session,
                policy_slug="bench-unit-data",
                pilot_slug=f"upload-{repeat}",
                iteration_count=1,
                arms=case.arms,
                roles=roles,
            )
        session.commit()
    pilot_setup.dispose_engine(url)
    return url


def _child(command: list[str]) -> dict[str, Any]:
    """Run this file as a subprocess and read the JSON line it prints."""
    done = subprocess.run(  # noqa: S603 (this script, with our own paths)
        [sys.executable, __file__, *command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(case: Case, workdir: Path, repeats: int) -> list[dict[str, Any]]:
    """Interleave read_csv and the app's pipeline, each in a fresh process; the figure rows."""
    url = prepare(case, workdir / f"{case.csv.stem}.sqlite3", repeats)
    mapping = json.dumps(case.mapping)
    baseline: list[dict[str, Any]] = []
    app: list[dict[str, Any]] = []
    for repeat in range(repeats):
        baseline.append(_child(["--child-read-csv", str(case.csv)]))
        app.append(_child(["--child-app", url, str(case.csv), f"upload-{repeat}", mapping]))
    read_s = pilot_setup.median([run["seconds"] for run in baseline])
    app_s = pilot_setup.median([run["seconds"] for run in app])
    store_s = pilot_setup.median([run["store_seconds"] for run in app])
    analyse_s = pilot_setup.median([run["analyse_seconds"] for run in app])
    peak = max(run["peak_rss_bytes"] for run in app)
    read_peak = max(run["peak_rss_bytes"] for run in baseline)
    ratio = app_s / read_s
    return [
        {
            "name": f"upload + analyse, {case.label}",
            "median_s": app_s,
            "baseline": "pandas.read_csv of the same file",
            "baseline_median_s": read_s,
            "ratio": ratio,
            "target": f"≤ {RATIO_TARGET:g}×",
            "met": ratio <= RATIO_TARGET,
            "notes": (
                f"median of {repeats}, interleaved, one process each; store_dataset "
                f"{store_s:.2f} s ({store_s / read_s:.1f}×), run_analysis {analyse_s:.2f} s "
                f"({analyse_s / read_s:.1f}×); {app[-1]['comparisons']} comparisons"
            ),
        },
        {
            "name": f"peak RSS of upload + analyse, {case.label}",
            "median_s": None,
            "baseline": "peak RSS of the read_csv process",
            "baseline_median_s": None,
            "ratio": peak / read_peak,
            "target": "< 1 GiB",
            "met": peak < MEMORY_TARGET_BYTES,
            "notes": f"{peak / 2**20:.0f} MiB (read_csv process: {read_peak / 2**20:.0f} MiB)",
        },
    ]


def run(scale: str, workdir: Path, repeats: int = REPEATS, rows: int | None = None) -> list[dict]:
    """The figure rows of item 4 (unit-level import and analysis) at `scale`."""
    workdir.mkdir(parents=True, exist_ok=True)
    figures = measure(synthetic_case(workdir, rows or ROWS[scale]), workdir, repeats)
    reference = reference_case(workdir)
    if reference is not None:
        figures += measure(reference, workdir, repeats)
    return figures


def _peak_rss_bytes() -> int:
    """This process's peak resident set size.

    Linux's VmHWM belongs to the process's own memory map, which exec replaces; getrusage's
    ru_maxrss survives exec, so a child started by a bench process that had grown to 1 GiB
    (loading XL) reported that parent's peak as its own. getrusage is the fallback elsewhere.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_read_csv(csv_path: str) -> dict[str, Any]:
    """Time pandas.read_csv on the file, with default options."""
    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(csv_path)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(frame), "peak_rss_bytes": _peak_rss_bytes()}


def child_app(url: str, csv_path: str, pilot_slug: str, mapping: str, profile: bool) -> dict:
    """Time store_dataset (as the upload views call it) then run_analysis, each committed."""
    import statsmodels.api  # noqa: F401  (a running server has imported it already)

    from tracker.services import analysis, datasets

    with pilot_setup.session_on(url) as session:
        profiler = _profiler() if profile else None
        start = time.perf_counter()
        content = Path(csv_path).read_bytes()
        datasets.store_dataset(
            session=session,
            actor=pilot_setup.ANALYST,
            pilot_slug=pilot_slug,
            number=1,
            filename=Path(csv_path).name,
            content=content,
            column_mapping=json.loads(mapping),
        )
        session.commit()
        stored = time.perf_counter()
        run = analysis.run_analysis(
            session=session, actor=pilot_setup.ANALYST, pilot_slug=pilot_slug
        )
        session.commit()
        end = time.perf_counter()
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    return {
        "seconds": end - start,
        "store_seconds": stored - start,
        "analyse_seconds": end - stored,
        "comparisons": len(run.rows),
        "peak_rss_bytes": _peak_rss_bytes(),
    }


def _profiler() -> Any:
    from pyinstrument import Profiler

    profiler = Profiler()
    profiler.start()
    return profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="L", choices=sorted(ROWS))
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", help="pyinstrument one app run")
    parser.add_argument("--child-read-csv", metavar="CSV")
    parser.add_argument("--child-app", nargs=4, metavar=("URL", "CSV", "PILOT", "MAPPING"))
    args = parser.parse_args()
    if args.child_read_csv:
        print(json.dumps(child_read_csv(args.child_read_csv)))
        return
    if args.child_app:
        print(json.dumps(child_app(*args.child_app, profile=args.profile)))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-unit-data-"))
    if args.profile:
        case = synthetic_case(workdir, args.rows or ROWS[args.scale])
        url = prepare(case, workdir / f"{case.csv.stem}.sqlite3", 1)
        mapping = json.dumps(case.mapping)
        command = [sys.executable, __file__, "--profile", "--child-app", url, str(case.csv)]
        subprocess.run([*command, "upload-0", mapping], check=True)  # noqa: S603
        return
    pilot_setup.print_table(run(args.scale, workdir, args.repeats, args.rows))


if __name__ == "__main__":
    main()
