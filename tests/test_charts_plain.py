"""Charts are plain plotly JSON: every kind must be a figure plotly itself accepts, unchanged.

The builders skip plotly's graph_objects (their per-property validation cost most of a chart
page's time), so these tests do the validation instead: `go.Figure(figure)` raises on any
property plotly.js does not know, and its JSON must equal what the page embeds.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from tracker import charts
from tracker.charts.dashboard import StageBar, StatusBar, pilot_status_figure, pipeline_figure
from tracker.charts.figures import (
    FONT_FAMILY,
    PLOTLY,
    SIMPLE_WHITE,
    TEXT_COLOUR,
    Figure,
    figure_json,
)
from tracker.charts.forest import ForestPoint, forest_figure
from tracker.charts.journey import stage_path_figure
from tracker.charts.learning import (
    LearningPoint,
    SamplePoint,
    cumulative_sample_figure,
    learning_curve_figure,
)
from tracker.charts.power import CurvePoint, power_curve_figure
from tracker.models import AnalysisRun, Metric
from tracker.models.enums import Direction, MetricKind, PolicyStage
from tracker.services.journey import StageVisit
from tracker.services.report import ReportResults
from tracker.web.reports import report_figure

METRIC = Metric(
    id=1,
    policy_id=1,
    key="paid",
    name="Paid <b>on time</b>",
    kind=MetricKind.BINARY,
    direction=Direction.INCREASE,
    unit="share of accounts",
)


def _point(iteration: int, arm: str, estimate: float | None = 0.02) -> LearningPoint:
    return LearningPoint(
        metric="paid",
        arm=arm,
        iteration=iteration,
        estimate=estimate,
        ci_low=None if estimate is None else estimate - 0.01,
        ci_high=None if estimate is None else estimate + 0.015,
        p_value=0.04,
        scale="difference",
        method="difference:z_test",
        mode="fixed_horizon",
        n=200,
        what_changed="<i>new</i> wording",
    )


def _outcome() -> Figure:
    rows = [
        charts.OutcomeRow(1, "Letter", True, 100, charts.binary_estimate(100, 30)),
        charts.OutcomeRow(1, "Text <b>", False, 100, charts.binary_estimate(100, 36)),
        charts.OutcomeRow(2, "Text <b>", False, 120, charts.Estimate(None)),
    ]
    return charts.outcome_figure(METRIC, rows)


def _report(iterations: int) -> Figure:
    points = [_point(n, arm) for n in range(1, iterations + 1) for arm in ("A", "<b>B</b>")]
    return report_figure(ReportResults(AnalysisRun(), METRIC, None, points))


VISITS = [
    StageVisit(PolicyStage.IDEA, date(2024, 1, 1), date(2024, 3, 1), 60, "Ann"),
    StageVisit(PolicyStage.ALPHA, date(2024, 3, 1), None, 30, "Bo <b>"),
]
SAMPLES = [SamplePoint(1, date(2024, 1, 1), 200, 200), SamplePoint(2, date(2024, 2, 1), 300, 500)]
BUILDERS = {
    "outcome": _outcome,
    "pipeline": lambda: pipeline_figure(
        [StageBar("Idea", 2, 3.5, 7), StageBar("<b>Beta</b>", 0, None, None)]
    ),
    "pilot status": lambda: pilot_status_figure(
        [StatusBar("Live", {"red": 1, "green": 2}), StatusBar("Paused", {})]
    ),
    "forest": lambda: forest_figure(
        [ForestPoint("A", 1.5, 1.2, 2.0), ForestPoint("B", None, None, None)],
        scale="ratio",
        axis_title="Ratio",
    ),
    "journey": lambda: stage_path_figure(VISITS, date(2024, 4, 1)),
    "learning curve": lambda: learning_curve_figure(
        "Paid", [_point(1, "A"), _point(2, "A"), _point(2, "B", None)], axis_title="Points"
    ),
    "cumulative sample": lambda: cumulative_sample_figure(
        SAMPLES, 1000, [(date(2024, 1, 15), "v1: <adapt>")]
    ),
    "power curve": lambda: power_curve_figure(
        [CurvePoint(10, 0.2), CurvePoint(50, 0.9)], x_title="n", target_power=0.8, answer_x=40
    ),
    "report learning curve": lambda: _report(3),
    "report forest": lambda: _report(1),
}


def embedded(figure: Figure) -> Any:
    """The figure as the page's browser reads it."""
    return json.loads(figure_json(figure))


