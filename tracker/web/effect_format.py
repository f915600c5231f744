"""How effects, p-values and lifts are written, the same on every results and learning page.

A difference between proportions is shown in percentage points (0.081 is "8.1"), whatever
computed it (a z-test, a regression on a yes/no outcome, or the difference of two iterations'
effects): the metric being yes/no and the scale being a difference is what makes it one. Ratios
are given to 2 decimal places, as trial reports print them; other numbers to 4 significant
figures, never dropping whole digits.
"""

from __future__ import annotations

import math

from tracker.models.enums import MetricKind

RATIO_UNITS = {"odds_ratio": "Odds ratio", "risk_ratio": "Risk ratio"}


def in_percentage_points(scale: str, kind: str) -> bool:
    """Whether an effect is a difference between proportions, shown ×100 as points."""
    return kind == MetricKind.BINARY and scale == "difference"


def shown_value(value: float | None, scale: str, kind: str) -> float | None:
    """The number as the page and its charts show it (percentage points where that applies)."""
    if value is None or not math.isfinite(value):
        return None
    return 100 * value if in_percentage_points(scale, kind) else value


def format_effect(value: float | None, scale: str, kind: str) -> str:
    """An estimate or interval end as text: points to 1 place, ratios to 2, else 4 figures."""
    shown = shown_value(value, scale, kind)
    if shown is None:
        return "–"
    if in_percentage_points(scale, kind):
        text = f"{shown:,.1f}"
    elif scale == "ratio":
        text = f"{shown:,.2f}"
    elif shown == 0:
        text = "0"
    else:
        places = max(0, 3 - math.floor(math.log10(abs(shown))))
        text = f"{shown:,.{places}f}"
    return text.removeprefix("-") if float(text.replace(",", "")) == 0 else text  # no "-0.0"


def format_p(value: float | None) -> str:
    """A p-value to 2 significant figures (3 places above 0.01), or "< 0.001"."""
    if value is None or not math.isfinite(value):
        return "–"
    if value < 0.001:
        return "<\u00a00.001"
    return f"{value:.2g}" if value < 0.01 else f"{value:.3f}".rstrip("0").rstrip(".")


def format_lift(value: float | None) -> str:
    """A relative lift as a percentage to 1 decimal place."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:,.1f}%"


def effect_unit(scale: str, method: str, kind: str) -> str:
    """What kind of number an effect is, for a column heading or a chart axis."""
    if in_percentage_points(scale, kind):
        return "Difference (percentage points)"
    if scale == "ratio":
        return RATIO_UNITS.get(method.partition(":")[0], "Rate ratio")
    if scale == "probability":
        return "Probability of a higher value"
    if scale == "slope":
        return "Change per iteration"
    return "Difference"


def axis_unit(scale: str, method: str, kind: str) -> str:
    """The unit for an upright chart axis, short enough to fit beside a phone-width chart."""
    if in_percentage_points(scale, kind):
        return "Percentage points"
    return effect_unit(scale, method, kind)
