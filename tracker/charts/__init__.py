"""Pure plotly builders: a pilot's results in, a figure (and the same numbers as table rows) out.

No Flask and no database here: the input is a `PilotOverview` or plain values, so the chart and
the table beside it come from one computation and can be tested without an app. statsmodels is
imported inside the function that needs it because importing it costs over a second.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import plotly.graph_objects as go

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
FONT_FAMILY = '"GDS Transport", arial, sans-serif'
TEXT_COLOUR = "#0b0c0c"


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
    figure: go.Figure


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


def outcome_figure(metric: Metric, rows: Sequence[OutcomeRow]) -> go.Figure:
    """One trace per arm: its observed outcome in each iteration, points with 95% error bars."""
    percent = metric.kind == MetricKind.BINARY
    colours = _arm_colours(rows)
    figure = go.Figure()
    for arm, colour in colours.items():
        points = [row for row in rows if row.arm == arm and row.estimate.value is not None]
        values = [row.estimate.value or 0.0 for row in points]
        has_interval = any(row.estimate.lower is not None for row in points)
        figure.add_trace(
            go.Scatter(
                name=plotly_text(arm),
                x=[iteration_label(row.iteration) for row in points],
                y=values,
                mode="markers",
                marker={"color": colour, "size": 11, "symbol": "circle"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [_above(row) for row in points],
                    "arrayminus": [_below(row) for row in points],
                    "color": colour,
                    "thickness": 2,
                    "width": 6,
                    "visible": has_interval,
                },
                customdata=[row.n for row in points],
                hovertemplate=(
                    "%{x}, %{fullData.name}: %{y"
                    + (":.1%" if percent else ":,.3~f")
                    + "} (n = %{customdata:,})<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        title={
            "text": chart_title(metric),
            "x": 0,
            "xref": "container",  # from the left edge: the plot area starts too far in on a phone
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "automargin": True,  # the plot area moves down to make room for every title line
            "pad": {"b": 16},
        },
        template="simple_white",
        scattermode="group",
        scattergap=0.5,
        font={"family": FONT_FAMILY, "size": 16, "color": TEXT_COLOUR},
        # Below the plot, so a phone-width chart keeps its plot area.
        legend={
            "title": {"text": "Arm"},
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.3,
            "yanchor": "top",
        },
        margin={"l": 80, "r": 20, "t": 20, "b": 40},
        height=520,
        xaxis={"title": {"text": "Iteration"}, "type": "category"},
        yaxis={
            "title": {"text": plotly_text(value_axis_title(metric))},
            "tickformat": ".0%" if percent else ",~g",
            "range": value_range(rows, percent),
            "showgrid": True,
            "gridcolor": "#b1b4b6",
            "gridwidth": 1,
        },
    )
    return figure


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


def figure_json(figure: go.Figure) -> str:
    """The figure as JSON that is safe inside <script type="application/json">.

    plotly already writes <, > and / as \\u escapes; replacing any left over keeps a future
    JSON engine from letting "</script>" in an arm's name end the script element early.
    """
    text: str = figure.to_json()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