@pytest.mark.parametrize("kind", BUILDERS)
def test_every_chart_is_a_figure_plotly_accepts_as_it_is(kind: str) -> None:
    figure = BUILDERS[kind]()
    sent = embedded(figure)
    validated = go.Figure(figure)  # raises ValueError on any property plotly.js does not know
    assert json.loads(validated.to_json()) == sent


def test_plotly_validation_in_these_tests_rejects_an_unknown_property() -> None:
    figure = BUILDERS["power curve"]()
    figure["data"][0]["colour"] = "red"
    with pytest.raises(ValueError, match="colour"):
        go.Figure(figure)


def test_templates_are_the_ones_graph_objects_write_in_full() -> None:
    assert (
        go.Figure(layout={"template": "simple_white"}).to_dict()["layout"]["template"]
        == SIMPLE_WHITE
    )
    assert go.Figure().to_dict()["layout"]["template"] == PLOTLY  # plotly's default
    assert embedded(_outcome())["layout"]["template"] == SIMPLE_WHITE
    assert embedded(BUILDERS["forest"]())["layout"]["template"] == PLOTLY


def test_pipeline_lays_out_its_rows_as_make_subplots_does() -> None:
    layout = pipeline_figure([StageBar("Idea", 2, 3.5, 7)])["layout"]
    subplots = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=("Policies at each stage", "Days in the current stage"),
    ).to_dict()["layout"]
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        assert {key: layout[axis][key] for key in subplots[axis]} == subplots[axis]
    assert layout["annotations"] == subplots["annotations"]


def test_pipeline_traces_sit_on_their_rows_with_escaped_stage_names() -> None:
    policies, median, longest = pipeline_figure(
        [StageBar("Idea", 2, 3.5, 7), StageBar("<b>Beta</b>", 0, None, None)]
    )["data"]
    assert (policies["xaxis"], policies["yaxis"]) == ("x", "y")
    assert policies["x"] == ["Idea", "&lt;b&gt;Beta&lt;/b&gt;"] and policies["y"] == [2, 0]
    assert (median["yaxis"], median["y"]) == ("y2", [3.5, None])
    assert (longest["yaxis"], longest["y"]) == ("y2", [7, None])


def test_report_charts_are_compact_and_leave_the_shared_template_alone() -> None:
    curve, forest = embedded(_report(3)), embedded(_report(1))
    for layout in (curve["layout"], forest["layout"]):
        assert "title" not in layout
        assert layout["font"]["size"] == 9 and layout["font"]["family"] == FONT_FAMILY
        assert layout["xaxis"]["title"]["standoff"] == 2
    assert curve["layout"]["showlegend"] is False
    assert curve["layout"]["margin"] == {"l": 40, "r": 8, "t": 6, "b": 34}
    assert curve["layout"]["xaxis"]["title"]["text"] == "Iteration"
    assert forest["layout"]["yaxis"]["range"] == [1.5, -0.5]  # two arms, table row spacing
    assert {trace["marker"]["size"] for trace in forest["data"]} == {7}
    assert (
        go.Figure(layout={"template": "simple_white"}).to_dict()["layout"]["template"]
        == SIMPLE_WHITE
    )
    assert learning_curve_figure("Paid", [_point(1, "A")], axis_title="x")["layout"]["font"] == {
        "family": FONT_FAMILY,
        "size": 16,
        "color": TEXT_COLOUR,
    }
