"""The forest plot of an iteration's results: each arm's effect against control, with its CI.

Pure: comparison rows (as `tracker analyse --json` prints them) in, a plotly JSON figure out. The
page's table is built from the same rows, so the chart and its alternative show one set of numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.charts import ARM_COLOURS, null_value, plotly_text
from tracker.charts.figures import PLOTLY, TEXT_COLOUR, Figure, figure, font, vertical_line


@dataclass(frozen=True)
class ForestPoint:
    """One arm against control: the estimate and its interval (none where not computed)."""

    arm: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


def forest_figure(points: Sequence[ForestPoint], *, scale: str, axis_title: str) -> Figure:
    """Arms down the side, effects along the bottom, a dashed line at no effect."""
    shown = [p for p in points if p.estimate is not None]
    trace = {
        "type": "scatter",
        "x": [p.estimate for p in shown],
        "y": [plotly_text(p.arm) for p in shown],
        "mode": "markers",
        "name": "Effect against control",
        "marker": {"color": ARM_COLOURS[0], "size": 10, "symbol": "square"},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [
                (p.ci_high - p.estimate) if p.ci_high is not None and p.estimate is not None else 0
                for p in shown
            ],
            "arrayminus": [
                (p.estimate - p.ci_low) if p.ci_low is not None and p.estimate is not None else 0
                for p in shown
            ],
            "color": ARM_COLOURS[0],
            "thickness": 2,
            "width": 6,
        },
        "hovertemplate": "%{y}: %{x:.4g}<extra></extra>",
    }
    no_effect = vertical_line(null_value(scale), {"color": TEXT_COLOUR, "dash": "dash", "width": 1})
    layout = {
        "template": PLOTLY,  # the default look it has always had, on white (set below)
        "shapes": [no_effect],
        "font": font(14),
        "showlegend": False,
        "margin": {"l": 10, "r": 20, "t": 20, "b": 50},
        "height": max(220, 60 + 50 * len(shown)),
        "xaxis": {
            "title": {"text": plotly_text(axis_title)},
            "zeroline": False,
            "type": "log" if scale == "ratio" else "linear",
        },
        "yaxis": {"autorange": "reversed", "automargin": True},
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }
    return figure([trace], layout)
