"""Downloads for government reporting: the portfolio as CSV or XLSX, a pilot as registry JSON.

Every signed-in role may download them: they show nothing a viewer cannot already read. The
work is in tracker/io (portfolio_table, registries); these views only name the files.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for

from tracker.db import get_session
from tracker.io.portfolio_table import portfolio_csv, portfolio_table, portfolio_xlsx
from tracker.io.registries import REGISTRIES, Registry, field_rows, registry_document
from tracker.models.base import utcnow
from tracker.services.headlines import latest_runs
from tracker.services.overviews import PilotOverview, get_pilot_overview
from tracker.web.filters import number
from tracker.web.slugs import SLUG_ROUTE, checked

blueprint = Blueprint("exports", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _dated(now: datetime, extension: str) -> str:
    return f"portfolio-{now.date().isoformat()}.{extension}"


@blueprint.get("/exports/portfolio.csv")
def portfolio_as_csv() -> Response:
    """One row per pilot (and per policy without one), as CSV."""
    table = portfolio_table(session=get_session())
    return _download(portfolio_csv(table), "text/csv", _dated(utcnow(), "csv"))


@blueprint.get("/exports/portfolio.xlsx")
def portfolio_as_xlsx() -> Response:
    """The same rows as an Excel workbook."""
    table = portfolio_table(session=get_session())
    return _download(portfolio_xlsx(table), XLSX_MIMETYPE, _dated(utcnow(), "xlsx"))


def _document(overview: PilotOverview, shape: Registry) -> dict[str, Any]:
    run = latest_runs(get_session(), [overview.pilot.id or 0]).get(overview.pilot.id or 0)
    return registry_document(
        shape,
        overview,
        run,
        pilot_url=url_for("pilots.detail", slug=overview.pilot.slug, _external=True),
        generated_at=utcnow(),
    )


def shown(value: Any) -> str:
    """A filled registry value as text on the page (the JSON download keeps its structure)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value, places=4)
    if isinstance(value, list):
        return "; ".join(shown(item) for item in value)
    if isinstance(value, dict):
        if "arm" in value:
            return f"{value['arm']}: {shown(value['n'])}"
        if "name" in value:
            return str(value["name"])
        return "; ".join(
            f"{key.replace('_', ' ')}: {shown(item)}" for key, item in value.items() if item
        )
    return str(value)


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/registry")
def registry_page(slug: str) -> str:
    """Both registries' fields for the pilot on one page: what is filled, what is missing, why."""
    overview = get_pilot_overview(session=get_session(), slug=checked(slug))
    registries = [
        (shape, field_rows(shape, _document(overview, shape))) for shape in REGISTRIES.values()
    ]
    return render_template(
        "exports/registry.html", pilot=overview.pilot, registries=registries, shown=shown
    )


@blueprint.get(f"/pilots/<{SLUG_ROUTE}:slug>/registry/<string(maxlength=40):registry>.json")
def registry(slug: str, registry: str) -> Response:
    """The pilot as a registry's fields, each filled or listed as missing with the reason."""
    shape = REGISTRIES.get(registry)
    if shape is None:
        abort(404)
    overview = get_pilot_overview(session=get_session(), slug=checked(slug))
    body = json.dumps(_document(overview, shape), indent=2, ensure_ascii=False) + "\n"
    return _download(body, "application/json", f"{overview.pilot.slug}-{shape.key}.json")
