"""Pure chart builders: a pilot's results in, a figure (and the same numbers as table rows) out.

No Flask and no database here: the input is a `PilotOverview` or plain values, so the chart and
the table beside it come from one computation and can be tested without an app. statsmodels is
imported inside the function that needs it because importing it costs over a second. Figures are
plain plotly JSON built with tracker.charts.figures.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.charts.figures import GRID, LEGEND_BELOW, Figure, Trace, figure, themed, title_above
from tracker.charts.figures import figure_json as figure_json
from tracker.models.enums import MetricKind

if TYPE_CHECKING:
    from tracker.models import ArmResult, Metric
    from tracker.services.overviews import PilotOverview

Z_95 = 1.959963984540054  # two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975)

# GOV.UK Frontend colour palette; the control arm is always dark grey so it reads as baseline.
CONTROL_COLOUR = "#505a5f"
ARM_COLOURS = (
    "#1d70b8",  # blue
    "#f47738",  # orange
    "#28a197",  # turquoise
    "#d53880",  # pink
    "#4c2c92",  # purple
    "#00703c",  # green
    "#b58840",  # brown
    "#d4351c",  # red
)


def null_value(scale: str) -> float:
    """The 'no effect' value of an effect scale: 1 for ratios, ½ for probabilities, else 0."""
    if "ratio" in scale:
        return 1.0
    if scale == "probability":
        return 0.5
    return 0.0


@dataclass(frozen=True)
class Estimate:
    """An observed outcome with an optional 95% interval (None where it cannot be computed)."""

    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class OutcomeRow:
    """One arm in one iteration on one metric: a point of the chart and a row of its table."""

    iteration: int
    arm: str
    is_control: bool
    n: int
    estimate: Estimate


@dataclass(frozen=True)
class OutcomeChart:
    """The chart of a pilot's first reported metric, with the rows its data table shows."""

    metric: Metric
    rows: list[OutcomeRow]
    figure: Figure


def binary_estimate(n: int, successes: int | None) -> Estimate:
    """Proportion successes/n with the Wilson score interval.

    statsmodels.stats.proportion.proportion_confint(method="wilson"); Wilson (1927), JASA 22.
    """
    if n <= 0 or successes is None:
        return Estimate(None)
    from statsmodels.stats.proportion import proportion_confint

    lower, upper = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return Estimate(successes / n, float(lower), float(upper))


def continuous_estimate(n: int, mean: float | None, sd: float | None) -> Estimate:
    """Mean with the normal-approximation interval mean ± 1.96·sd/√n."""
    if n <= 0 or mean is None:
        return Estimate(None)
    if sd is None:
        return Estimate(mean)
    half_width = Z_95 * sd / math.sqrt(n)
    return Estimate(mean, mean - half_width, mean + half_width)


def count_estimate(n: int, total: float | None, exposure: float | None) -> Estimate:
    """Event rate total/exposure; without a recorded exposure each unit counts as one."""
    denominator = exposure if exposure is not None else float(n)
    if total is None or denominator <= 0:
        return Estimate(None)
    return Estimate(total / denominator)


def estimate_for(metric: Metric, result: ArmResult) -> Estimate:
    """The observed outcome of one arm, computed the way the metric's kind requires."""
    if metric.kind == MetricKind.BINARY:
        return binary_estimate(result.n, result.successes)
    if metric.kind == MetricKind.CONTINUOUS:
        return continuous_estimate(result.n, result.mean, result.sd)
    return count_estimate(result.n, result.total, result.exposure)


def outcome_rows(overview: PilotOverview, metric: Metric) -> list[OutcomeRow]:
    """Every arm with a result on `metric`, iteration by iteration, in the pilot's order."""
    rows = []
    for view in overview.iterations:
        for arm_view in view.arms:
            result = arm_view.results.get(metric.id or 0)
            if result is None:
                continue
            rows.append(
                OutcomeRow(
                    iteration=view.iteration.number,
                    arm=arm_view.arm.name,
                    is_control=arm_view.arm.is_control,
                    n=result.n,
                    estimate=estimate_for(metric, result),
                )
            )
    return rows


def value_axis_title(metric: Metric) -> str:
    """What the y axis measures: short, because a rotated title must fit the plot's height."""
    if metric.kind == MetricKind.BINARY:
        return "Percentage"
    name = "Mean" if metric.kind == MetricKind.CONTINUOUS else "Rate"
    return f"{name}, {metric.unit}" if metric.unit and len(metric.unit) <= 30 else name


def chart_subtitle(metric: Metric) -> str:
    """The unit in full and what the error bars are."""
    unit = f"Unit: {metric.unit}. " if metric.unit else ""
    if metric.kind == MetricKind.BINARY:
        return f"{unit}Bars show 95% Wilson intervals."
    if metric.kind == MetricKind.CONTINUOUS:
        return f"{unit}Bars show 95% intervals (mean ± 1.96 standard errors)."
    return f"{unit}Rate is total count divided by exposure."


