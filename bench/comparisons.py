"""All comparisons of a large pilot from stored summaries, and Welch's t against gbstats.

Issue 8, item 4: (1) every comparison of a pilot with 20 iterations × 5 arms × 10 metrics under
a locked plan with Holm, through `comparisons.compare_pilot` — median under 100 ms — timed on
summaries already read (`read_pilot_inputs` done once) and, separately, including that read from
the database. (2) The same Welch comparisons (difference in means from n, mean, sd) through
`tracker.stats.compare_means` and through gbstats' `TwoSidedTTest` on the same sufficient
statistics, interleaved in one process: ours must not be slower, and the point estimate, interval
and p-value must agree within TOLERANCE.

gbstats 0.8.0 pins numpy<2 and pandas<2; its frequentist code imports and runs fine on our numpy
2 / pandas 3, so it is installed with `pip install --no-deps --target <workdir>/gbstats-lib`
(never into .venv, never through the `bench` extra, whose resolver would downgrade numpy) and
timed in this same interpreter — same numpy, same scipy, so the comparison is like for like.

    python bench/comparisons.py --scale L [--repeats 15]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # standalone or imported by run.py

import pilot_setup

from tracker import settle_long_lived_objects
from tracker.models.enums import MetricKind, MetricRole
from tracker.services import results
from tracker.services.analysis_inputs import PilotInput, read_pilot_inputs
from tracker.services.comparisons import compare_pilot
from tracker.stats import EffectResult, MeanOptions, MeanSummary, compare_means

ITERATIONS, ARMS, METRICS = 20, 5, 10
REPEATS = 15
TARGET_S = 0.100
GBSTATS = "gbstats==0.8.0"
TOLERANCE = {"relative": 1e-9, "p_absolute": 1e-12}
POLICY, PILOT = "bench-comparisons", "twenty-iterations"


def metric_kinds() -> dict[str, MetricKind]:
    """Half binary, half continuous."""
    return {
        f"metric-{index:02d}": MetricKind.BINARY if index % 2 else MetricKind.CONTINUOUS
        for index in range(METRICS)
    }


def summaries(seed: int = 8) -> dict[tuple[int, str, str], dict[str, Any]]:
    """Per-arm results as an analyst enters them: {(iteration, arm, metric): fields}."""
    rng = np.random.default_rng(seed)
    fields: dict[tuple[int, str, str], dict[str, Any]] = {}
    for number in range(1, ITERATIONS + 1):
        for arm in range(ARMS):
            for key, kind in metric_kinds().items():
                n = int(rng.integers(800, 1200))
                if kind is MetricKind.BINARY:
                    rate = 0.3 + 0.01 * arm + 0.002 * number
                    fields[(number, f"arm {arm}", key)] = {
                        "n": n,
                        "successes": int(rng.binomial(n, rate)),
                    }
                else:
                    fields[(number, f"arm {arm}", key)] = {
                        "n": n,
                        "mean": round(float(30 + 0.5 * arm + rng.normal(0, 0.3)), 4),
                        "sd": round(float(rng.uniform(6, 10)), 4),
                    }
    return fields


def prepare(workdir: Path) -> str:
    """A database holding the pilot, its locked plan (every metric primary or secondary, Holm)
    and its 1,000 stored per-arm results."""
    url = pilot_setup.migrated_sqlite(workdir / "comparisons.sqlite3")
    kinds = metric_kinds()
    roles = {
        key: MetricRole.PRIMARY if i == 0 else MetricRole.SECONDARY for i, key in enumerate(kinds)
    }
    arms = [pilot_setup.ArmSpec(f"arm {arm}", arm == 0, 1 / ARMS) for arm in range(ARMS)]
    with pilot_setup.session_on(url) as session:
        pilot_setup.make_policy(session, POLICY, kinds)
        pilot_setup.make_pilot(
            session,
            policy_slug=POLICY,
            pilot_slug=PILOT,
            iteration_count=ITERATIONS,
            arms=arms,
            roles=roles,
        )
        for (number, arm, key), fields in summaries().items():
            results.record_result(
                session=session,
                actor=pilot_setup.ANALYST,
                pilot_slug=PILOT,
                number=number,
                arm_name=arm,
                data={"metric": key, **fields},
            )
        session.commit()
    return url


def welch_pairs(inputs: PilotInput) -> list[tuple[MeanSummary, MeanSummary]]:
    """(control, treatment) of every continuous arm-versus-control comparison of the pilot."""
    pairs = []
    for iteration in inputs.iterations:
        control = iteration.control()
        assert control is not None
        for arm in iteration.arms:
            for key, summary in arm.summaries.items():
                base = control.summaries[key]
                if not arm.is_control and isinstance(summary, MeanSummary):
                    assert isinstance(base, MeanSummary)
                    pairs.append((base, summary))
    return pairs


def ours(pairs: list[tuple[MeanSummary, MeanSummary]]) -> list[EffectResult]:
    options = MeanOptions()
    return [compare_means(control, treatment, options) for control, treatment in pairs]


def gbstats_library(workdir: Path) -> Path:
    """gbstats installed without its numpy<2/pandas<2 pins into the workdir (once)."""
    target = workdir / "gbstats-lib"
    if not (target / "gbstats").exists():
        subprocess.run(  # noqa: S603 (pip, with a pinned requirement)
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                GBSTATS,
            ],
            check=True,
        )
    return target


def gbstats_runner(library: Path) -> Any:
    """A function running gbstats' two-sided Welch t-test (absolute difference) on the pairs."""
    sys.path.insert(0, str(library))
    from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
    from gbstats.models.statistics import SampleMeanStatistic

    config = FrequentistConfig(difference_type="absolute", alpha=0.05)

    def statistic(summary: MeanSummary) -> Any:
        n = summary.n
        return SampleMeanStatistic(
            n=n,
            sum=summary.mean * n,
            sum_squares=summary.variance * (n - 1) + summary.mean**2 * n,
        )

    def run_pairs(pairs: list[tuple[MeanSummary, MeanSummary]]) -> list[Any]:
        return [
            TwoSidedTTest(statistic(control), statistic(treatment), config).compute_result()
            for control, treatment in pairs
        ]

    return run_pairs


