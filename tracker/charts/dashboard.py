"""Pure builders for the portfolio dashboard: the pipeline of policies and pilots by status.

Plain values in (the service's counts, already computed from records), plotly figures out, so the
chart and the table beside it show the same numbers. No Flask and no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tracker.charts import ARM_COLOURS, CONTROL_COLOUR, FONT_FAMILY, TEXT_COLOUR, plotly_text

# Red, amber and green dark enough for 3:1 contrast with the white background (WCAG 1.4.11),
# each with its own fill pattern so the colours are not the only way to tell them apart.
RAG_STYLE = {
    "red": ("Red", "#d4351c", "x"),
    "amber": ("Amber", "#cc6a00", "/"),
    "green": ("Green", "#00703c", ""),
}
GRID_COLOUR = "#b1b4b6"


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


def _layout(figure: go.Figure, title: str, *, height: int, top: int) -> None:
    """Title, fonts, legend and margins shared by the dashboard's charts.

    Titles are one short line at the top of the figure and the legend sits at its very bottom,
    with margins of fixed size: plotly's title `automargin` shifted the bar layer away from its
    own axis (a bar of 4 drawn above the gridline at 4), and multi-line titles without it are
    anchored by their first line, so they ran into the plot on a phone.
    """
    figure.update_layout(
        title={
            "text": plotly_text(title),
            "x": 0,
            "xref": "container",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 8},
        },
        template="simple_white",
        font={"family": FONT_FAMILY, "size": 16, "color": TEXT_COLOUR},
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
    )


def pipeline_figure(bars: Sequence[StageBar]) -> go.Figure:
    """Policies per stage (top) and days since the decision that put them there (bottom:
    median and longest), stages in pipeline order along a shared axis."""
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=("Policies at each stage", "Days in the current stage"),
    )
    stages = [plotly_text(bar.stage) for bar in bars]
    figure.add_trace(
        go.Bar(
            x=stages,
            y=[bar.count for bar in bars],
            name="Policies",
            showlegend=False,  # the subplot's title names it; the legend is for the days
            marker={"color": ARM_COLOURS[0]},
            text=[str(bar.count) for bar in bars],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y} policies<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for name, values, colour in (
        ("Median days", [bar.median_days for bar in bars], ARM_COLOURS[4]),
        ("Longest days", [bar.longest_days for bar in bars], CONTROL_COLOUR),
    ):
        figure.add_trace(
            go.Bar(
                x=stages,
                y=values,
                name=name,
                marker={"color": colour},
                hovertemplate="%{x}: %{y:,.1~f} days<extra>" + name + "</extra>",
            ),
            row=2,
            col=1,
        )
    _layout(figure, "Policies by stage", height=640, top=80)
    figure.update_layout(barmode="group", bargap=0.3)
    figure.update_yaxes(rangemode="tozero", showgrid=True, gridcolor=GRID_COLOUR, tickformat=",~d")
    figure.update_yaxes(title_text="Policies", row=1, col=1)
    figure.update_yaxes(title_text="Days", row=2, col=1)
    figure.update_xaxes(type="category")
    return figure


def pilot_status_figure(bars: Sequence[StatusBar]) -> go.Figure:
    """Pilots per status, each bar split into red, amber and green (stacked, patterned)."""
    figure = go.Figure()
    statuses = [plotly_text(bar.status) for bar in bars]
    for key, (name, colour, pattern) in RAG_STYLE.items():
        figure.add_trace(
            go.Bar(
                x=statuses,
                y=[bar.by_rag.get(key, 0) for bar in bars],
                name=name,
                marker={
                    "color": colour,
                    "pattern": {"shape": pattern, "fgcolor": "#ffffff", "solidity": 0.3},
                },
                hovertemplate="%{x}: %{y} " + name.lower() + "<extra></extra>",
            )
        )
    _layout(figure, "Pilots by status and RAG", height=460, top=56)
    figure.update_layout(barmode="stack", bargap=0.3)
    figure.update_xaxes(title_text="Status", type="category")
    figure.update_yaxes(
        title_text="Pilots",
        rangemode="tozero",
        showgrid=True,
        gridcolor=GRID_COLOUR,
        tickformat=",~d",
    )
    return figure
