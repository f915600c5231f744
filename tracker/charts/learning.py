"""Pure builders for the pilot learning page: comparison rows in, figures and table rows out.

The input is the list of comparison rows as `ComparisonRow.as_dict()` writes them (and as a
stored AnalysisRun keeps them), so a stored run and a live computation draw the same charts.
The figures are plotly JSON. No Flask and no database here.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tracker.charts import ARM_COLOURS, null_value, plotly_text
from tracker.charts.figures import (
    GRID,
    LEGEND_BELOW,
    TEXT_COLOUR,
    Figure,
    Layout,
    Trace,
    figure,
    horizontal_line,
    themed,
    title_above,
)

ACROSS_COMPARISONS = (
    "arm_across_iterations",
    "effect_across_iterations",
    "omnibus_across_iterations",
    "trend_across_iterations",
)
PLANNED_COLOUR = "#d4351c"
DECISION_COLOUR = "#505a5f"


@dataclass(frozen=True)
class LearningPoint:
    """The effect of one arm against control in one iteration: a point of the curve, a row."""

    metric: str
    arm: str
    iteration: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    scale: str
    method: str
    mode: str
    n: int
    what_changed: str


@dataclass(frozen=True)
class SamplePoint:
    """Units analysed by the end of one iteration, and in total so far."""

    iteration: int
    on: date | None
    added: int
    cumulative: int


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def learning_points(
    rows: Iterable[Mapping[str, Any]], what_changed: Mapping[int, str]
) -> dict[str, list[LearningPoint]]:
    """Arm-versus-control rows grouped by metric key, in iteration then arm order."""
    by_metric: dict[str, list[LearningPoint]] = {}
    for row in rows:
        if row.get("comparison") != "arm_vs_control" or row.get("iteration") is None:
            continue
        iteration = int(row["iteration"])
        by_metric.setdefault(row["metric"], []).append(
            LearningPoint(
                metric=row["metric"],
                arm=row["arm"],
                iteration=iteration,
                estimate=_number(row.get("estimate")),
                ci_low=_number(row.get("ci_low")),
                ci_high=_number(row.get("ci_high")),
                p_value=_number(row.get("p_value")),
                scale=str(row.get("scale", "")),
                method=str(row.get("method", "")),
                mode=str(row.get("mode", "")),
                n=int(sum(_number(value) or 0 for value in row.get("n", []))),
                what_changed=what_changed.get(iteration, ""),
            )
        )
    for points in by_metric.values():
        points.sort(key=lambda point: point.iteration)
    return by_metric


def across_rows(rows: Iterable[Mapping[str, Any]], metric: str) -> list[Mapping[str, Any]]:
    """The across-iteration tests of one metric: same arm, effect vs effect, omnibus, trend."""
    order = {name: index for index, name in enumerate(ACROSS_COMPARISONS)}
    chosen = [row for row in rows if row.get("metric") == metric and row.get("comparison") in order]
    return sorted(chosen, key=lambda row: (order[row["comparison"]], row.get("iteration") or 0))


def iteration_count(points: Sequence[LearningPoint]) -> int:
    return len({point.iteration for point in points})


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _layout(
    title: str,
    x_title: str,
    y_title: str,
    *,
    legend: Mapping[str, Any] = LEGEND_BELOW,
    xaxis: Mapping[str, Any] | None = None,
    yaxis: Mapping[str, Any] | None = None,
    **layout: Any,
) -> Layout:
    """The learning page's layout: a wrapped title above the plot, the legend below it."""
    return themed(
        title=title_above("<br>".join(textwrap.wrap(plotly_text(title), 30))),
        legend=dict(legend),
        margin={"l": 80, "r": 20, "t": 20, "b": 40},
        height=480,
        xaxis={"title": {"text": x_title}, **(xaxis or {})},
        yaxis={"title": {"text": plotly_text(y_title)}, **GRID, "gridwidth": 1, **(yaxis or {})},
        **layout,
    )


