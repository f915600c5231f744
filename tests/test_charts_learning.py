"""The learning page's pure chart builders: rows in, figures and table rows out."""

from __future__ import annotations

import math
from datetime import date

from tracker.charts import learning, null_value


def _row(comparison: str, iteration: int | None, arm: str = "A", **fields: object) -> dict:
    base = {
        "comparison": comparison,
        "metric": "m",
        "iteration": iteration,
        "arm": arm,
        "baseline": "control",
        "method": "difference:z_test",
        "estimate": 0.1,
        "ci_low": 0.0,
        "ci_high": 0.2,
        "p_value": 0.05,
        "n": [100.0, 100.0],
        "scale": "difference",
        "mode": "fixed_horizon",
    }
    return {**base, **fields}


def test_learning_points_take_arm_vs_control_rows_in_iteration_order() -> None:
    rows = [
        _row("arm_vs_control", 2, estimate=0.2),
        _row("arm_vs_control", 1),
        _row("effect_across_iterations", 2),
        _row("arm_vs_control", 1, metric="other"),
        _row("arm_vs_control", 1, arm="B", ci_low=None),
    ]
    points = learning.learning_points(rows, {1: "first", 2: "second"})
    assert set(points) == {"m", "other"}
    assert [(p.iteration, p.arm) for p in points["m"]] == [(1, "A"), (1, "B"), (2, "A")]
    assert points["m"][0].what_changed == "first" and points["m"][0].n == 200
    assert points["m"][1].ci_low is None
    assert learning.iteration_count(points["m"]) == 2


def test_across_rows_are_ordered_same_arm_effect_omnibus_trend() -> None:
    rows = [
        _row("trend_across_iterations", None),
        _row("omnibus_across_iterations", None),
        _row("effect_across_iterations", 3),
        _row("arm_across_iterations", 3),
        _row("arm_across_iterations", 2),
        _row("arm_vs_control", 1),
        _row("arm_across_iterations", 2, metric="other"),
    ]
    chosen = learning.across_rows(rows, "m")
    assert [(r["comparison"], r["iteration"]) for r in chosen] == [
        ("arm_across_iterations", 2),
        ("arm_across_iterations", 3),
        ("effect_across_iterations", 3),
        ("omnibus_across_iterations", None),
        ("trend_across_iterations", None),
    ]


def test_learning_curve_has_a_trace_per_arm_with_error_bars_and_what_changed() -> None:
    rows = [
        _row("arm_vs_control", 1, estimate=0.1, ci_low=0.05, ci_high=0.2),
        _row("arm_vs_control", 2, estimate=0.3, ci_low=0.1, ci_high=0.4),
        _row("arm_vs_control", 2, arm="<b>B</b>"),
    ]
    points = learning.learning_points(rows, {1: "one", 2: "two"})["m"]
    figure = learning.learning_curve_figure("Metric", points, axis_title="Effect")
    assert [trace["name"] for trace in figure["data"]] == ["A", "&lt;b&gt;B&lt;/b&gt;"]
    first = figure["data"][0]
    assert first["x"] == ["v1", "v2"] and first["y"] == [0.1, 0.3]
    assert [round(v, 9) for v in first["error_y"]["array"]] == [0.1, 0.1]
    assert [round(v, 9) for v in first["error_y"]["arrayminus"]] == [0.05, 0.2]
    assert first["customdata"] == ["one", "two"]
    assert figure["layout"]["shapes"][0]["y0"] == 0.0  # the no-effect line


def test_null_value_by_scale() -> None:
    assert null_value("ratio") == 1.0
    assert null_value("odds_ratio") == 1.0
    assert null_value("probability") == 0.5
    assert null_value("difference") == 0.0


def test_non_finite_numbers_become_none() -> None:
    points = learning.learning_points([_row("arm_vs_control", 1, ci_high=math.inf)], {})
    assert points["m"][0].ci_high is None


def test_cumulative_sample_adds_up_and_draws_the_plan_and_decisions() -> None:
    samples = learning.sample_points([(2, date(2024, 2, 1), 300), (1, date(2024, 1, 1), 200)])
    assert [(s.iteration, s.added, s.cumulative) for s in samples] == [(1, 200, 200), (2, 300, 500)]
    figure = learning.cumulative_sample_figure(samples, 1000, [(date(2024, 1, 15), "v1: adapt")])
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Units analysed so far", "Planned sample (1,000)", "Decision"]
    assert figure["data"][0]["x"] == ["2024-01-01", "2024-02-01"]
    assert figure["data"][1]["y"] == [1000, 1000]
    assert figure["data"][2]["customdata"] == ["v1: adapt"]


def test_cumulative_sample_without_dates_uses_iterations() -> None:
    samples = learning.sample_points([(1, None, 10)])
    figure = learning.cumulative_sample_figure(samples, None)
    assert [trace["name"] for trace in figure["data"]] == ["Units analysed so far"]
    assert figure["data"][0]["x"] == ["v1"]
