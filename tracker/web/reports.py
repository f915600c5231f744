"""The one-page pilot report: a print-ready A4 page, and the same page as one standalone file.

The web page and `tracker report` render the one template from the one service
(`tracker.services.report`). The standalone file inlines its stylesheets (fonts as data URIs),
plotly.js and the chart script, so it opens offline, can be mailed, and can be printed to PDF by
headless Chromium from a file:// URL without the app running.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from flask import Blueprint, Flask, render_template
from markupsafe import Markup

from tracker.charts import ARM_COLOURS, figure_json
from tracker.charts.figures import Figure, merge
from tracker.charts.forest import ForestPoint, forest_figure
from tracker.charts.learning import LearningPoint, learning_curve_figure
from tracker.db import get_session
from tracker.services.report import PilotReport, ReportResults, get_pilot_report
from tracker.web.assets import plotly_js_path
from tracker.web.effect_format import axis_unit, effect_unit, shown_value
from tracker.web.pilot_forms import DESIGN_CHOICES, EVIDENCE_CHOICES
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("reports", __name__)

STYLESHEETS = ("govuk/govuk-frontend.min.css", "css/print.css")
SCRIPTS = ("js/charts.js",)
MEDIA_TYPES = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CSS_URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")
# Compact chart sizes (CSS pixels): the chart shares the A4 page with everything else.
FOREST_ROW_HEIGHT = 16
CHART_HEIGHT = 160


@dataclass(frozen=True)
class InlineAssets:
    """Stylesheets and scripts to write into the page itself instead of linking to them."""

    css: Markup
    scripts: list[Markup]


def _data_uri(path: Path) -> str:
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return f"data:{media_type};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_css(path: Path) -> str:
    """A stylesheet whose relative url(...)s (GOV.UK's fonts and images) are data URIs."""
    text = path.read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        target = match.group(2)
        if target.startswith(("data:", "http:", "https:", "#")):
            return match.group(0)
        file = (path.parent / target.split("?")[0].split("#")[0]).resolve()
        return f'url("{_data_uri(file)}")' if file.is_file() else match.group(0)

    embedded = CSS_URL.sub(embed, text)
    if "</style" in embedded.lower():
        raise ValueError(f"{path} cannot be inlined: it contains </style")
    return embedded


def inline_script(path: Path) -> str:
    """A script's text made safe inside <script>…</script> ("</" can only occur in strings)."""
    return path.read_text(encoding="utf-8").replace("</", "<\\/")


def inline_assets(static_folder: Path) -> InlineAssets:
    """GOV.UK Frontend's CSS and the print stylesheet, plotly.js and the chart-drawing script."""
    css = "\n".join(inline_css(static_folder / name) for name in STYLESHEETS)
    scripts = [Path(plotly_js_path()), *(static_folder / name for name in SCRIPTS)]
    return InlineAssets(
        css=Markup(css),  # noqa: S704  (our own files, checked for </style above)
        scripts=[Markup(inline_script(path)) for path in scripts],  # noqa: S704
    )


def _shown(point: LearningPoint, kind: str) -> LearningPoint:
    """The point in the unit the table shows (percentage points for proportions)."""
    return replace(
        point,
        estimate=shown_value(point.estimate, point.scale, kind),
        ci_low=shown_value(point.ci_low, point.scale, kind),
        ci_high=shown_value(point.ci_high, point.scale, kind),
    )


def _compact(figure: Figure, height: int) -> None:
    """No title, small type and margins: the chart shares one A4 page with everything else."""
    layout = figure["layout"]
    layout.pop("title", None)
    merge(
        layout,
        {
            "height": height,
            "font": {"size": 9},
            "margin": {"l": 4, "r": 8, "t": FOREST_ROW_HEIGHT, "b": 34},
            "legend": {
                "orientation": "v",
                "x": 1.01,
                "xanchor": "left",
                "y": 1,
                "yanchor": "top",
                "font": {"size": 8},
                "title": {"text": "Arm"},
            },
            "xaxis": {"title": {"standoff": 2}, "automargin": False},
        },
    )


def report_figure(results: ReportResults) -> Figure:
    """A learning curve when there are several iterations, else a forest plot: made compact.

    The forest plot is drawn beside its table, one table row per arm: it has no labels of its
    own, and its rows are spaced exactly as the table's (FOREST_ROW_HEIGHT, matched in
    static/css/print.css) so each arm's interval sits on the line of its name and numbers.
    """
    kind = results.metric.kind
    first = results.points[0]
    unit = axis_unit(first.scale, first.method, kind)
    drawn = [_shown(point, kind) for point in results.points]
    if len(results.iterations) > 1:
        figure = learning_curve_figure(results.metric.name, drawn, axis_title=unit)
        _compact(figure, CHART_HEIGHT)
        merge(
            figure["layout"],
            {
                "margin": {"l": 40, "t": 6, "b": 34},
                "showlegend": False,
                "yaxis": {"automargin": True, "title": {"standoff": 2}},
            },
        )
        return figure
    figure = forest_figure(
        [ForestPoint(p.arm, p.estimate, p.ci_low, p.ci_high) for p in drawn],
        scale=first.scale,
        axis_title=unit,
    )
    rows = len(drawn)
    _compact(figure, FOREST_ROW_HEIGHT * (rows + 1) + 34)
    merge(
        figure["layout"]["yaxis"],
        {
            "autorange": False,
            "range": [rows - 0.5, -0.5],
            "showticklabels": False,
            "automargin": False,
        },
    )
    for trace in figure["data"]:
        merge(trace, {"marker": {"size": 7}, "error_x": {"thickness": 1.5, "width": 3}})
    return figure


DESIGN_WORDS = {choice.value: choice.label for choice in DESIGN_CHOICES}
# "Level 5 – random assignment (…)" as the pilot form words it, without "Level 5 – ".
EVIDENCE_WORDS = {
    int(choice.value): choice.label.partition(" – ")[2]
    for choice in EVIDENCE_CHOICES
    if choice.value
}


def _iteration_columns(results: ReportResults, unit: str) -> list[dict[str, object]]:
    """One column per iteration ("v1", "v2", …), or the effect's name when there is only one."""
    if len(results.iterations) == 1:
        return [{"text": f"{unit} (95% interval), v{results.iterations[0]}", "numeric": True}]
    return [{"text": f"v{number}", "numeric": True} for number in results.iterations]


def report_context(report: PilotReport) -> dict[str, object]:
    """What the template needs beyond the report: words for codes, the chart and its table."""
    results = report.results
    words = {
        "report": report,
        "pilot": report.pilot,
        "design_words": DESIGN_WORDS.get(report.pilot.design.value, report.pilot.design.value),
        "evidence_words": EVIDENCE_WORDS.get(report.pilot.evidence_strength or 0),
    }
    if results is None or not results.points:
        return {**words, "chart_json": None}
    table: dict[str, dict[int, LearningPoint]] = {}
    for point in results.points:
        table.setdefault(point.arm, {})[point.iteration] = point
    first = results.points[0]
    unit = effect_unit(first.scale, first.method, results.metric.kind)
    baseline = results.headline.baseline if results.headline else "control"
    return {
        **words,
        "chart_json": figure_json(report_figure(results)),
        "chart_table": table,
        "chart_kind": "learning" if len(results.iterations) > 1 else "forest",
        # The learning curve's colour per arm, in the order learning_curve_figure gives them:
        # the table's swatches are the chart's legend.
        "chart_colours": {
            arm: ARM_COLOURS[index % len(ARM_COLOURS)] for index, arm in enumerate(results.arms)
        },
        "chart_caption": f"{results.metric.name}: {unit.lower()} against {baseline} "
        "(95% interval), by arm",
        "chart_columns": ["Arm", *_iteration_columns(results, unit)],
    }


def render_report(slug: str, *, inline: InlineAssets | None = None) -> str:
    """The report page of a pilot, linking to the app's assets or with them inlined."""
    report = get_pilot_report(session=get_session(), slug=slug)
    return render_template(
        "reports/pilot.html", generated_on=date.today(), inline=inline, **report_context(report)
    )


def standalone_report(app: Flask, slug: str) -> str:
    """The report as one self-contained HTML file (no request, no signed-in user needed)."""
    assets = inline_assets(Path(app.static_folder or "static"))
    with app.test_request_context():
        return render_report(slug, inline=assets)


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/report")
def pilot_report(slug: str) -> str:
    """The one-page report of a pilot (read-only; every signed-in user)."""
    return render_report(checked(slug))
