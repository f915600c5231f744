"""Test & Learn Tracker: record policies, pilots and iterations; compare arms soundly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from tracker import config as settings


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
            "`Authorization: Bearer <token>` (make one at /account/api-tokens).",
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
    )
    app.config.from_mapping(settings.settings_from_environment())
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SESSION_COOKIE_SECURE"] = settings.as_bool(app.config["SESSION_COOKIE_SECURE"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.load_or_create_secret(instance_path)

    from tracker import db, migrate

    if app.config["SCHEMA_CHECK"]:
        migrate.ensure_up_to_date(app.config["DATABASE_URL"])
    db.init_app(app)

    from tracker.api import register_api
    from tracker.web import register_web

    register_web(app)
    register_api(app)
    return app
