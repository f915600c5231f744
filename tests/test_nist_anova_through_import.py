"""NIST StRD one-way ANOVA, loaded as CSV datasets through the portfolio importer.

Each NIST treatment becomes one iteration of a pilot whose single arm has the treatment's
values as a dataset; `tracker`'s omnibus test across iterations must reproduce NIST's certified
F statistic, between and within sums of squares and residual standard deviation to at least 9
significant digits (relative tolerance 1e-9). The data and certified values are NIST's own
(tests/stats/nist, public domain).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import Session

from tracker.db import get_engine
from tracker.services import analysis
from tracker.services.actors import Actor

from .portfolio_helpers import minimal
from .test_portfolio_import import run_import, write

NIST = Path(__file__).parent / "stats" / "nist"
ANOVA_SETS = sorted(
    path.stem for path in NIST.glob("*.json") if json.loads(path.read_text())["kind"] == "anova"
)
NINE_DIGITS = 1e-9


def _portfolio(tmp_path: Path, name: str) -> Path:
    groups: dict[str, list[str]] = {}
    with (NIST / f"{name}.csv").open(newline="") as source:
        for row in csv.DictReader(source):
            groups.setdefault(row["group"], []).append(row["value"])
    document = minimal()
    policy = document["policies"][0]
    policy["metrics"] = [
        {"key": "reading", "name": "Reading", "kind": "continuous", "direction": "increase"}
    ]
    iterations = []
    for number, (group, values) in enumerate(groups.items(), start=1):
        content = ("arm,value\n" + "".join(f"Readings,{v}\n" for v in values)).encode()
        (tmp_path / f"group-{group}.csv").write_bytes(content)
        iterations.append(
            {
                "number": number,
                "arms": [{"name": "Readings", "control": True, "allocation": 1}],
                "datasets": [
                    {
                        "file": f"group-{group}.csv",
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "column_mapping": {"arm": "arm", "outcomes": {"reading": "value"}},
                    }
                ],
            }
        )
    policy["pilots"][0]["iterations"] = iterations
    return write(tmp_path, document)


@pytest.mark.parametrize("name", ANOVA_SETS)
def test_certified_anova(migrated_url: str, tmp_path: Path, name: str) -> None:
    assert len(ANOVA_SETS) == 11
    certified = json.loads((NIST / f"{name}.json").read_text())["certified"]
    run_import(migrated_url, _portfolio(tmp_path, name))
    with Session(get_engine(migrated_url)) as session:
        run = analysis.run_analysis(
            session=session, actor=Actor.system("test"), pilot_slug="letters-trial"
        )
    [row] = [r for r in run.rows if r["method"] == "one_way_anova_exact"]
    assert row["estimate"] == pytest.approx(float(certified["f_statistic"]), rel=NINE_DIGITS)
    details = row["details"]
    assert details["ss_between"] == pytest.approx(float(certified["between_ss"]), rel=NINE_DIGITS)
    assert details["ss_within"] == pytest.approx(float(certified["within_ss"]), rel=NINE_DIGITS)
    assert details["residual_sd"] == pytest.approx(float(certified["residual_sd"]), rel=NINE_DIGITS)
