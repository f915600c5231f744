"""Signing in and out, who is signed in, and the role check for views.

Every page needs a signed-in user except the sign-in page itself and the files a page loads
(GOV.UK Frontend, our CSS and scripts, plotly.js). The session is Flask's signed cookie: on
sign-in it is cleared and refilled, so nothing set before sign-in carries over (session fixation).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired

from tracker.db import get_session
from tracker.models import User
from tracker.models.enums import Role
from tracker.services import sign_in as sign_in_service
from tracker.services.actors import ROLE_RANK, Actor

blueprint = Blueprint("auth", __name__)

OPEN_ENDPOINTS = frozenset({"auth.sign_in", "static", "assets.plotly_js", "health.liveness"})
# The JSON API authenticates each request with a Bearer token (tracker.api.auth), never with
# the cookie: its paths skip the sign-in redirect, and its docs are public.
API_PATH = "/api/"


def is_api(path: str) -> bool:
    return path.startswith(API_PATH) or path == API_PATH.rstrip("/")


SESSION_USER = "user_id"
WRONG_DETAILS = (
    "Enter a correct email address and password. After 5 wrong attempts an account is locked "
    "for 15 minutes: if that has happened, try again later."
)

View = TypeVar("View", bound=Callable[..., Any])


class SignInForm(FlaskForm):  # type: ignore[misc]
    """Email and password, checked together so the page never says which one was wrong."""

    email = StringField(
        "Email address",
        validators=[InputRequired("Enter your email address")],
        widget=GovTextInput(),
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password")], widget=GovPasswordInput()
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site ("/pilots/x?y=1"), otherwise None.

    Rejects absolute and scheme-relative URLs ("https://evil.example", "//evil.example",
    "/\\evil.example") and anything with control characters, so sign-in cannot redirect away.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_user() -> User | None:
    """The signed-in user of this request, or None."""
    return cast(User | None, g.get("user"))


def current_actor() -> Actor:
    """The signed-in user as the actor that service calls name."""
    user = current_user()
    if user is None:
        abort(401)
    return Actor.for_user(user)


def require_role(role: Role) -> Callable[[View], View]:
    """Decorate a view so only users with `role` or higher reach it; others get the 403 page."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if ROLE_RANK[user.role] < ROLE_RANK[role]:
                abort(403)
            return view(*args, **kwargs)

        # Read by the role × route test, which checks every write route declares its role.
        checked.required_role = role  # type: ignore[attr-defined]
        return cast(View, checked)

    return decorate


def _load_user() -> ResponseReturnValue | None:
    """Put the signed-in user on `g`, and send everyone else to the sign-in page."""
    g.user = None
    user_id = session.get(SESSION_USER)
    if isinstance(user_id, int):
        user = get_session().get(User, user_id)
        if user is not None and user.is_active:
            g.user = user
        else:
            session.clear()
    if g.user is None and request.endpoint not in OPEN_ENDPOINTS and not is_api(request.path):
        target = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=target))
    return None


def landing_page(role: Role) -> str:
    """Where a sign-in without a `next` goes: viewers (senior officials, who read and decide)
    to the portfolio dashboard, everyone who records work to the list of policies."""
    return url_for("dashboard.index" if role == Role.VIEWER else "policies.index")


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """The GOV.UK sign-in form; on success, a fresh session and a safe redirect."""
    form = SignInForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        db_session = get_session()
        result = sign_in_service.sign_in(
            session=db_session, email=form.email.data, password=form.password.data
        )
        db_session.commit()
        if result.outcome is sign_in_service.Outcome.SIGNED_IN and result.user is not None:
            session.clear()
            session.permanent = True
            session[SESSION_USER] = result.user.id
            return redirect(next_url or landing_page(result.user.role))
        form.email.errors = [WRONG_DETAILS]
    return render_template("auth/sign_in.html", form=form, next_url=next_url)


@blueprint.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Forget the session (POST with the CSRF token only, so a link cannot sign anyone out)."""
    session.clear()
    return redirect(url_for("auth.sign_in"))


def register(app: Flask) -> None:
    """Add the blueprint, the sign-in guard and `current_user` for every template."""
    app.register_blueprint(blueprint)
    app.before_request(_load_user)

    @app.context_processor
    def user_in_templates() -> dict[str, Any]:
        user = current_user()
        return {
            "current_user": user,
            "current_role": user.role if user is not None else None,
            "has_role": lambda role: user is not None and ROLE_RANK[user.role] >= ROLE_RANK[role],
            "Role": Role,
        }
