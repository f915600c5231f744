"""Error pages in the GOV.UK style, and service errors mapped to HTTP statuses in one place."""

from __future__ import annotations

from flask import Flask, render_template
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from tracker.db import get_session
from tracker.services.errors import Conflict, NotAllowed, NotFound, StaleVersion

TEMPLATES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}


def _render(status: int) -> tuple[str, int]:
    return render_template(TEMPLATES.get(status, "errors/500.html"), status=status), status


def http_error_page(error: HTTPException) -> tuple[str, int]:
    """The GOV.UK page for an HTTP error (404 page, 403 page, …)."""
    status = error.code or 500
    if status in TEMPLATES:
        return _render(status)
    return render_template("errors/generic.html", error=error), status


def register(app: Flask) -> None:
    """404 for missing records, 403 for forbidden writes, 409 for conflicts.

    Unhandled exceptions reach the HTTPException handler as InternalServerError (500), except
    under TESTING, where Flask lets them propagate so tests see the real error.
    """

    app.register_error_handler(HTTPException, http_error_page)

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound) -> tuple[str, int]:
        return _render(404)

    @app.errorhandler(NotAllowed)
    def not_allowed(_error: NotAllowed) -> tuple[str, int]:
        return _render(403)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> tuple[str, int]:
        return render_template("errors/generic.html", error=error), 409

    @app.errorhandler(StaleDataError)
    def saved_first_elsewhere(_error: StaleDataError) -> tuple[str, int]:
        """A commit lost a race with another process's write: nothing was saved; say so."""
        get_session().rollback()
        return conflict(
            StaleVersion(
                "Someone else changed this record while yours was being saved, so nothing was "
                "saved. Go back, reload the page and make your change again."
            )
        )
