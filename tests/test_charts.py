"""The pilot chart: its numbers, its traces, and the table rows that are its text alternative."""

from __future__ import annotations

import html
import json
import math

import pytest

from tracker import charts
from tracker.models import Arm, ArmResult, Iteration, Metric, Pilot, Policy
from tracker.models.enums import Direction, MetricKind, PilotDesign, PolicyStage
from tracker.services.overviews import ArmView, IterationView, PilotOverview

BINARY = Metric(
    id=1,
    policy_id=1,
    key="paid",
    name="Paid on time",
    kind=MetricKind.BINARY,
    direction=Direction.INCREASE,
    unit="share of accounts",
)
CONTINUOUS = Metric(
    id=2,
    policy_id=1,
    key="amount",
    name="Amount paid",
    kind=MetricKind.CONTINUOUS,
    direction=Direction.INCREASE,
    unit="pounds",
)
COUNT = Metric(
    id=3,
    policy_id=1,
    key="calls",
    name="Calls",
    kind=MetricKind.COUNT,
    direction=Direction.DECREASE,
    unit="calls per person-month",
)


def _arm(name: str, control: bool, *results: ArmResult) -> ArmView:
    arm = Arm(name=name, is_control=control, allocation=0.5, iteration_id=1)
    return ArmView(arm, {result.metric_id: result for result in results})


def _iteration(number: int, *arms: ArmView) -> IterationView:
    iteration = Iteration(id=number, number=number, pilot_id=1)
    return IterationView(iteration=iteration, arms=list(arms), decision=None)


def _overview(*iterations: IterationView) -> PilotOverview:
    policy = Policy(
        id=1, slug="p", title="P", team="T", problem_statement="x", stage=PolicyStage.ALPHA
    )
    pilot = Pilot(id=1, policy_id=1, slug="q", title="Q", design=PilotDesign.AB_TEST)
    return PilotOverview(
        pilot=pilot,
        policy=policy,
        metrics=[BINARY, CONTINUOUS, COUNT],
        hypotheses=[],
        plans=[],
        iterations=list(iterations),
    )


def _binary(n: int, successes: int) -> ArmResult:
    return ArmResult(arm_id=1, metric_id=1, n=n, successes=successes)


TWO_ITERATIONS = _overview(
    _iteration(1, _arm("Letter", True, _binary(100, 30)), _arm("Text", False, _binary(100, 40))),
    _iteration(
        2,
        _arm("Letter", True, _binary(200, 62)),
        _arm("Text", False, _binary(200, 81)),
        _arm("Text and link", False, _binary(200, 90)),
    ),
)


def test_binary_estimate_is_the_proportion_with_the_statsmodels_wilson_interval() -> None:
    from statsmodels.stats.proportion import proportion_confint

    estimate = charts.binary_estimate(100, 30)
    lower, upper = proportion_confint(30, 100, alpha=0.05, method="wilson")
    assert estimate.value == pytest.approx(0.30)
    assert (estimate.lower, estimate.upper) == (pytest.approx(lower), pytest.approx(upper))
    assert estimate.lower == pytest.approx(0.2189, abs=1e-4)


def test_continuous_estimate_is_the_mean_plus_or_minus_1_96_standard_errors() -> None:
    estimate = charts.continuous_estimate(n=100, mean=50.0, sd=10.0)
    assert estimate.value == 50.0
    assert estimate.lower == pytest.approx(50 - 1.959964 * 1.0)
    assert estimate.upper == pytest.approx(50 + 1.959964 * 1.0)
    assert charts.continuous_estimate(n=10, mean=5.0, sd=None) == charts.Estimate(5.0)


def test_count_estimate_is_total_over_exposure() -> None:
    assert charts.count_estimate(n=10, total=30.0, exposure=12.0).value == pytest.approx(2.5)
    assert charts.count_estimate(n=10, total=30.0, exposure=None).value == pytest.approx(3.0)


@pytest.mark.parametrize(
    "estimate",
    [
        charts.binary_estimate(0, 0),
        charts.binary_estimate(10, None),
        charts.continuous_estimate(0, 1.0, 1.0),
        charts.count_estimate(0, 5.0, None),
    ],
)
def test_empty_or_incomplete_results_give_no_estimate_rather_than_an_error(
    estimate: charts.Estimate,
) -> None:
    assert estimate.value is None


