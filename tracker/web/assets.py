"""plotly.js, served from the installed plotly package so no page needs the internet."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, send_file

blueprint = Blueprint("assets", __name__)

ONE_YEAR = 365 * 24 * 3600


def plotly_js_path() -> str:
    """Where the plotly wheel keeps its bundled plotly.min.js."""
    return str(resources.files("plotly") / "package_data" / "plotly.min.js")


@blueprint.get("/assets/plotly.min.js")
def plotly_js() -> Response:
    """The bundled plotly.js; cached for a year because its URL changes with the package."""
    return send_file(plotly_js_path(), mimetype="text/javascript", max_age=ONE_YEAR)
