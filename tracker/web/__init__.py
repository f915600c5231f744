"""HTML front door: Jinja set-up for GOV.UK Frontend, blueprints and error pages."""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from tracker.web import (
    api_tokens,
    assets,
    auth,
    dashboard,
    editing,
    errors,
    exports,
    filters,
    health,
    history,
    iterations,
    journey,
    knowledge,
    learning,
    outcomes,
    pilot_forms,
    pilots,
    planner,
    plans,
    policies,
    policy_forms,
    policy_records,
    reports,
    results,
    site_settings,
    uploads,
    users,
)


def register_web(app: Flask) -> None:
    """Wire templates (ours first, then the GOV.UK macros), blueprints and error handlers.

    The GOV.UK packages' templates import each other as "govuk_frontend_jinja/…", so they are
    mounted under their package names with a PrefixLoader, as their README prescribes.
    """
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder or "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    filters.register(app)
    WTFormsHelpers(app)
    app.add_template_global(editing.error_summary, name="form_errors")
    # Signed-out requests go to the sign-in page before the CSRF check, so a stale tab's form
    # post says "sign in" rather than "bad request"; the sign-in form itself is still checked.
    auth.register(app)
    CSRFProtect(app)
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(policies.blueprint)
    app.register_blueprint(pilots.blueprint)
    app.register_blueprint(users.blueprint)
    app.register_blueprint(history.blueprint)
    for pages in (
        policy_forms,
        policy_records,
        pilot_forms,
        iterations,
        outcomes,
        uploads,
        plans,
        results,
        learning,
        planner,
        dashboard,
        journey,
        reports,
        exports,
        knowledge,
        api_tokens,
        site_settings,
    ):
        app.register_blueprint(pages.blueprint)
    errors.register(app)
