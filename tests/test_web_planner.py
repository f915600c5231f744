"""The power and MDE planner page: R's reference answers through the page, errors, pilots.

Reference values are R's own printed output (see tests/stats/test_power.py for the sources):
power.prop.test(p1 = .5, p2 = .75, power = .9) n = 76.70693 (not 76.65294);
power.t.test(delta = 1, power = .9) n = 22.02110; the same one-sided n = 17.84713;
power.prop.test(n = 50, p1 = .5, power = .9) p2 = 0.8026141.
The page prints the exact (unrounded) answer to six significant digits, as R prints it; the
acceptance check is agreement with R at 3 significant digits, and the test also holds the value
shown to a relative tolerance of 1e-4 (R's uniroot gives "at least four significant digits").
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.conftest import signed_in_client
from tests.web_helpers import error_summary, seed, text_of
from tracker.models.enums import MetricKind, PilotDesign
from tracker.stats.power import sample_size_two_proportions
from tracker.stats.power_means import mde_two_means

PILOT = "ggl-2006-michigan-primary-mailings"


def page(client: FlaskClient, path: str, **args: object) -> str:
    response = client.get(path + ("?" + urlencode(args) if args else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown(html: str, element_id: str) -> float:
    match = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert match, element_id
    return float(match.group(1).replace(",", ""))


def same_to_3_significant(value: float, expected: float) -> bool:
    return f"{value:.3g}" == f"{expected:.3g}"


@pytest.mark.parametrize(
    ("args", "element_id", "r_value"),
    [
        # power.prop.test(p1 = .50, p2 = .75, power = .90)
        (
            {"kind": "binary", "solve_for": "n", "baseline": 0.5, "effect": 0.25, "power": 0.9},
            "answer-n-control",
            76.70693,
        ),
        # power.t.test(delta = 1, sd = 1, power = .90)
        (
            {"kind": "continuous", "solve_for": "n", "baseline": 0, "sd": 1, "effect": 1,
             "power": 0.9},
            "answer-n-control",
            22.02110,
        ),
        # power.t.test(delta = 1, sd = 1, power = .90, alternative = "one.sided")
        (
            {"kind": "continuous", "solve_for": "n", "baseline": 0, "sd": 1, "effect": 1,
             "power": 0.9, "sides": "one"},
            "answer-n-control",
            17.84713,
        ),
        # power.prop.test(n = 50, p1 = .5, power = .90)
        (
            {"kind": "binary", "solve_for": "mde", "baseline": 0.5, "n": 50, "power": 0.9},
            "answer-target",
            0.8026141,
        ),
    ],
)  # fmt: skip
def test_planner_reproduces_r(
    client: FlaskClient, args: dict[str, object], element_id: str, r_value: float
) -> None:
    html = page(client, "/planner", alpha=0.05, ratio=1, cluster="no", **args)
    value = shown(html, element_id)
    assert same_to_3_significant(value, r_value)
    assert value == pytest.approx(r_value, rel=1e-4)
    assert "statsmodels." in html
    assert 'id="power-curve-table"' in html and 'data-chart-figure="power-curve-figure"' in html


def test_sample_size_answer_rounds_up_and_draws_a_curve(client: FlaskClient) -> None:
    html = page(client, "/planner", kind="binary", solve_for="n", baseline=0.5, effect=0.25,
                power=0.9, alpha=0.05, sides="two", ratio=1, cluster="no")  # fmt: skip
    assert "You need 77 participants in the control arm and 77 in the treatment arm" in text_of(
        html
    )
    figure = json.loads(re.search(r'id="power-curve-figure">(.*?)</script>', html, re.S)[1])  # type: ignore[index]
    curve = figure["data"][0]
    assert len(curve["x"]) == len(curve["y"]) > 10
    assert all(0 <= y <= 1 for y in curve["y"])
    assert curve["y"] == sorted(curve["y"])  # power rises with the sample
    assert figure["data"][1]["x"] == [pytest.approx(76.70693, rel=1e-6)]


def test_cluster_design_shows_the_design_effect(client: FlaskClient) -> None:
    html = page(client, "/planner", kind="continuous", solve_for="n", baseline=10, sd=1,
                effect=0.25, power=0.8, alpha=0.05, sides="two", ratio=1, cluster="yes",
                icc=0.05, cluster_size=21)  # fmt: skip
    text = text_of(html)
    assert "1 + (21 − 1) × 0.05 = 2" in text
    individual = page(client, "/planner", kind="continuous", solve_for="n", baseline=10, sd=1,
                      effect=0.25, power=0.8, alpha=0.05, ratio=1, cluster="no")  # fmt: skip
    assert shown(html, "answer-n-control") == pytest.approx(
        2 * shown(individual, "answer-n-control"), rel=1e-3
    )


def test_unequal_allocation(client: FlaskClient) -> None:
    html = page(client, "/planner", kind="binary", solve_for="n", baseline=0.2, effect=0.05,
                power=0.8, alpha=0.05, ratio=2, cluster="no")  # fmt: skip
    expected = sample_size_two_proportions(0.2, 0.25, 0.8, allocation_ratio=2)
    assert shown(html, "answer-n-control") == pytest.approx(expected.n_control, rel=1e-3)
    assert shown(html, "answer-n-treatment") == pytest.approx(expected.n_treatment, rel=1e-3)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"alpha": 1.5}, ("The significance level must be between 0 and 1, like 0.05", "#alpha")),
        ({"alpha": 0}, ("The significance level must be between 0 and 1, like 0.05", "#alpha")),
        ({"power": 1}, ("The power must be between 0 and 1, like 0.8", "#power")),
        ({"power": "lots"}, ("Enter the power as a number", "#power")),
        ({"baseline": 1.2},
         ("The baseline proportion must be between 0 and 1, like 0.25", "#baseline")),
        ({"baseline": ""}, ("Enter the baseline proportion", "#baseline")),
        ({"cluster": "yes", "icc": 1},
         ("The intracluster correlation (ICC) must be at least 0 and less than 1", "#icc")),
        ({"cluster": "yes", "icc": -0.1},
         ("The intracluster correlation (ICC) must be at least 0 and less than 1", "#icc")),
        ({"ratio": 0}, ("The allocation ratio must be more than 0, like 1 for equal arms",
                        "#ratio")),
        ({"effect": 0.6}, ("The baseline plus the effect must be a proportion between 0 and 1",
                           "#effect")),
    ],
)  # fmt: skip
def test_bad_inputs_are_named_in_the_error_summary(
    client: FlaskClient, args: dict[str, object], expected: tuple[str, str]
) -> None:
    values = {"kind": "binary", "solve_for": "n", "baseline": 0.5, "effect": 0.1,
              "alpha": 0.05, "power": 0.8, "ratio": 1, "cluster": "no"} | args  # fmt: skip
    html = page(client, "/planner", **values)
    assert error_summary(html) == [expected]
    assert "<title>Error: " in html
    assert 'id="answer"' not in html and "power-curve-figure" not in html
    field = expected[1][1:]
    assert f'id="{field}-error"' in html  # the inline message next to the field


def test_planner_needs_sign_in(anonymous_client: FlaskClient) -> None:
    response = anonymous_client.get("/planner")
    assert response.status_code in (302, 303)


def test_pilot_planner_starts_from_the_pilot(example_client: FlaskClient) -> None:
    pilot_page = page(example_client, f"/pilots/{PILOT}")
    assert f'href="/pilots/{PILOT}/planner">Plan the sample size</a>' in pilot_page
    html = page(example_client, f"/pilots/{PILOT}/planner")
    text = text_of(html)
    assert "The form starts from this pilot" in text
    assert "With the sample you have now (n =" in text
    assert 'id="current-mde"' in html
    assert 'id="power-curve-table"' in html
    assert not error_summary(html)


def test_pilot_planner_takes_the_form_over_the_pilot(example_client: FlaskClient) -> None:
    html = page(example_client, f"/pilots/{PILOT}/planner", kind="binary", solve_for="n",
                baseline=0.5, effect=0.25, power=0.9, alpha=0.05, sides="two", ratio=1,
                cluster="no")  # fmt: skip
    assert shown(html, "answer-n-control") == pytest.approx(76.71, rel=1e-3)


def test_unknown_pilot_is_not_found(client: FlaskClient) -> None:
    assert client.get("/pilots/no-such-pilot/planner").status_code == 404


def test_answer_is_finite_for_defaults(client: FlaskClient) -> None:
    html = page(client, "/planner")
    assert not error_summary(html)
    assert math.isfinite(shown(html, "answer-n-control"))


def _cluster_pilot(session: Session) -> None:
    factories.make_policy(session)
    factories.make_metric(
        session, key="days-to-claim", kind=MetricKind.CONTINUOUS, minimum_important_difference=2
    )
    factories.make_pilot(session, design=PilotDesign.CLUSTER_RCT, planned_sample_size=900)
    factories.make_iteration_with_arms(
        session, arms=(("control", True, 1 / 3), ("new letter", False, 2 / 3))
    )
    factories.record_results(
        session,
        {
            arm: {"metric": "days-to-claim", "n": n, "mean": mean, "sd": 6.0}
            for arm, n, mean in (("control", 150, 20.0), ("new letter", 300, 18.5))
        },
    )


def test_pilot_planner_fills_in_the_design(app: Flask) -> None:
    seed(app, _cluster_pilot)
    html = page(signed_in_client(app), "/pilots/letter-trial/planner")
    form = {
        name: re.search(rf'name="{name}" type="text" spellcheck="false" value="([^"]*)"', html)[1]  # type: ignore[index]
        for name in ("baseline", "sd", "effect", "n", "ratio")
    }
    assert form == {"baseline": "20", "sd": "6", "effect": "2", "n": "300", "ratio": "2"}
    assert re.search(r'value="continuous" checked', html)
    assert re.search(r'value="mde" checked', html)
    assert re.search(r'id="cluster" name="cluster" type="radio" value="yes" checked', html)
    # The answer for the planned 300 + 600 people, clustered; and the MDE of the 150 + 300 so far.
    planned = mde_two_means(6.0, 300, 0.8, allocation_ratio=2, cluster_size=20, icc=0.05)
    assert shown(html, "answer-effect") == pytest.approx(planned.effect, rel=1e-5)
    assert "1 + (20 − 1) × 0.05 = 1.95" in text_of(html)
    now = mde_two_means(6.0, 150, 0.8, allocation_ratio=2, cluster_size=20, icc=0.05)
    assert shown(html, "current-mde") == pytest.approx(now.effect, rel=1e-3)
    assert "n = 150 control and 300 treatment" in text_of(html)
    assert "statsmodels.stats.power.TTestIndPower.solve_power" in html
