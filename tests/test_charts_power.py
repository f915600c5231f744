"""The planner's power curve builder: pure data → plotly JSON figure."""

from __future__ import annotations

import json

from tracker.charts import figure_json
from tracker.charts.power import CurvePoint, power_curve_figure


def test_curve_answer_and_target_line() -> None:
    points = [CurvePoint(10, 0.2), CurvePoint(50, 0.6), CurvePoint(100, 0.9)]
    figure = power_curve_figure(
        points, x_title="Participants in the control arm", target_power=0.8, answer_x=76.7
    )
    curve, answer = figure["data"]
    layout = figure["layout"]
    assert curve["x"] == [10, 50, 100] and curve["y"] == [0.2, 0.6, 0.9]
    assert answer["x"] == [76.7] and answer["y"] == [0.8]
    assert layout["yaxis"]["tickformat"] == ".0%"
    assert layout["xaxis"]["title"]["text"] == "Participants in the control arm"
    (line,) = layout["shapes"]
    assert line["y0"] == line["y1"] == 0.8
    assert layout["annotations"][0]["text"] == "Target power 80%"


def test_effect_axis_in_percentage_points_and_no_answer_marker() -> None:
    figure = power_curve_figure(
        [CurvePoint(0.01, 0.1), CurvePoint(0.015, 0.3)],
        x_title="Difference (percentage points)",
        target_power=0.9,
        percentage_points=True,
    )
    assert len(figure["data"]) == 1
    # 0.015 is drawn at 1.5 points, not rounded to a whole percent on the axis.
    assert figure["data"][0]["x"] == [1.0, 1.5]
    assert figure["layout"]["xaxis"]["tickformat"] == ",~g"


def test_axis_title_is_escaped_and_json_is_script_safe() -> None:
    figure = power_curve_figure([CurvePoint(1, 0.5)], x_title="<b>n</b></script>", target_power=0.8)
    assert figure["layout"]["xaxis"]["title"]["text"] == "&lt;b&gt;n&lt;/b&gt;&lt;/script&gt;"
    text = figure_json(figure)
    assert "<" not in text
    assert json.loads(text)["data"][0]["x"] == [1]
