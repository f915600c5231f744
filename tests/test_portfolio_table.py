"""The portfolio as rows: one per pilot, the same in CSV and XLSX, never a formula."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlmodel import Session, func, select

from tests import factories
from tests.query_count import counted_queries
from tracker.io.portfolio_table import (
    COLUMNS,
    portfolio_csv,
    portfolio_table,
    portfolio_xlsx,
)
from tracker.io.xlsx_export import xlsx_bytes
from tracker.models import Pilot
from tracker.models.enums import DecisionOutcome, MetricKind
from tracker.services import results
from tracker.services.analysis import run_analysis
from tracker.services.headlines import MetricFacts, headline

EVIL_TITLE = '=HYPERLINK("http://example.com/steal","Click")'
TAKE_UP = {
    "control": {"metric": "take-up", "n": 400, "successes": 100},
    "new letter": {"metric": "take-up", "n": 400, "successes": 160},
}


def decide(session: Session, number: int, outcome: DecisionOutcome, on: date) -> None:
    results.record_decision(
        session=session,
        actor=factories.EDITOR,
        pilot_slug="letter-trial",
        number=number,
        data={"outcome": outcome, "rationale": "Because", "decided_by": "Board", "decided_on": on},
    )


def build(session: Session) -> Any:
    """school-meals with an analysed two-iteration pilot and a bare one; a policy with none."""
    factories.make_trial(session)
    factories.record_results(session, TAKE_UP)
    factories.make_iteration_with_arms(session, number=2)
    decide(session, 1, DecisionOutcome.ADAPT, date(2025, 3, 1))
    decide(session, 2, DecisionOutcome.SCALE, date(2025, 6, 1))
    factories.make_pilot(session, slug="second-trial", planned_sample_size=900)
    factories.make_policy(session, slug="pilotless", title=EVIL_TITLE, tags=["-risky", "plain"])
    return run_analysis(session=session, actor=factories.ANALYST, pilot_slug="letter-trial")


def as_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def test_one_row_per_pilot_and_one_per_policy_without_pilots(session: Session) -> None:
    run = build(session)
    rows = as_dicts(portfolio_table(session=session).rows)
    assert [(row["policy_slug"], row["pilot_slug"]) for row in rows] == [
        ("pilotless", None),  # policies by title: "=" sorts before "P"
        ("school-meals", "letter-trial"),
        ("school-meals", "second-trial"),
    ]
    pilots = session.exec(select(func.count()).select_from(Pilot)).one()
    assert sum(row["pilot_slug"] is not None for row in rows) == pilots
    pilotless, letter, second = rows
    assert letter["iterations"] == 2 and second["iterations"] == 0
    assert (letter["latest_decision"], letter["latest_decision_on"]) == ("scale", date(2025, 6, 1))
    assert (letter["latest_analysis_run_id"], letter["latest_analysis_inputs_hash"]) == (
        run.id,
        run.inputs_hash,
    )
    assert second["planned_sample_size"] == 900 and second["headline_result"] is None
    assert second["latest_decision"] is None and second["latest_analysis_run_id"] is None
    assert pilotless["policy_title"] == EVIL_TITLE and pilotless["tags"] == "-risky; plain"
    assert all(pilotless[name] is None for name in COLUMNS[6:])


def test_the_headline_is_the_runs_words_on_the_primary_metric(session: Session) -> None:
    run = build(session)
    letter = as_dicts(portfolio_table(session=session).rows)[1]
    expected = headline(run.rows, MetricFacts("take-up", "Take up", MetricKind.BINARY))
    assert expected is not None and letter["headline_result"] == expected.words
    assert letter["headline_result"] == (
        "Take up: between 8.5 and 21.3 percentage points more with new letter than with control "
        "(v1, 95% confidence interval)"
    )


def test_csv_neutralises_formulas_and_keeps_numbers_and_dates(session: Session) -> None:
    build(session)
    text = portfolio_csv(portfolio_table(session=session))
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == list(COLUMNS)
    pilotless, letter, second = records
    assert pilotless["policy_title"] == "'" + EVIL_TITLE
    assert pilotless["tags"] == "'-risky; plain"
    assert letter["latest_decision_on"] == "2025-06-01"
    assert letter["iterations"] == "2" and second["planned_sample_size"] == "900"


def test_xlsx_stores_formula_like_text_as_neutralised_strings(session: Session) -> None:
    build(session)
    table = portfolio_table(session=session)
    sheet = load_workbook(io.BytesIO(portfolio_xlsx(table))).active
    header = [cell.value for cell in sheet[1]]
    assert header == list(COLUMNS)
    title = sheet.cell(row=2, column=COLUMNS.index("policy_title") + 1)
    assert title.data_type == "s" and title.value == "'" + EVIL_TITLE
    tags = sheet.cell(row=2, column=COLUMNS.index("tags") + 1)
    assert tags.data_type == "s" and tags.value.startswith("'-")
    iterations = sheet.cell(row=3, column=COLUMNS.index("iterations") + 1)
    assert iterations.data_type == "n" and iterations.value == 2
    decided = sheet.cell(row=3, column=COLUMNS.index("latest_decision_on") + 1)
    assert decided.is_date and decided.value.date() == date(2025, 6, 1)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.max_row == len(table.rows) + 1


def test_the_number_of_queries_does_not_grow_with_the_pilots(session: Session) -> None:
    build(session)
    session.commit()
    with counted_queries(session) as few:
        portfolio_table(session=session)
    for number in range(3, 8):
        factories.make_pilot(session, slug=f"trial-{number}")
        factories.make_iteration_with_arms(session, pilot_slug=f"trial-{number}")
        factories.make_policy(session, slug=f"policy-{number}")
    session.commit()
    with counted_queries(session) as many:
        rows = portfolio_table(session=session).rows
    assert len(rows) == 3 + 10
    assert len(many) == len(few) <= 8


def test_every_example_pilot_has_a_row(example_url: str) -> None:
    from tracker.db import get_engine

    with Session(get_engine(example_url)) as session:
        slugs = set(session.exec(select(Pilot.slug)).all())
        rows = as_dicts(portfolio_table(session=session).rows)
    assert {row["pilot_slug"] for row in rows} == slugs and len(rows) == len(slugs)
    council = next(row for row in rows if row["policy_slug"] == "council-tax-text-reminders")
    assert council["illustrative"] is True and council["iterations"] == 3


def test_xlsx_drops_characters_xml_cannot_hold_before_neutralising() -> None:
    body = xlsx_bytes(
        ["a", "b", "c", "d"], [["\x01=SUM(1)", float("nan"), -3.5, "\tx"]], sheet_title="T"
    )
    cells = load_workbook(io.BytesIO(body)).active[2]
    assert [(cell.value, cell.data_type) for cell in cells] == [
        ("'=SUM(1)", "s"),
        (None, "n"),
        (-3.5, "n"),
        ("'\tx", "s"),
    ]
