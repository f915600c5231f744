"""The example portfolio is real: published numbers as published, the illustrative one labelled.

The reference data files live in ../shared/reference-data on the project's machines (never in
the repository); the tests that recount from them skip where that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from tracker.config import PROJECT_ROOT
from tracker.db import get_engine
from tracker.models.enums import PolicyStage
from tracker.services import overviews

REFERENCE = PROJECT_ROOT.parent / "shared" / "reference-data"
GGL = REFERENCE / "ggl2008_social_pressure.csv.gz"
NSW = REFERENCE / "nsw_dehejia_wahba_experimental.csv"

# Gerber, Green & Larimer (2008), APSR 102(1), Table 2: percentage voting, one decimal place.
GGL_TABLE_2 = {
    "Control": 29.7,
    "Civic Duty": 31.5,
    "Hawthorne": 32.2,
    "Self": 34.5,
    "Neighbors": 37.8,
}


def _pilot(url: str, slug: str) -> overviews.PilotOverview:
    with Session(get_engine(url)) as session:
        return overviews.get_pilot_overview(session=session, slug=slug)


def _arm_results(overview: overviews.PilotOverview, metric_key: str) -> dict[str, object]:
    [metric] = [m for m in overview.metrics if m.key == metric_key]
    return {arm.arm.name: arm.results[metric.id or 0] for arm in overview.iterations[0].arms}


def test_published_and_illustrative_policies(example_url: str) -> None:
    with Session(get_engine(example_url)) as session:
        summaries = overviews.list_policy_summaries(session=session)
        published = [s.policy for s in summaries if not s.policy.illustrative]
        illustrative = [s.policy for s in summaries if s.policy.illustrative]
        assert len(published) >= 3
        published_pilots = [
            overviews.get_pilot_overview(session=session, slug=pilot.slug)
            for policy in published
            for pilot in overviews.get_policy_overview(session=session, slug=policy.slug).pilots
        ]
        assert all(view.pilot.citation.strip() for view in published_pilots)
        assert any(len(view.iterations) >= 2 for view in published_pilots)
        assert len(illustrative) == 1
        story = overviews.get_policy_overview(session=session, slug=illustrative[0].slug)
        assert "illustrative" in story.policy.title.lower()
        assert [d.to_stage for d in story.stage_history] == list(PolicyStage)[:5]
        assert story.user_needs and story.engagements
        [pilot] = story.pilots
        iterations = overviews.get_pilot_overview(session=session, slug=pilot.slug).iterations
        assert len(iterations) >= 2
        assert all(view.decision is not None for view in iterations)


def test_ggl_percentages_match_table_2(example_url: str) -> None:
    results = _arm_results(
        _pilot(example_url, "ggl-2006-michigan-primary-mailings"), "voted-aug-2006-primary"
    )
    shown = {name: round(100 * r.successes / r.n, 1) for name, r in results.items()}  # type: ignore[attr-defined]
    assert shown == GGL_TABLE_2


@pytest.mark.skipif(not GGL.exists(), reason="reference data ../shared/reference-data is absent")
def test_ggl_counts_match_the_replication_data(example_url: str) -> None:
    import pandas as pd

    frame = pd.read_csv(GGL, usecols=["treatment", "primary_06"])
    counted = frame.groupby("treatment")["primary_06"].agg(["size", "sum"])
    results = _arm_results(
        _pilot(example_url, "ggl-2006-michigan-primary-mailings"), "voted-aug-2006-primary"
    )
    for name, result in results.items():
        label = "No Postcard" if name == "Control" else name  # the data's name for control
        assert (result.n, result.successes) == (  # type: ignore[attr-defined]
            int(counted.loc[label, "size"]),
            int(counted.loc[label, "sum"]),
        )


@pytest.mark.skipif(not NSW.exists(), reason="reference data ../shared/reference-data is absent")
def test_nsw_summaries_match_the_data(example_url: str) -> None:
    import pandas as pd

    frame = pd.read_csv(NSW)
    overview = _pilot(example_url, "nsw-dehejia-wahba-experimental-sample")
    results = _arm_results(overview, "earnings-1978")
    control = next(a.arm.name for a in overview.iterations[0].arms if a.arm.is_control)
    for name, result in results.items():
        group = frame.loc[frame["treat"] == (0.0 if name == control else 1.0), "re78"]
        assert result.n == len(group)  # type: ignore[attr-defined]
        # The file keeps 6 decimal places of the mean and sd (stated in its notes).
        assert result.mean == pytest.approx(group.mean(), abs=5e-7)  # type: ignore[attr-defined]
        assert result.sd == pytest.approx(group.std(ddof=1), abs=5e-7)  # type: ignore[attr-defined]
    treated = next(r for n, r in results.items() if n != control)
    # Dehejia & Wahba (1999), Table 3: the experimental difference in means is 1794.
    assert round(treated.mean - results[control].mean) == 1794  # type: ignore[attr-defined]


def test_example_files_are_documented() -> None:
    readme = (PROJECT_ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    for path in Path(PROJECT_ROOT / "experiments").glob("*.yaml"):
        assert path.name in readme
