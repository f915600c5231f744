"""Test & Learn Tracker: record policies, pilots and iterations; compare arms soundly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from tracker import config as settings


def _signing_key(database_url: str, instance_path: Path) -> str:
    """Where the session key lives when TRACKER_SECRET_KEY is not set: in PostgreSQL, shared by
    every app process (nothing on local disk); with SQLite, beside the database file."""
    if database_url.startswith("postgresql"):
        from tracker.signing_key import shared_signing_key

        return shared_signing_key(database_url)
    return settings.load_or_create_secret(instance_path)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, templates, blueprints and error pages.

    Refuses to build on a database whose schema is behind the code, naming the command that
    fixes it, because every page would otherwise fail on its first query.
    """
    # Imported here, not at the top: `import tracker` (the CLI's light commands, the statistics
    # engine's users) must not pull in the web and API layers.
    from flask_openapi3.models.info import Info
    from flask_openapi3.models.security_scheme import SecurityScheme
    from flask_openapi3.openapi import OpenAPI

    from tracker.api.problems import Problem, validation_problem

    instance_path = settings.instance_folder()
    # OpenAPI is Flask plus the machinery that builds /api/v1/openapi.json from the API's models.
    app = OpenAPI(
        __name__,
        info=Info(
            title="Test & Learn Tracker API",
            version="1",
            description="Policies, pilots, iterations and their results, for data pipelines and "
            "reporting tools. Authenticate with a personal API token: "
            "`Authorization: Bearer <token>` (make one at /account/api-tokens).\n\n"
            "**Open reads**: while an admin has turned them on (in the browser, at "
            "/admin/settings), GET and HEAD requests with no `Authorization` header may read "
            "published policies and what hangs under them — their metrics, user needs, "
            "hypotheses, stage decisions and engagement; their pilots with iterations, arms, "
            "results, decisions, analysis plans and analyses — and the policy and pilot lists, "
            "which then hold only published work. Audit events, datasets, the portfolio export "
            "and every write always need a token; anything else, including an unpublished or "
            "unknown policy or pilot, answers the same 401 as a request without a token.",
        ),
        security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearerFormat="tlt_")
        },
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
        validation_error_status=422,
        validation_error_model=Problem,
        validation_error_callback=validation_problem,
        instance_path=str(instance_path),
        template_folder=str(settings.TEMPLATE_FOLDER),
        static_folder=str(settings.STATIC_FOLDER),
    )
    app.config.from_mapping(
        DATABASE_URL=settings.database_url(),
        SCHEMA_CHECK=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure by default; TRACKER_SESSION_COOKIE_SECURE=false for plain-http local use.
        SESSION_COOKIE_SECURE=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        # Forms are text: 4 MiB is far above any real one. The dataset upload pages raise their
        # own limit (UPLOAD_MAX_BYTES, 50 MiB) for the file.
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        # Requests per API caller per window (0 turns the limit off): tracker/api/rate_limit.py.
        API_RATE_LIMIT=600,
        API_RATE_WINDOW_SECONDS=60,
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host to believe
        # (0: none). Behind one nginx, 1: without it every caller has the proxy's address.
        TRUSTED_PROXIES=0,
    )
    app.config.from_mapping(settings.settings_from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SESSION_COOKIE_SECURE"] = settings.as_bool(app.config["SESSION_COOKIE_SECURE"])
    app.config["API_RATE_LIMIT"] = settings.as_whole_number(
        app.config["API_RATE_LIMIT"], "API_RATE_LIMIT", minimum=0, maximum=1_000_000
    )
    app.config["API_RATE_WINDOW_SECONDS"] = settings.as_whole_number(
        app.config["API_RATE_WINDOW_SECONDS"], "API_RATE_WINDOW_SECONDS", minimum=1, maximum=86_400
    )
    proxies = settings.as_whole_number(
        app.config["TRUSTED_PROXIES"], "TRUSTED_PROXIES", minimum=0, maximum=5
    )
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from tracker import db, migrate

    if app.config["SCHEMA_CHECK"]:
        migrate.ensure_up_to_date(app.config["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _signing_key(app.config["DATABASE_URL"], instance_path)
    db.init_app(app)

    from tracker.api import register_api
    from tracker.web import register_web

    register_web(app)
    register_api(app)
    if not app.config.get("TESTING"):
        settle_long_lived_objects()
    return app


def settle_long_lived_objects() -> None:
    """Move everything built so far (modules, the app) out of the garbage collector's sight.

    They live as long as the process, yet every full collection walked all ~100,000 of them:
    statsmodels' Holm adjustment calls `gc.collect()` on every call, which cost 23 ms per
    family and 2 s of a 20-iteration pilot's comparisons; after `gc.freeze()` it is 0.02 ms.
    Tests build many apps in one process and leave this out, so their garbage is collected.
    """
    import gc

    gc.collect()
    gc.freeze()
