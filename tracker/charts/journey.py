"""The policy journey chart: the stage a policy was at, over time, from its stage decisions.

Pure: stage visits in, a plotly Figure out. The page lists the same visits in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from tracker.charts import ARM_COLOURS, FONT_FAMILY, TEXT_COLOUR, plotly_text
from tracker.models.enums import PolicyStage

if TYPE_CHECKING:
    from tracker.services.journey import StageVisit


def stage_path_figure(visits: Sequence[StageVisit], today: date) -> go.Figure:
    """A step line through the stages (idea at the bottom, retired at the top), one step per
    stage decision, carried on to today while the policy stays at its current stage."""
    stages = [stage.value.capitalize() for stage in PolicyStage]
    x = [visit.entered_on.isoformat() for visit in visits]
    y = [visit.stage.value.capitalize() for visit in visits]
    if visits and visits[-1].left_on is None and today > visits[-1].entered_on:
        x.append(today.isoformat())
        y.append(y[-1])
    text = [
        f"{visit.stage.value.capitalize()} from {visit.entered_on:%-d %B %Y}" for visit in visits
    ]
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            line={"shape": "hv", "color": ARM_COLOURS[0], "width": 3},
            marker={"size": 10, "color": ARM_COLOURS[0]},
            customdata=[plotly_text(item) for item in text]
            + [f"Still at {y[-1]} today"] * (len(x) - len(text)),
            hovertemplate="%{customdata}<extra></extra>",
            name="Stage",
        )
    )
    figure.update_layout(
        template="simple_white",
        font={"family": FONT_FAMILY, "size": 16, "color": TEXT_COLOUR},
        showlegend=False,
        height=360,
        margin={"l": 100, "r": 20, "t": 20, "b": 50},
        xaxis={"title": {"text": "Date"}, "showgrid": True, "gridcolor": "#b1b4b6"},
        yaxis={
            "title": {"text": "Stage"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": stages,
            "range": [-0.5, len(stages) - 0.5],
            "showgrid": True,
            "gridcolor": "#b1b4b6",
        },
    )
    return figure
