"""The policy journey chart: the stage a policy was at, over time, from its stage decisions.

Pure: stage visits in, a plotly JSON figure out. The page lists the same visits in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from tracker.charts import ARM_COLOURS, plotly_text
from tracker.charts.figures import GRID, Figure, figure, themed
from tracker.models.enums import PolicyStage

if TYPE_CHECKING:
    from tracker.services.journey import StageVisit


def stage_path_figure(visits: Sequence[StageVisit], today: date) -> Figure:
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
    trace = {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines+markers",
        "line": {"shape": "hv", "color": ARM_COLOURS[0], "width": 3},
        "marker": {"size": 10, "color": ARM_COLOURS[0]},
        "customdata": [plotly_text(item) for item in text]
        + [f"Still at {y[-1]} today"] * (len(x) - len(text)),
        "hovertemplate": "%{customdata}<extra></extra>",
        "name": "Stage",
    }
    layout = themed(
        showlegend=False,
        height=360,
        margin={"l": 100, "r": 20, "t": 20, "b": 50},
        xaxis={"title": {"text": "Date"}, **GRID},
        yaxis={
            "title": {"text": "Stage"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": stages,
            "range": [-0.5, len(stages) - 0.5],
            **GRID,
        },
    )
    return figure([trace], layout)