def disagreement(mine: list[EffectResult], theirs: list[Any]) -> dict[str, float]:
    """The largest relative difference of estimate and interval ends, and of p absolutely."""
    relative = max(
        abs(a - b) / max(abs(b), 1e-300)
        for ours_, gb in zip(mine, theirs, strict=True)
        for a, b in (
            (ours_.estimate, gb.expected),
            (ours_.ci_low, gb.ci[0]),
            (ours_.ci_high, gb.ci[1]),
        )
    )
    p_absolute = max(abs(o.p_value - g.p_value) for o, g in zip(mine, theirs, strict=True))
    return {"relative": relative, "p_absolute": p_absolute}


def run(scale: str, workdir: Path, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """The figure rows for the pilot's comparisons and for Welch against gbstats."""
    del scale  # the pilot's size is the issue's, at every scale
    workdir.mkdir(parents=True, exist_ok=True)
    url = prepare(workdir)
    run_gbstats = gbstats_runner(gbstats_library(workdir))
    # As every app process does once it has started (tracker.create_app).
    settle_long_lived_objects()
    with pilot_setup.session_on(url) as session:
        inputs = read_pilot_inputs(session=session, pilot_slug=PILOT)
        pairs = welch_pairs(inputs)
        rows = compare_pilot(inputs)
        mine, theirs = ours(pairs), run_gbstats(pairs)
        seconds = pilot_setup.interleaved_medians(
            {
                "loaded": lambda: pilot_setup.timed(lambda: compare_pilot(inputs)),
                "with_read": lambda: pilot_setup.timed(
                    lambda: compare_pilot(read_pilot_inputs(session=session, pilot_slug=PILOT))
                ),
                "ours": lambda: pilot_setup.timed(lambda: ours(pairs)),
                "gbstats": lambda: pilot_setup.timed(lambda: run_gbstats(pairs)),
            },
            repeats,
        )
    medians = {name: pilot_setup.median(values) for name, values in seconds.items()}
    gap = disagreement(mine, theirs)
    agree = all(gap[name] <= TOLERANCE[name] for name in TOLERANCE)
    holm = sum(1 for row in rows if row.p_adjusted is not None)
    shape = f"{ITERATIONS} iterations × {ARMS} arms × {METRICS} metrics"
    return [
        {
            "name": f"all comparisons, {shape}, summaries loaded",
            "median_s": medians["loaded"],
            "baseline": "target 100 ms",
            "baseline_median_s": TARGET_S,
            "ratio": medians["loaded"] / TARGET_S,
            "target": "< 100 ms",
            "met": medians["loaded"] < TARGET_S,
            "notes": f"compare_pilot: {len(rows)} rows, {holm} Holm-adjusted; median of {repeats}",
        },
        {
            "name": f"all comparisons, {shape}, with the DB read",
            "median_s": medians["with_read"],
            "baseline": "target 100 ms",
            "baseline_median_s": TARGET_S,
            "ratio": medians["with_read"] / TARGET_S,
            "target": "< 100 ms",
            "met": medians["with_read"] < TARGET_S,
            "notes": "read_pilot_inputs (SQLite) + compare_pilot; "
            f"the read alone ≈ {medians['with_read'] - medians['loaded']:.3f} s",
        },
        {
            "name": f"Welch t, {len(pairs)} arm-vs-control pairs, ours vs gbstats",
            "median_s": medians["ours"],
            "baseline": f"{GBSTATS} TwoSidedTTest on the same n, mean, sd",
            "baseline_median_s": medians["gbstats"],
            "ratio": medians["ours"] / medians["gbstats"],
            "target": "≤ 1×",
            "met": medians["ours"] <= medians["gbstats"] and agree,
            "notes": (
                f"agreement: estimate/CI max relative gap {gap['relative']:.1e} (≤ "
                f"{TOLERANCE['relative']:g}), p max absolute gap {gap['p_absolute']:.1e} (≤ "
                f"{TOLERANCE['p_absolute']:g}); {GBSTATS} installed --no-deps into the workdir, "
                "timed in this interpreter"
            ),
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="L")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-comparisons-"))
    pilot_setup.print_table(run(args.scale, workdir, args.repeats))


if __name__ == "__main__":
    main()
