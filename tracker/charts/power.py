"""The planner's power curve: power against sample size or against the effect (pure builder)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from tracker.charts import FONT_FAMILY, TEXT_COLOUR, plotly_text

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
) -> go.Figure:
    """The power curve, a dashed line at the target power and a marker at the planner's answer.

    With `percentage_points`, x values are differences in proportions drawn ×100, so the axis
    reads in points as the answer and the table do (a % axis would round 1.5 points to "2%").
    """
    figure = go.Figure()
    scale = 100.0 if percentage_points else 1.0
    x_format = ":,.2~f" if percentage_points else ":,.3~f"
    figure.add_trace(
        go.Scatter(
            name="Power",
            x=[scale * point.x for point in points],
            y=[point.power for point in points],
            mode="lines",
            line={"color": CURVE_COLOUR, "width": 3},
            hovertemplate="%{x" + x_format + "}: power %{y:.1%}<extra></extra>",
        )
    )
    if answer_x is not None:
        figure.add_trace(
            go.Scatter(
                name="Answer",
                x=[scale * answer_x],
                y=[target_power],
                mode="markers",
                marker={"color": TARGET_COLOUR, "size": 12, "symbol": "diamond"},
                hovertemplate="%{x" + x_format + "}: power %{y:.1%}<extra></extra>",
            )
        )
    figure.add_hline(
        y=target_power,
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        annotation_text=f"Target power {target_power:.0%}",
        annotation_position="bottom right",
    )
    figure.update_layout(
        template="simple_white",
        font={"family": FONT_FAMILY, "size": 16, "color": TEXT_COLOUR},
        showlegend=False,
        margin={"l": 80, "r": 20, "t": 20, "b": 60},
        height=420,
        xaxis={
            "title": {"text": plotly_text(x_title)},
            "tickformat": ",~g",
            "showgrid": True,
            "gridcolor": "#b1b4b6",
        },
        yaxis={
            "title": {"text": "Power"},
            "tickformat": ".0%",
            "range": [0, 1.02],
            "showgrid": True,
            "gridcolor": "#b1b4b6",
        },
    )
    return figure