def learning_curve_figure(
    title: str,
    points: Sequence[LearningPoint],
    *,
    axis_title: str,
    interval_name: str = "95% interval",
) -> Figure:
    """Effect against control per iteration, one line per arm, with interval error bars.

    The points are drawn as given (the page converts proportions to percentage points first and
    names the unit in `axis_title`). Hovering a point shows what was changed in that iteration.
    """
    arms = list(dict.fromkeys(point.arm for point in points))
    traces = [
        _arm_trace(arm, ARM_COLOURS[index % len(ARM_COLOURS)], points)
        for index, arm in enumerate(arms)
    ]
    scale = points[0].scale if points else "difference"
    no_effect = {"color": TEXT_COLOUR, "width": 1, "dash": "dash"}
    layout = _layout(
        f"{title} ({interval_name})",
        "Iteration",
        axis_title,
        legend={**LEGEND_BELOW, "title": {"text": "Arm"}},
        xaxis={"type": "category"},
        shapes=[horizontal_line(null_value(scale), no_effect)],
        scattermode="group",
        scattergap=0.5,
    )
    return figure(traces, layout)


def _arm_trace(arm: str, colour: str, points: Sequence[LearningPoint]) -> Trace:
    """One arm's effects, iteration by iteration, hovering with what was changed in each."""
    mine = [point for point in points if point.arm == arm and point.estimate is not None]
    return {
        "type": "scatter",
        "x": [f"v{point.iteration}" for point in mine],
        "y": [point.estimate for point in mine],
        "name": plotly_text(arm),
        "mode": "lines+markers",
        "marker": {"color": colour, "size": 10},
        "line": {"color": colour, "width": 2},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [_gap(point.ci_high, point.estimate) for point in mine],
            "arrayminus": [_gap(point.estimate, point.ci_low) for point in mine],
            "color": colour,
            "thickness": 2,
            "width": 6,
        },
        "customdata": [plotly_text(_short(point.what_changed)) for point in mine],
        "hovertemplate": (
            "%{x}, %{fullData.name}: %{y:,.4~g}<br>What we changed: %{customdata}<extra></extra>"
        ),
    }


def _gap(high: float | None, low: float | None) -> float:
    if high is None or low is None:
        return 0.0
    return high - low


def sample_points(
    iterations: Sequence[tuple[int, date | None, int]],
) -> list[SamplePoint]:
    """Cumulative units after each iteration from (number, end or start date, units) triples."""
    total = 0
    result = []
    for number, on, added in sorted(iterations, key=lambda item: item[0]):
        total += added
        result.append(SamplePoint(iteration=number, on=on, added=added, cumulative=total))
    return result


def cumulative_sample_figure(
    samples: Sequence[SamplePoint],
    planned: int | None,
    decisions: Sequence[tuple[date, str]] = (),
) -> Figure:
    """Cumulative units analysed over time against the planned sample, decisions marked."""
    dated = [sample for sample in samples if sample.on is not None]
    use_dates = len(dated) == len(samples) and bool(samples)
    x: list[Any] = (
        [sample.on.isoformat() for sample in samples if sample.on is not None]
        if use_dates
        else [f"v{sample.iteration}" for sample in samples]
    )
    traces: list[Trace] = [
        {
            "type": "scatter",
            "x": x,
            "y": [sample.cumulative for sample in samples],
            "name": "Units analysed so far",
            "mode": "lines+markers+text",
            "text": [f"v{sample.iteration}" for sample in samples],
            "textposition": "top center",
            "cliponaxis": False,
            "marker": {"color": ARM_COLOURS[0], "size": 10},
            "line": {"color": ARM_COLOURS[0], "width": 3, "shape": "hv"},
            "hovertemplate": "%{text}: %{y:,} units<extra></extra>",
        }
    ]
    if planned:
        traces.append(
            {
                "type": "scatter",
                "x": [x[0], x[-1]] if x else [],
                "y": [planned, planned],
                "name": f"Planned sample ({planned:,})",
                "mode": "lines",
                "line": {"color": PLANNED_COLOUR, "width": 2, "dash": "dash"},
                "hovertemplate": "Planned: %{y:,} units<extra></extra>",
            }
        )
    if use_dates and decisions:
        top = max([sample.cumulative for sample in samples] + [planned or 0])
        traces.append(
            {
                "type": "scatter",
                "x": [on.isoformat() for on, _ in decisions],
                "y": [top * 1.05] * len(decisions),
                "name": "Decision",
                "mode": "markers",
                "marker": {"color": DECISION_COLOUR, "size": 12, "symbol": "diamond"},
                "customdata": [plotly_text(label) for _, label in decisions],
                "hovertemplate": "%{x}: %{customdata}<extra></extra>",
            }
        )
    layout = _layout(
        "Units analysed against the planned sample",
        "Date" if use_dates else "Iteration",
        "Units",
        yaxis={"rangemode": "tozero", "tickformat": ",~g"},
    )
    return figure(traces, layout)
