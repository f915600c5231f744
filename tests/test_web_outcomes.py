"""Per-arm results entered by hand, one metric at a time, and the decision closing an iteration."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.conftest import signed_in_client
from tests.factories import (
    ANALYST,
    EDITOR,
    audit_count,
    make_metric,
    make_trial,
)
from tests.web_helpers import (
    app_session,
    conflict_table,
    csrf_token,
    error_summary,
    post_form,
    text_of,
)
from tracker.models.enums import MetricKind, ResultSource, Role
from tracker.services import datasets, iterations, results

PILOT = "/pilots/letter-trial"
RESULTS = f"{PILOT}/iterations/1/results"
DECISION = f"{PILOT}/iterations/1/decision"
MARCH_6 = date(2025, 3, 6)
DECISION_FORM = {
    "outcome": "adapt",
    "rationale": "Take-up rose, but the letter confused some parents.\n\nTry a shorter one.",
    "decided_by": "Programme board",
    "decided_on": ["6", "3", "2025"],
}


@pytest.fixture
def trial(app: Flask) -> dict[str, int]:
    """take-up (binary), days-to-claim (continuous), visits (count); v1 with control + new letter.

    Returns the arms' ids by name: the boxes are named after them.
    """
    with app_session(app) as db_session:
        make_trial(db_session)
        make_metric(db_session, key="visits", kind=MetricKind.COUNT, unit="visits")
        iteration = iterations.get_iteration(
            session=db_session, pilot_slug="letter-trial", number=1
        )
        arms = iterations.list_arms(session=db_session, iteration=iteration)
        db_session.commit()
        return {arm.name: int(arm.id or 0) for arm in arms}


def _state(app: Flask) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """Every result, the decision and the audit count: what "nothing changed" compares."""
    with app_session(app) as db_session:
        iteration = iterations.get_iteration(
            session=db_session, pilot_slug="letter-trial", number=1
        )
        rows = [
            result.model_dump(exclude={"created_at", "updated_at"})
            for result in results.list_results(session=db_session, iteration=iteration)
        ]
        decision = results.get_decision(session=db_session, iteration=iteration)
        decided = decision.model_dump(exclude={"created_at", "updated_at"}) if decision else None
        return rows, decided, audit_count(db_session)


def _decision(app: Flask) -> tuple[Any, ...]:
    """The saved decision's outcome, rationale, who, when and version."""
    saved = _state(app)[1] or {}
    names = ("outcome", "rationale", "decided_by", "decided_on", "version")
    return tuple(saved.get(name) for name in names)


def _saved(app: Flask, metric: str) -> dict[int, dict[str, Any]]:
    """The results on one metric by arm id, as the services read them back."""
    with app_session(app) as db_session:
        iteration = iterations.get_iteration(
            session=db_session, pilot_slug="letter-trial", number=1
        )
        found = {}
        for result in results.list_results(session=db_session, iteration=iteration):
            if result.metric_id == _metric_id(db_session, metric):
                found[result.arm_id] = result.model_dump()
        return found


def _metric_id(db_session: Session, key: str) -> int:
    from tracker.services.metrics import get_metric

    return int(get_metric(session=db_session, policy_slug="school-meals", key=key).id or 0)


