"""Pure builders for the portfolio dashboard: the pipeline of policies and pilots by status.

Plain values in (the service's counts, already computed from records), plotly JSON figures out, so
the chart and the table beside it show the same numbers. No Flask and no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracker.charts import ARM_COLOURS, CONTROL_COLOUR, plotly_text
from tracker.charts.figures import GRID, Figure, Layout, figure, themed

# Red, amber and green dark enough for 3:1 contrast with the white background (WCAG 1.4.11),
# each with its own fill pattern so the colours are not the only way to tell them apart.
RAG_STYLE = {
    "red": ("Red", "#d4351c", "x"),
    "amber": ("Amber", "#cc6a00", "/"),
    "green": ("Green", "#00703c", ""),
}
# A count axis: from zero, whole numbers only, with grid lines.
COUNT_AXIS = {"rangemode": "tozero", **GRID, "tickformat": ",~d"}
# The pipeline's two rows as plotly's make_subplots(rows=2, shared_xaxes=True,
# vertical_spacing=0.12) lays them out: each row 0.44 of the height, one x axis drawn at the
# bottom (the top one matches it and hides its labels).
UPPER, LOWER = [0.56, 1.0], [0.0, 0.44]


@dataclass(frozen=True)
class StageBar:
    """One stage of the pipeline: how many policies, and their days in the stage."""

    stage: str
    count: int
    median_days: float | None
    longest_days: int | None


@dataclass(frozen=True)
class StatusBar:
    """One pilot status, with how many of its pilots are red, amber and green."""

    status: str
    by_rag: dict[str, int]


def _layout(title: str, *, height: int, top: int, **layout: Any) -> Layout:
    """Title, fonts, legend and margins shared by the dashboard's charts.

    Titles are one short line at the top of the figure and the legend sits at its very bottom,
    with margins of fixed size: plotly's title `automargin` shifted the bar layer away from its
    own axis (a bar of 4 drawn above the gridline at 4), and multi-line titles without it are
    anchored by their first line, so they ran into the plot on a phone.
    """
    return themed(
        title={
            "text": plotly_text(title),
            "x": 0,
            "xref": "container",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 8},
        },
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
        },
        margin={"l": 70, "r": 20, "t": top, "b": 110},
        height=height,
        bargap=0.3,
        **layout,
    )


def _subplot_title(text: str, top: float) -> dict[str, Any]:
    """A row's title centred above it, as make_subplots' subplot_titles places it."""
    return {
        "text": text,
        "font": {"size": 16},
        "showarrow": False,
        "x": 0.5,
        "xanchor": "center",
        "xref": "paper",
        "y": top,
        "yanchor": "bottom",
        "yref": "paper",
    }


def pipeline_figure(bars: Sequence[StageBar]) -> Figure:
    """Policies per stage (top) and days since the decision that put them there (bottom:
    median and longest), stages in pipeline order along a shared axis."""
    stages = [plotly_text(bar.stage) for bar in bars]
    policies = {
        "type": "bar",
        "x": stages,
        "y": [bar.count for bar in bars],
        "xaxis": "x",
        "yaxis": "y",
        "name": "Policies",
        "showlegend": False,  # the subplot's title names it; the legend is for the days
        "marker": {"color": ARM_COLOURS[0]},
        "text": [str(bar.count) for bar in bars],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}: %{y} policies<extra></extra>",
    }
    days = [
        {
            "type": "bar",
            "x": stages,
            "y": values,
            "xaxis": "x2",
            "yaxis": "y2",
            "name": name,
            "marker": {"color": colour},
            "hovertemplate": "%{x}: %{y:,.1~f} days<extra>" + name + "</extra>",
        }
        for name, values, colour in (
            ("Median days", [bar.median_days for bar in bars], ARM_COLOURS[4]),
            ("Longest days", [bar.longest_days for bar in bars], CONTROL_COLOUR),
        )
    ]
    layout = _layout(
        "Policies by stage",
        height=640,
        top=80,
        barmode="group",
        xaxis={
            "anchor": "y",
            "domain": [0.0, 1.0],
            "matches": "x2",
            "showticklabels": False,
            "type": "category",
        },
        yaxis={"anchor": "x", "domain": UPPER, **COUNT_AXIS, "title": {"text": "Policies"}},
        xaxis2={"anchor": "y2", "domain": [0.0, 1.0], "type": "category"},
        yaxis2={"anchor": "x2", "domain": LOWER, **COUNT_AXIS, "title": {"text": "Days"}},
        annotations=[
            _subplot_title("Policies at each stage", UPPER[1]),
            _subplot_title("Days in the current stage", LOWER[1]),
        ],
    )
    return figure([policies, *days], layout)


def pilot_status_figure(bars: Sequence[StatusBar]) -> Figure:
    """Pilots per status, each bar split into red, amber and green (stacked, patterned)."""
    statuses = [plotly_text(bar.status) for bar in bars]
    traces = [
        {
            "type": "bar",
            "x": statuses,
            "y": [bar.by_rag.get(key, 0) for bar in bars],
            "name": name,
            "marker": {
                "color": colour,
                "pattern": {"shape": pattern, "fgcolor": "#ffffff", "solidity": 0.3},
            },
            "hovertemplate": "%{x}: %{y} " + name.lower() + "<extra></extra>",
        }
        for key, (name, colour, pattern) in RAG_STYLE.items()
    ]
    layout = _layout(
        "Pilots by status and RAG",
        height=460,
        top=56,
        barmode="stack",
        xaxis={"title": {"text": "Status"}, "type": "category"},
        yaxis={"title": {"text": "Pilots"}, **COUNT_AXIS},
    )
    return figure(traces, layout)