def value_range(rows: Sequence[OutcomeRow], percent: bool) -> list[float] | None:
    """The y range spanning every point and interval, padded by a tenth on each side.

    Set explicitly because plotly's grouped scatter mode otherwise stretches the axis to zero,
    squashing differences of a few points into a thin band.
    """
    ends = [
        end
        for row in rows
        for end in (row.estimate.lower, row.estimate.value, row.estimate.upper)
        if end is not None
    ]
    if not ends:
        return None
    low, high = min(ends), max(ends)
    pad = (high - low) / 10 or abs(high) / 10 or 1.0
    low, high = low - pad, high + pad
    if percent:
        low, high = max(low, 0.0), min(high, 1.0)
    return [low, high]


def plotly_text(text: str) -> str:
    """User text for plotly's pseudo-HTML labels: escaped, so "<b>" in a name is shown, not obeyed.

    plotly.js turns entities back into characters when it draws the SVG text.
    """
    return html.escape(text, quote=False)


def chart_title(metric: Metric) -> str:
    """Title and, in smaller type, the unit and what the error bars are.

    plotly never wraps titles, so long ones are broken into lines that fit a phone's width; a
    plotly `subtitle` is not used because title automargin does not make room for one.
    """
    lines = textwrap.wrap(f"{metric.name}: observed outcome by arm and iteration", 42)
    notes = textwrap.wrap(chart_subtitle(metric), 55)
    small = [f'<span style="font-size: 14px">{plotly_text(note)}</span>' for note in notes]
    return "<br>".join([plotly_text(line) for line in lines] + small)


def iteration_label(number: int) -> str:
    return f"v{number}"


def _arm_colours(rows: Sequence[OutcomeRow]) -> dict[str, str]:
    """A stable colour per arm name: grey for control arms, then the palette in order of use."""
    colours: dict[str, str] = {}
    palette = iter(ARM_COLOURS * (1 + len(rows) // len(ARM_COLOURS)))
    for row in rows:
        if row.arm not in colours:
            colours[row.arm] = CONTROL_COLOUR if row.is_control else next(palette)
    return colours


def outcome_figure(metric: Metric, rows: Sequence[OutcomeRow]) -> Figure:
    """One trace per arm: its observed outcome in each iteration, points with 95% error bars."""
    percent = metric.kind == MetricKind.BINARY
    traces = [_arm_trace(arm, colour, rows, percent) for arm, colour in _arm_colours(rows).items()]
    value_axis: dict[str, Any] = {
        "title": {"text": plotly_text(value_axis_title(metric))},
        "tickformat": ".0%" if percent else ",~g",
        **GRID,
        "gridwidth": 1,
    }
    span = value_range(rows, percent)
    if span is not None:  # else plotly.js fits the axis to the (absent) points
        value_axis["range"] = span
    layout = themed(
        title=title_above(chart_title(metric)),
        scattermode="group",
        scattergap=0.5,
        legend={**LEGEND_BELOW, "title": {"text": "Arm"}},
        margin={"l": 80, "r": 20, "t": 20, "b": 40},
        height=520,
        xaxis={"title": {"text": "Iteration"}, "type": "category"},
        yaxis=value_axis,
    )
    return figure(traces, layout)


def _arm_trace(arm: str, colour: str, rows: Sequence[OutcomeRow], percent: bool) -> Trace:
    """One arm's points, iteration by iteration, with its error bars (hidden without intervals)."""
    points = [row for row in rows if row.arm == arm and row.estimate.value is not None]
    return {
        "type": "scatter",
        "name": plotly_text(arm),
        "x": [iteration_label(row.iteration) for row in points],
        "y": [row.estimate.value or 0.0 for row in points],
        "mode": "markers",
        "marker": {"color": colour, "size": 11, "symbol": "circle"},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [_above(row) for row in points],
            "arrayminus": [_below(row) for row in points],
            "color": colour,
            "thickness": 2,
            "width": 6,
            "visible": any(row.estimate.lower is not None for row in points),
        },
        "customdata": [row.n for row in points],
        "hovertemplate": (
            "%{x}, %{fullData.name}: %{y"
            + (":.1%" if percent else ":,.3~f")
            + "} (n = %{customdata:,})<extra></extra>"
        ),
    }


def _above(row: OutcomeRow) -> float:
    estimate = row.estimate
    if estimate.upper is None or estimate.value is None:
        return 0.0
    return estimate.upper - estimate.value


def _below(row: OutcomeRow) -> float:
    estimate = row.estimate
    if estimate.lower is None or estimate.value is None:
        return 0.0
    return estimate.value - estimate.lower


def pilot_outcome_chart(overview: PilotOverview) -> OutcomeChart | None:
    """The pilot page's chart: the first reported metric, or None before any results exist."""
    reported = overview.reported_metrics()
    if not reported:
        return None
    metric = reported[0]
    rows = outcome_rows(overview, metric)
    return OutcomeChart(metric=metric, rows=rows, figure=outcome_figure(metric, rows))