def _value(page: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]* id="{field_id}"[^>]*>', page)
    assert tag, field_id
    value = re.search(r' value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def _analyst(app: Flask) -> FlaskClient:
    return signed_in_client(app, role=Role.ANALYST)


def _boxes(arms: dict[str, int], **by_arm: dict[str, str]) -> dict[str, str]:
    return {
        f"arm{arms[name]}_{box}": value
        for name, values in by_arm.items()
        for box, value in values.items()
    }


def _enter(
    app: Flask, trial: dict[str, int], metric: str, control: dict[str, str], letter: dict[str, str]
) -> tuple[dict[str, dict[str, Any]], str]:
    """An analyst saves one metric's boxes for both arms: the results saved, by arm name, and the
    form as it opens again."""
    analyst = _analyst(app)
    form = _boxes(trial, control=control, **{"new letter": letter})
    assert post_form(analyst, f"{RESULTS}/{metric}", form).status_code == 302
    saved = _saved(app, metric)
    by_name = {name: saved[arm_id] for name, arm_id in trial.items()}
    return by_name, analyst.get(f"{RESULTS}/{metric}").get_data(as_text=True)


# --- entering results ----------------------------------------------------------------------------


def test_binary_results_round_trip(app: Flask, trial: dict[str, int]) -> None:
    analyst = _analyst(app)
    page = analyst.get(f"{RESULTS}/take-up").get_data(as_text=True)
    assert '<h2 class="govuk-fieldset__heading">control</h2>' in page
    assert '<h2 class="govuk-fieldset__heading">new letter</h2>' in page
    assert "Leave an arm's boxes blank to keep its result as it is" in page
    assert f'id="arm{trial["control"]}_successes"' in page
    assert f'id="arm{trial["control"]}_mean"' not in page

    form = _boxes(
        trial,
        control={"n": "1,200", "successes": "300", "note": "From the council's records"},
        **{"new letter": {"n": "1180", "successes": "354"}},
    )
    response = post_form(analyst, f"{RESULTS}/take-up", form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(RESULTS)

    saved = _saved(app, "take-up")
    assert (saved[trial["control"]]["n"], saved[trial["control"]]["successes"]) == (1200, 300)
    assert saved[trial["control"]]["note"] == "From the council's records"
    assert (saved[trial["new letter"]]["n"], saved[trial["new letter"]]["successes"]) == (1180, 354)
    assert saved[trial["new letter"]]["source"] is ResultSource.SUMMARY

    index = analyst.get(RESULTS).get_data(as_text=True)
    assert "Saved Take up results for control and new letter" in text_of(index)
    assert "2 of 2" in index
    page = analyst.get(f"{RESULTS}/take-up").get_data(as_text=True)
    assert _value(page, f"arm{trial['control']}_n") == "1200"
    assert _value(page, f"arm{trial['new letter']}_successes") == "354"
    assert _value(page, f"arm{trial['control']}_note") == "From the council&#39;s records"
    assert f'name="arm{trial["control"]}_version" type="hidden" value="1"' in page


def test_continuous_results_round_trip_from_mean_or_sums(app: Flask, trial: dict[str, int]) -> None:
    from_mean = {"n": "40", "mean": "12.345", "sd": "0.1"}
    from_sums = {"n": "4", "sum": "10", "sum_of_squares": "30"}
    saved, page = _enter(app, trial, "days-to-claim", from_mean, from_sums)
    control, letter = saved["control"], saved["new letter"]
    assert (control["n"], control["mean"], control["sd"]) == (40, 12.345, 0.1)
    assert (letter["n"], letter["mean"]) == (4, 2.5)
    assert letter["sd"] == pytest.approx((5 / 3) ** 0.5)
    assert _value(page, f"arm{trial['control']}_mean") == "12.345"
    assert _value(page, f"arm{trial['control']}_sd") == "0.1"
    assert _value(page, f"arm{trial['new letter']}_mean") == "2.5"
    assert _value(page, f"arm{trial['new letter']}_sum") == ""


def test_count_results_round_trip(app: Flask, trial: dict[str, int]) -> None:
    control = {"n": "500", "total": "42", "exposure": "480.5"}
    letter = {"n": "510", "total": "0", "exposure": "499"}
    saved, page = _enter(app, trial, "visits", control, letter)
    assert [saved[arm][name] for arm in trial for name in ("n", "total", "exposure")] == [
        500,
        42.0,
        480.5,
        510,
        0.0,
        499.0,
    ]
    assert _value(page, f"arm{trial['control']}_exposure") == "480.5"
    assert _value(page, f"arm{trial['new letter']}_total") == "0"


def test_resaving_the_same_figures_writes_nothing(app: Flask, trial: dict[str, int]) -> None:
    analyst = _analyst(app)
    form = _boxes(
        trial,
        control={"n": "40", "mean": "0.3", "sd": "1e-05"},
        **{"new letter": {"n": "41", "mean": "-2", "sd": "7"}},
    )
    post_form(analyst, f"{RESULTS}/days-to-claim", form)
    before = _state(app)
    page = analyst.get(f"{RESULTS}/days-to-claim").get_data(as_text=True)
    again = {name: _value(page, name) for name in form}
    again.update({f"arm{arm_id}_version": "1" for arm_id in trial.values()})
    response = post_form(analyst, f"{RESULTS}/days-to-claim", again)
    assert response.status_code == 302
    assert _state(app) == before
    assert "No results changed" in analyst.get(RESULTS).get_data(as_text=True)


def test_a_blank_arm_keeps_its_result(app: Flask, trial: dict[str, int]) -> None:
    analyst = _analyst(app)
    first = _boxes(
        trial,
        control={"n": "10", "successes": "3"},
        **{"new letter": {"n": "10", "successes": "4"}},
    )
    post_form(analyst, f"{RESULTS}/take-up", first)
    second = _boxes(trial, **{"new letter": {"n": "12", "successes": "5"}})
    second[f"arm{trial['new letter']}_version"] = "1"
    assert post_form(analyst, f"{RESULTS}/take-up", second).status_code == 302
    saved = _saved(app, "take-up")
    assert (saved[trial["control"]]["n"], saved[trial["control"]]["version"]) == (10, 1)
    assert (saved[trial["new letter"]]["n"], saved[trial["new letter"]]["version"]) == (12, 2)


NEW = "for new letter"
BAD_ARMS = [  # metric, the bad arm's boxes, the box to blame, the message
    ("take-up", "n=10 successes=11", "successes",
     f"The number of successes {NEW} must be no more than the number of units (10)"),
    ("take-up", "n=ten successes=1", "n", f"The number of units (n) {NEW} must be a whole number"),
    ("take-up", "n=10", "successes", f"Enter the number of successes {NEW}"),
    ("days-to-claim", "n=10 mean=3 sd=-1", "sd", f"The standard deviation {NEW} must be 0 or more"),
    ("days-to-claim", "n=10 mean=three sd=1", "mean", f"The mean {NEW} must be a number"),
    ("days-to-claim", "n=10 mean=nan sd=1", "mean", f"The mean {NEW} must be a number"),
    ("days-to-claim", "n=3 mean=1 sd=1 sum=3 sum_of_squares=3", "sum",
     f"Give either the mean and standard deviation or the sums {NEW}, not both"),
    ("days-to-claim", "n=1 sum=3 sum_of_squares=9", "n",
     f"The number of units (n) {NEW} must be at least 2 to work out a standard deviation "
     "from sums"),
    ("days-to-claim", "n=3 sum=3 sum_of_squares=1", "sum_of_squares",
     f"Check the sum of squared values {NEW}: it is smaller than (sum)²/n, which no real data "
     "can give"),
    ("visits", "n=10 total=4 exposure=0", "exposure", f"The exposure {NEW} must be more than 0"),
    ("visits", "n=10 total=-4 exposure=2", "total", f"The total {NEW} must be 0 or more"),
]  # fmt: skip


@pytest.mark.parametrize(("metric", "bad", "box", "message"), BAD_ARMS)
def test_one_bad_arm_saves_nothing_and_says_where(
    app: Flask, trial: dict[str, int], metric: str, bad: str, box: str, message: str
) -> None:
    analyst = _analyst(app)
    good = {
        "take-up": {"n": "10", "successes": "2"},
        "days-to-claim": {"n": "10", "mean": "2", "sd": "1"},
        "visits": {"n": "10", "total": "2", "exposure": "5"},
    }[metric]
    before = _state(app)
    response = post_form(
        analyst,
        f"{RESULTS}/{metric}",
        _boxes(
            trial, control=good, **{"new letter": dict(pair.split("=") for pair in bad.split())}
        ),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<title>Error: " in page
    field_id = f"arm{trial['new letter']}_{box}"
    assert error_summary(page) == [(message, f"#{field_id}")]
    assert f'id="{field_id}-error"' in page
    assert _value(page, f"arm{trial['control']}_n") == "10"  # what was typed is kept
    assert _state(app) == before


def test_a_stale_arm_gets_the_conflict_panel(app: Flask, trial: dict[str, int]) -> None:
    analyst = _analyst(app)
    post_form(analyst, f"{RESULTS}/take-up", _boxes(trial, control={"n": "10", "successes": "3"}))
    with app_session(app) as db_session:
        results.record_result(
            session=db_session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            number=1,
            arm_name="control",
            data={"metric": "take-up", "n": 20, "successes": 9},
            expected_version=1,
        )
        db_session.commit()
    before = _state(app)
    form = _boxes(
        trial,
        control={"n": "11", "successes": "4", "version": "1"},
        **{"new letter": {"n": "12", "successes": "6"}},
    )
    response = post_form(analyst, f"{RESULTS}/take-up", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_summary(page)[0][1] == "#conflict"
    assert "Someone else changed the result for control while you were editing" in page
    table = conflict_table(page)
    assert table["Units (n) for control"] == ("11", "20")
    assert table["Successes for control"] == ("4", "9")
    assert _state(app) == before
    assert f'name="arm{trial["control"]}_version" type="hidden" value="2"' in page

    form[f"arm{trial['control']}_version"] = "2"  # saving again after reading the panel
    assert post_form(analyst, f"{RESULTS}/take-up", form).status_code == 302
    assert _saved(app, "take-up")[trial["control"]]["n"] == 11


def test_results_from_a_dataset_are_flagged_and_kept_unless_changed(
    app: Flask, trial: dict[str, int]
) -> None:
    with app_session(app) as db_session:
        datasets.store_dataset(
            session=db_session,
            actor=ANALYST,
            pilot_slug="letter-trial",
            number=1,
            filename="letters.csv",
            content=b"arm,took_up\ncontrol,1\ncontrol,0\nnew letter,1\nnew letter,1\n",
            column_mapping={"arm": "arm", "outcomes": {"take-up": "took_up"}},
        )
        db_session.commit()
    analyst = _analyst(app)
    page = analyst.get(f"{RESULTS}/take-up").get_data(as_text=True)
    assert "Some of these results were worked out from an uploaded dataset" in text_of(page)
    assert "These figures were worked out from the dataset letters.csv." in page
    control = f"arm{trial['control']}"
    same = {name: _value(page, name) for name in (f"{control}_n", f"{control}_successes")}
    assert same == {f"{control}_n": "2", f"{control}_successes": "1"}
    same.update({f"{control}_note": _value(page, f"{control}_note"), f"{control}_version": "1"})
    before = _state(app)
    assert post_form(analyst, f"{RESULTS}/take-up", same).status_code == 302
    assert _state(app) == before  # the same figures: still the dataset's, nothing written

    same[f"{control}_successes"] = "2"
    assert post_form(analyst, f"{RESULTS}/take-up", same).status_code == 302
    saved = _saved(app, "take-up")
    assert (saved[trial["control"]]["successes"], saved[trial["control"]]["source"]) == (
        2,
        ResultSource.SUMMARY,
    )
    assert saved[trial["new letter"]]["source"] is ResultSource.DATASET


def test_the_results_index_lists_every_metric(app: Flask, trial: dict[str, int]) -> None:
    page = _analyst(app).get(RESULTS).get_data(as_text=True)
    for key, name in (
        ("take-up", "Take up"),
        ("days-to-claim", "Days to claim"),
        ("visits", "Visits"),
    ):
        assert (
            f'href="{RESULTS}/{key}">Enter<span class="govuk-visually-hidden"> results for {name}'
            in page
        )
    assert page.count("0 of 2") == 3


def test_unknown_metric_or_iteration_is_not_found(app: Flask, trial: dict[str, int]) -> None:
    analyst = _analyst(app)
    assert analyst.get(f"{RESULTS}/no-such-metric").status_code == 404
    assert analyst.get(f"{PILOT}/iterations/9/results").status_code == 404
    assert analyst.get("/pilots/no-such-pilot/iterations/1/decision").status_code == 404


# --- the decision ------------------------------------------------------------------------------


def test_decision_round_trip(app: Flask, trial: dict[str, int]) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    page = editor.get(DECISION).get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Record the decision</h1>' in page
    assert "Change the approach and test the new version" in page
    response = post_form(editor, DECISION, DECISION_FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PILOT}#iteration-1")
    assert _decision(app) == ("adapt", DECISION_FORM["rationale"], "Programme board", MARCH_6, 1)

    page = editor.get(DECISION).get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Change the decision</h1>' in page
    assert re.search(r'value="adapt" checked', page)
    assert [_value(page, f"decided_on-{part}") for part in ("day", "month", "year")] == [
        "06",
        "03",
        "2025",
    ]
    assert "Try a shorter one." in page
    assert 'name="version" type="hidden" value="1"' in page

    edited = {**DECISION_FORM, "outcome": "scale", "decided_by": "Minister", "version": "1"}
    assert post_form(editor, DECISION, edited).status_code == 302
    assert _decision(app) == ("scale", DECISION_FORM["rationale"], "Minister", MARCH_6, 2)
    pilot_page = editor.get(PILOT).get_data(as_text=True)
    assert "decided by Minister on 6 March 2025" in pilot_page


def test_decision_errors_link_to_their_fields(app: Flask, trial: dict[str, int]) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    before = _state(app)
    response = post_form(editor, DECISION, {"decided_by": "  ", "decided_on": ["6", "", "2025"]})
    assert response.status_code == 200
    assert error_summary(response.get_data(as_text=True)) == [
        ("Select what you decided", "#outcome"),
        ("Enter why you decided this", "#rationale"),
        ("Enter who decided", "#decided_by"),
        ("Date of the decision must include a month", "#decided_on-month"),
    ]
    assert _state(app) == before


def test_a_stale_decision_gets_the_conflict_panel(app: Flask, trial: dict[str, int]) -> None:
    first = signed_in_client(app, role=Role.EDITOR)
    post_form(first, DECISION, DECISION_FORM)
    second = signed_in_client(app, role=Role.ADMIN)
    assert (
        post_form(first, DECISION, {**DECISION_FORM, "outcome": "stop", "version": "1"}).status_code
        == 302
    )
    kept = _state(app)
    response = post_form(second, DECISION, {**DECISION_FORM, "outcome": "scale", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_summary(page)[0][1] == "#conflict"
    table = conflict_table(page)
    assert table["What did you decide?"] == ("Scale", "Stop")
    assert table["Date of the decision"] == ("6 March 2025", "6 March 2025")
    assert _state(app) == kept
    assert 'name="version" type="hidden" value="2"' in page


# --- who may do what -----------------------------------------------------------------------------


def _writes(trial: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        f"{RESULTS}/take-up": _boxes(trial, control={"n": "10", "successes": "1"}),
        DECISION: DECISION_FORM,
    }


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_who_may_enter_results(app: Flask, trial: dict[str, int], role: Role) -> None:
    """Viewers are refused everywhere; editors on results, but not on the decision."""
    client = signed_in_client(app, role=role)
    token = csrf_token(client, PILOT)
    before = _state(app)
    assert client.get(RESULTS).status_code == 403
    for path, form in _writes(trial).items():
        refused = not (role is Role.EDITOR and path == DECISION)
        assert client.get(path).status_code == (403 if refused else 200), path
        if refused:
            assert client.post(path, data={**form, "csrf_token": token}).status_code == 403, path
    assert _state(app) == before


def test_signed_out_people_are_sent_to_sign_in(app: Flask, trial: dict[str, int]) -> None:
    anonymous = app.test_client()
    before = _state(app)
    for path, form in [(RESULTS, {}), *_writes(trial).items()]:
        assert "/sign-in" in anonymous.get(path).headers["Location"]
        assert anonymous.post(path, data=form).status_code in (302, 400)
    assert _state(app) == before


def test_the_lowest_allowed_roles_succeed(app: Flask, trial: dict[str, int]) -> None:
    editor = signed_in_client(app, role=Role.EDITOR)
    assert post_form(editor, DECISION, DECISION_FORM).status_code == 302
    analyst = _analyst(app)
    assert (
        post_form(analyst, f"{RESULTS}/take-up", _writes(trial)[f"{RESULTS}/take-up"]).status_code
        == 302
    )
    assert len(_state(app)[0]) == 1


def test_pilot_page_links_by_role(app: Flask, trial: dict[str, int]) -> None:
    viewer = signed_in_client(app, role=Role.VIEWER).get(PILOT).get_data(as_text=True)
    assert "Enter results" not in viewer and "Record the decision" not in viewer
    editor_client = signed_in_client(app, role=Role.EDITOR)
    editor = editor_client.get(PILOT).get_data(as_text=True)
    assert f'href="{DECISION}">Record the decision' in editor and "Enter results" not in editor
    analyst = _analyst(app).get(PILOT).get_data(as_text=True)
    assert f'href="{RESULTS}">Enter results' in analyst
    post_form(editor_client, DECISION, DECISION_FORM)
    assert "Change the decision" in editor_client.get(PILOT).get_data(as_text=True)


def test_services_refuse_an_editor_even_past_the_page(app: Flask, trial: dict[str, int]) -> None:
    """The route's role and the service's agree: an editor cannot write a result at all."""
    from tracker.services.errors import NotAllowed

    with app_session(app) as db_session, pytest.raises(NotAllowed):
        results.record_result(
            session=db_session,
            actor=EDITOR,
            pilot_slug="letter-trial",
            number=1,
            arm_name="control",
            data={"metric": "take-up", "n": 1, "successes": 1},
        )
