"""Figures as plain plotly JSON (dicts and lists), and the pieces every chart shares.

plotly's graph_objects validate every property on every assignment, which cost most of a chart
page's time; the browser only needs the JSON, so the charts build the dicts plotly.js reads and
tests/test_charts_plain.py checks that plotly accepts each kind. Shared values (the template,
shapes, title and legend placement) are built here once, so the chart modules hold no copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.io
from plotly.io.json import to_json_plotly

# A figure and its parts as plotly.js reads them: {"data": [trace, ...], "layout": {...}}.
Figure = dict[str, Any]
Trace = dict[str, Any]
Layout = dict[str, Any]

FONT_FAMILY = '"GDS Transport", arial, sans-serif'
TEXT_COLOUR = "#0b0c0c"
GRID_COLOUR = "#b1b4b6"  # GOV.UK mid grey
# Grid lines on a value axis: the values are read against them.
GRID: Mapping[str, Any] = {"showgrid": True, "gridcolor": GRID_COLOUR}
# The legend under the plot, so a phone-width chart keeps its plot area.
LEGEND_BELOW: Mapping[str, Any] = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": -0.3,
    "yanchor": "top",
}


def _template(name: str) -> Layout:
    """A plotly template in full, as go.Figure(template=name) writes it into the layout."""
    template: Layout = plotly.io.templates[name].to_plotly_json()
    return template


# Built once at import (the template registry validates them) and shared by every figure, so
# never changed. PLOTLY is plotly's default, the look of a chart that names no template.
SIMPLE_WHITE = _template("simple_white")
PLOTLY = _template("plotly")


def font(size: int) -> dict[str, Any]:
    """The GOV.UK typeface and text colour at `size` pixels."""
    return {"family": FONT_FAMILY, "size": size, "color": TEXT_COLOUR}


def themed(**layout: Any) -> Layout:
    """A layout on the simple_white template in the GOV.UK typeface (16 px unless given)."""
    return {"template": SIMPLE_WHITE, "font": font(16), **layout}


def title_above(text: str) -> dict[str, Any]:
    """A title from the figure's left edge (the plot area starts too far in on a phone); its
    automargin moves the plot down to make room for every line of it."""
    return {
        "text": text,
        "x": 0,
        "xref": "container",
        "y": 1,
        "yref": "paper",
        "yanchor": "bottom",
        "automargin": True,
        "pad": {"b": 16},
    }


def figure(data: Sequence[Trace], layout: Layout) -> Figure:
    """A figure from its traces and layout."""
    return {"data": list(data), "layout": layout}


def horizontal_line(y: float, line: Mapping[str, Any]) -> dict[str, Any]:
    """A line across the whole plot at y (what plotly's add_hline draws)."""
    return {
        "type": "line",
        "line": dict(line),
        "x0": 0,
        "x1": 1,
        "xref": "x domain",
        "y0": y,
        "y1": y,
        "yref": "y",
    }


def vertical_line(x: float, line: Mapping[str, Any]) -> dict[str, Any]:
    """A line from the bottom to the top of the plot at x (what plotly's add_vline draws)."""
    return {
        "type": "line",
        "line": dict(line),
        "x0": x,
        "x1": x,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
    }


def merge(target: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Apply `changes` to `target` the way plotly's update_layout does: nested dicts are
    merged key by key, anything else replaces the old value."""
    for key, value in changes.items():
        old = target.get(key)
        if isinstance(value, Mapping) and isinstance(old, dict):
            merge(old, value)
        elif isinstance(value, Mapping):
            target[key] = {}
            merge(target[key], value)
        else:
            target[key] = value


def figure_json(chart: Figure) -> str:
    """The figure as JSON that is safe inside <script type="application/json">.

    plotly's encoder writes <, > and / as \\u escapes (and NaN as null); replacing any left over
    keeps a future JSON engine from letting "</script>" in an arm's name end the script early.
    """
    text: str = to_json_plotly(chart)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
