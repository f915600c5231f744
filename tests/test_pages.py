"""Every page renders on the example portfolio with its real content, escaped, in GOV.UK markup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import Session

from tests import factories
from tests.conftest import make_app, signed_in_client, unavailable
from tracker.charts import plotly_text
from tracker.config import STATIC_FOLDER
from tracker.db import get_engine
from tracker.models.enums import MetricKind
from tracker.services import overviews
from tracker.services.errors import Conflict, NotAllowed

PUBLISHED_PILOT = "ggl-2006-michigan-primary-mailings"


def _html(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _everything(url: str) -> list[overviews.PolicyOverview]:
    with Session(get_engine(url)) as session:
        return [
            overviews.get_policy_overview(session=session, slug=summary.policy.slug)
            for summary in overviews.list_policy_summaries(session=session)
        ]


def _is_govuk_page(html: str) -> bool:
    return all(
        marker in html
        for marker in (
            'class="govuk-template',
            'href="#main-content"',  # skip link
            "Test &amp; Learn Tracker",
            "govuk-phase-banner",
            'class="govuk-footer',
        )
    )


def test_portfolio_lists_every_policy_with_stage_team_and_pilots(
    example_client: FlaskClient, example_url: str
) -> None:
    html = _html(example_client, "/")
    assert _is_govuk_page(html)
    policies = _everything(example_url)
    assert len(policies) >= 4
    for overview in policies:
        policy = overview.policy
        assert f'href="/policies/{policy.slug}">{escape(policy.title)}</a>' in html
        assert str(escape(policy.team)) in html
    illustrative = [view for view in policies if view.policy.illustrative]
    assert html.count("Illustrative example") == len(illustrative) == 1


def test_policy_pages_show_needs_hypotheses_history_and_pilots(
    example_client: FlaskClient, example_url: str
) -> None:
    for overview in _everything(example_url):
        html = _html(example_client, f"/policies/{overview.policy.slug}")
        assert _is_govuk_page(html)
        assert "<h1" in html and str(escape(overview.policy.title)) in html
        for view in overview.user_needs:
            need = view.need
            sentence = f"As a {need.as_a}, I need {need.i_need}, so that {need.so_that}."
            assert str(escape(sentence)) in html
            for metric in view.metrics:
                assert str(escape(metric.name)) in html
        for hypothesis in overview.hypotheses:
            assert str(escape(f"We believe that {hypothesis.we_believe}")) in html
        assert overview.stage_history
        for decision in overview.stage_history:
            assert str(escape(decision.decided_by)) in html
        for engagement in overview.engagements:
            first_paragraph = engagement.what_we_heard.strip().split("\n\n")[0]
            assert str(escape(" ".join(first_paragraph.split()))) in html
        for pilot in overview.pilots:
            assert f'href="/pilots/{pilot.slug}"' in html


def test_council_tax_story_shows_its_stage_history_in_order(example_client: FlaskClient) -> None:
    html = _html(example_client, "/policies/council-tax-text-reminders")
    history = html[html.index('id="stage-history"') : html.index('id="theory-of-change"')]
    dates = ["16 January 2023", "6 February 2023", "24 April 2023", "19 June 2023", "4 March 2024"]
    assert [history.index(date) for date in dates] == sorted(history.index(d) for d in dates)
    assert "Theory of change" in html and "Engagement log" in html


def test_every_pilot_page_has_its_chart_and_the_same_numbers_as_a_table(
    example_client: FlaskClient, example_url: str
) -> None:
    for policy in _everything(example_url):
        for pilot in policy.pilots:
            html = _html(example_client, f"/pilots/{pilot.slug}")
            assert _is_govuk_page(html)
            assert '<script type="application/json" id="outcome-chart-figure">' in html
            assert 'data-chart-figure="outcome-chart-figure"' in html
            assert '<table class="govuk-table" id="outcome-chart-table">' in html
            assert '<script src="/assets/plotly.min.js"></script>' in html
            assert html.index("/assets/plotly.min.js") < html.index("/static/js/charts.js")


def test_published_trial_page_shows_arms_results_plan_and_source(
    example_client: FlaskClient,
) -> None:
    html = _html(example_client, f"/pilots/{PUBLISHED_PILOT}")
    table = html[html.index('id="outcome-chart-table"') : html.index('id="iterations"')]
    # Gerber, Green & Larimer (2008), Table 2: turnout by arm, as shown in the data table.
    for arm, turnout in [("Control", "29.7%"), ("Neighbors", "37.8%"), ("Civic Duty", "31.5%")]:
        assert arm in table and turnout in table
    assert "191,243" in table  # the control arm's n, with a thousands separator
    assert "Read the source" in html and "Maryland Scientific Methods Scale" in html
    assert "What we changed" in html and "Decision" in html
    assert "Units (n)" in table and "95% interval" in table


@pytest.mark.parametrize(
    "path",
    [
        "/policies/no-such-policy",
        "/pilots/no-such-pilot",
        "/policies/" + "a" * 81,  # longer than any slug can be
        "/pilots/Not_A_Slug",
        "/policies/%00",  # PostgreSQL rejects NUL in text: must never reach the database
        "/pilots/-leading-dash",
        "/no/such/page",
    ],
)
def test_unknown_or_malformed_addresses_give_the_govuk_404_page(
    client: FlaskClient, path: str
) -> None:
    html = _html(client, path, status=404)
    assert _is_govuk_page(html)
    assert "Page not found" in html


def test_user_text_is_escaped_everywhere_including_the_chart_json(
    client: FlaskClient, session: Session
) -> None:
    attack = "<script>alert('x')</script>"
    factories.make_policy(session, title=f"Policy {attack}", team=f"Team {attack}")
    factories.make_metric(session, key="take-up", kind=MetricKind.BINARY, name=f"Rate {attack}")
    factories.make_user_need(session, as_a=f"parent {attack}", metric_keys=["take-up"])
    factories.make_pilot(session, title=f"Pilot {attack}", citation=f"Cited {attack}")
    factories.make_iteration_with_arms(
        session, arms=(("control", True, 0.5), (f"</script>{attack}", False, 0.5))
    )
    factories.record_results(
        session,
        {
            arm_name: {"metric": "take-up", "n": 100, "successes": successes}
            for arm_name, successes in [("control", 30), (f"</script>{attack}", 40)]
        },
    )
    session.commit()
    for path in ["/", "/policies/school-meals", "/pilots/letter-trial"]:
        html = _html(client, path)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html, path
    html = _html(client, "/pilots/letter-trial")
    start = html.index('id="outcome-chart-figure">')
    figure_json = html[start : html.index("</script>", start)]
    names = [trace["name"] for trace in json.loads(figure_json.split(">", 1)[1])["data"]]
    assert names == ["control", plotly_text(f"</script>{attack}")]
    assert "40.0%" in html and "30.0%" in html


def test_plotly_is_served_by_the_app_with_a_long_cache(client: FlaskClient) -> None:
    response = client.get("/assets/plotly.min.js")
    try:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.get_data()[:200].lstrip().startswith(b"/**")
    finally:
        response.close()


@pytest.mark.parametrize(
    "path",
    [
        "govuk/govuk-frontend.min.css",
        "govuk/govuk-frontend.min.js",
        "govuk/assets/fonts/light-94a07e06a1-v2.woff2",
        "govuk/assets/images/favicon.svg",
        "js/govuk-init.js",
        "js/charts.js",
    ],
)
def test_govuk_frontend_and_our_scripts_are_served_locally(client: FlaskClient, path: str) -> None:
    if not (STATIC_FOLDER / "govuk").is_dir():
        unavailable("GOV.UK Frontend is not built: run `make assets`")
    response = client.get(f"/static/{path}")
    try:
        assert response.status_code == 200
    finally:
        response.close()


def test_stylesheet_fonts_and_images_point_next_to_the_stylesheet() -> None:
    css_path = STATIC_FOLDER / "govuk" / "govuk-frontend.min.css"
    if not css_path.exists():
        unavailable("GOV.UK Frontend is not built: run `make assets`")
    css = css_path.read_text(encoding="utf-8")
    assert "url(/assets/" not in css
    assert "url(assets/fonts/" in css


def test_govuk_javascript_starts_from_a_module_file_not_inline_script(client: FlaskClient) -> None:
    html = _html(client, "/")
    assert '<script type="module" src="/static/js/govuk-init.js"></script>' in html
    init = (STATIC_FOLDER / "js" / "govuk-init.js").read_text(encoding="utf-8")
    assert 'import { initAll } from "../govuk/govuk-frontend.min.js";' in init
    # The only inline script is GOV.UK's own one-line js-enabled class switch.
    assert html.count("<script>") + html.count("<script >") == 1


@pytest.fixture
def failing_app(migrated_url: str, tmp_path: Path) -> Flask:
    """An app outside TESTING, so errors reach the error pages as in production."""
    app = make_app(migrated_url, tmp_path / "instance")
    app.config["TESTING"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("deliberate failure for the 500 page")

    @app.get("/forbidden")
    def forbidden() -> str:
        raise NotAllowed("viewers may not edit")

    @app.get("/conflict")
    def conflict() -> str:
        raise Conflict("the policy changed since you opened it")

    return app


@pytest.mark.parametrize(
    ("path", "method", "status", "heading"),
    [
        ("/boom", "get", 500, "Sorry, there is a problem with the service"),
        ("/forbidden", "get", 403, "You do not have permission to do this"),
        ("/conflict", "get", 409, "There is a problem"),
        ("/", "post", 405, "Method Not Allowed"),
    ],
)
def test_error_pages_render_in_govuk_style(
    failing_app: Flask, path: str, method: str, status: int, heading: str
) -> None:
    response = getattr(signed_in_client(failing_app), method)(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert _is_govuk_page(html)
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in html
    assert "deliberate failure" not in html  # no internals leak to the page


def test_app_start_up_does_not_import_statsmodels(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tracker import create_app\n"
        "create_app({'SCHEMA_CHECK': False, 'SECRET_KEY': 'x'})\n"
        "print('statsmodels' in sys.modules)\n"
    )
    environment = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    assert completed.stdout.strip() == "False"