def test_chart_uses_the_first_reported_metric_and_one_trace_per_arm() -> None:
    chart = charts.pilot_outcome_chart(TWO_ITERATIONS)
    assert chart is not None
    assert chart.metric is BINARY
    data, layout = chart.figure["data"], chart.figure["layout"]
    assert [trace["name"] for trace in data] == ["Letter", "Text", "Text and link"]
    letter = data[0]
    assert letter["x"] == ["v1", "v2"]
    assert letter["y"] == pytest.approx([0.30, 0.31])
    assert layout["title"]["text"].startswith("Paid on time")
    assert layout["yaxis"]["title"]["text"] == "Percentage"
    assert layout["xaxis"]["title"]["text"] == "Iteration"
    assert letter["marker"]["color"] == charts.CONTROL_COLOUR
    assert data[1]["marker"]["color"] == charts.ARM_COLOURS[0]


def test_table_rows_and_figure_come_from_the_same_numbers() -> None:
    chart = charts.pilot_outcome_chart(TWO_ITERATIONS)
    assert chart is not None
    assert [(row.iteration, row.arm, row.n) for row in chart.rows] == [
        (1, "Letter", 100),
        (1, "Text", 100),
        (2, "Letter", 200),
        (2, "Text", 200),
        (2, "Text and link", 200),
    ]
    for trace in chart.figure["data"]:
        rows = [row for row in chart.rows if row.arm == trace["name"]]
        assert trace["y"] == [row.estimate.value for row in rows]
        assert trace["error_y"]["array"] == pytest.approx(
            [(row.estimate.upper or 0) - (row.estimate.value or 0) for row in rows]
        )
        assert trace["error_y"]["arrayminus"] == pytest.approx(
            [(row.estimate.value or 0) - (row.estimate.lower or 0) for row in rows]
        )
        assert trace["customdata"] == [row.n for row in rows]


def test_y_range_covers_every_interval_without_stretching_to_zero() -> None:
    chart = charts.pilot_outcome_chart(TWO_ITERATIONS)
    assert chart is not None
    low, high = chart.figure["layout"]["yaxis"]["range"]
    assert 0 < low < min(row.estimate.lower or 1 for row in chart.rows)
    assert max(row.estimate.upper or 0 for row in chart.rows) < high <= 1


def test_continuous_and_count_metrics_chart_their_own_estimates() -> None:
    overview = _overview(
        _iteration(
            1,
            _arm(
                "Control",
                True,
                ArmResult(arm_id=1, metric_id=2, n=25, mean=10.0, sd=5.0),
                ArmResult(arm_id=1, metric_id=3, n=25, total=50.0, exposure=20.0),
            ),
        )
    )
    assert overview.reported_metrics() == [CONTINUOUS, COUNT]
    [mean_row] = charts.outcome_rows(overview, CONTINUOUS)
    assert mean_row.estimate.lower == pytest.approx(10 - 1.959964 * 5 / math.sqrt(25))
    [rate_row] = charts.outcome_rows(overview, COUNT)
    assert rate_row.estimate == charts.Estimate(2.5)
    figure = charts.outcome_figure(COUNT, [rate_row])
    assert figure["layout"]["yaxis"]["title"]["text"] == "Rate, calls per person-month"
    assert figure["data"][0]["error_y"]["visible"] is False
    assert charts.value_axis_title(CONTINUOUS) == "Mean, pounds"


def test_no_results_means_no_chart() -> None:
    assert charts.pilot_outcome_chart(_overview(_iteration(1, _arm("Control", True)))) is None


def test_figure_json_cannot_close_its_script_element() -> None:
    hostile = "</script><script>alert(1)</script>"
    overview = _overview(_iteration(1, _arm(hostile, True, _binary(10, 5))))
    chart = charts.pilot_outcome_chart(overview)
    assert chart is not None
    text = charts.figure_json(chart.figure)
    assert "<" not in text and ">" not in text
    # Escaped for plotly's pseudo-HTML labels too, which draw entities as the characters.
    assert json.loads(text)["data"][0]["name"] == html.escape(hostile, quote=False)


def test_user_text_in_labels_is_shown_not_interpreted_by_plotly() -> None:
    metric = Metric.model_validate({**BINARY.model_dump(), "name": "Paid <b>on time</b>"})
    title = charts.chart_title(metric)
    assert "Paid &lt;b&gt;on time&lt;/b&gt;" in title
    assert "<b>" not in title
