"""The planner's power curve: power against sample size or against the effect (pure builder
of a plotly JSON figure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.charts import plotly_text
from tracker.charts.figures import GRID, Figure, figure, horizontal_line, themed

CURVE_COLOUR = "#1d70b8"  # GOV.UK blue
TARGET_COLOUR = "#d4351c"  # GOV.UK red


@dataclass(frozen=True)
class CurvePoint:
    """One point of the curve: x (participants per control arm, or the effect) and its power."""

    x: float
    power: float


def power_curve_figure(
    points: Sequence[CurvePoint],
    *,
    x_title: str,
    target_power: float,
    answer_x: float | None = None,
    percentage_points: bool = False,
) -> Figure:
    """The power curve, a dashed line at the target power and a marker at the planner's answer.

    With `percentage_points`, x values are differences in proportions drawn ×100, so the axis
    reads in points as the answer and the table do (a % axis would round 1.5 points to "2%").
    """
    scale = 100.0 if percentage_points else 1.0
    hover = (
        "%{x" + (":,.2~f" if percentage_points else ":,.3~f") + "}: power %{y:.1%}<extra></extra>"
    )
    traces = [
        {
            "type": "scatter",
            "name": "Power",
            "x": [scale * point.x for point in points],
            "y": [point.power for point in points],
            "mode": "lines",
            "line": {"color": CURVE_COLOUR, "width": 3},
            "hovertemplate": hover,
        }
    ]
    if answer_x is not None:
        traces.append(
            {
                "type": "scatter",
                "name": "Answer",
                "x": [scale * answer_x],
                "y": [target_power],
                "mode": "markers",
                "marker": {"color": TARGET_COLOUR, "size": 12, "symbol": "diamond"},
                "hovertemplate": hover,
            }
        )
    target = {"color": TARGET_COLOUR, "dash": "dash", "width": 2}
    layout = themed(
        shapes=[horizontal_line(target_power, target)],
        annotations=[
            {
                "text": f"Target power {target_power:.0%}",
                "showarrow": False,
                "x": 1,
                "xanchor": "right",
                "xref": "x domain",
                "y": target_power,
                "yanchor": "top",
                "yref": "y",
            }
        ],
        showlegend=False,
        margin={"l": 80, "r": 20, "t": 20, "b": 60},
        height=420,
        xaxis={"title": {"text": plotly_text(x_title)}, "tickformat": ",~g", **GRID},
        yaxis={"title": {"text": "Power"}, "tickformat": ".0%", "range": [0, 1.02], **GRID},
    )
    return figure(traces, layout)
