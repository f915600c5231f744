"""The forest plot builder: one point per arm with its interval, and the no-effect line."""

from __future__ import annotations

from tracker.charts.forest import ForestPoint, forest_figure


def test_points_and_asymmetric_intervals() -> None:
    figure = forest_figure(
        [ForestPoint("A", 1.5, 1.2, 2.0), ForestPoint("B", 0.8, 0.5, 1.1)],
        scale="ratio",
        axis_title="Ratio",
    )
    [trace] = figure["data"]
    assert trace["y"] == ["A", "B"] and trace["x"] == [1.5, 0.8]
    assert trace["error_x"]["array"] == [0.5, 0.30000000000000004]
    assert [round(v, 10) for v in trace["error_x"]["arrayminus"]] == [0.3, 0.3]
    assert figure["layout"]["xaxis"]["type"] == "log"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Ratio"
    [line] = figure["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 1.0


def test_differences_have_their_null_at_zero_and_skip_missing_estimates() -> None:
    figure = forest_figure(
        [ForestPoint("A", -2.0, -3.0, -1.0), ForestPoint("B", None, None, None)],
        scale="difference",
        axis_title="Difference",
    )
    [trace] = figure["data"]
    assert trace["y"] == ["A"] and trace["x"] == [-2.0]
    assert figure["layout"]["xaxis"]["type"] == "linear"
    assert figure["layout"]["shapes"][0]["x0"] == 0.0


def test_a_missing_interval_draws_no_bar() -> None:
    [trace] = forest_figure(
        [ForestPoint("A", 3.0, None, None)], scale="difference", axis_title="x"
    )["data"]
    assert trace["error_x"]["array"] == [0] and trace["error_x"]["arrayminus"] == [0]


def test_arm_names_and_axis_titles_are_shown_not_obeyed() -> None:
    """plotly reads <b>, <a href> and friends in labels; a person's text must be shown as typed."""
    figure = forest_figure(
        [ForestPoint("<b>A</b> & co", 1.5, 1.2, 2.0)], scale="ratio", axis_title="<i>Odds</i>"
    )
    assert figure["data"][0]["y"] == ["&lt;b&gt;A&lt;/b&gt; &amp; co"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "&lt;i&gt;Odds&lt;/i&gt;"
