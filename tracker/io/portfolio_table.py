"""The portfolio as one table: a row per pilot (and one per policy without a pilot).

Government reporting asks for the portfolio in a spreadsheet. The CSV and the XLSX download are
written from these same rows, so they can never disagree; the rows are read in a fixed number
of queries (seven) however many policies and pilots there are, and each headline is taken from
the pilot's newest stored analysis run, named by its id and inputs hash so a reader can
reproduce it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from tracker.io.csv_export import Cell, csv_text
from tracker.io.xlsx_export import xlsx_bytes
from tracker.models import AnalysisRun, Decision, Iteration, Metric, Pilot, Policy
from tracker.services.headlines import latest_runs, primary_headline

TableCell = str | int | float | date | None

COLUMNS: tuple[str, ...] = (
    "policy_slug",
    "policy_title",
    "team",
    "tags",
    "stage",
    "illustrative",
    "pilot_slug",
    "pilot_title",
    "pilot_status",
    "design",
    "evaluation_type",
    "evidence_strength",
    "planned_sample_size",
    "planned_start",
    "planned_end",
    "iterations",
    "latest_decision",
    "latest_decision_on",
    "latest_analysis_run_id",
    "latest_analysis_inputs_hash",
    "headline_result",
)


@dataclass(frozen=True)
class PortfolioTable:
    """A header and its rows, in COLUMNS order: what both download formats write."""

    header: tuple[str, ...]
    rows: list[tuple[TableCell, ...]]


def _latest_decisions(
    session: Session, pilot_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, Decision]]:
    """Each pilot's number of iterations and its latest decision (latest date, then iteration)."""
    iterations = session.exec(
        select(Iteration.id, Iteration.pilot_id, Iteration.number).where(
            col(Iteration.pilot_id).in_(pilot_ids)
        )
    ).all()
    counts: dict[int, int] = defaultdict(int)
    place: dict[int, tuple[int, int]] = {}
    for iteration_id, pilot_id, number in iterations:
        counts[pilot_id] += 1
        place[iteration_id or 0] = (pilot_id, number)
    latest: dict[int, tuple[tuple[date, int], Decision]] = {}
    for decision in session.exec(
        select(Decision).where(col(Decision.iteration_id).in_(list(place)))
    ):
        pilot_id, number = place[decision.iteration_id]
        order = (decision.decided_on, number)
        if pilot_id not in latest or order > latest[pilot_id][0]:
            latest[pilot_id] = (order, decision)
    return dict(counts), {pilot_id: decision for pilot_id, (_, decision) in latest.items()}


def headline_words(run: AnalysisRun | None, metrics: Sequence[Metric]) -> str | None:
    """The run's headline on the pilot's primary metric in words, or None when it has none."""
    said = primary_headline(run.rows, metrics, run_id=run.id) if run else None
    return said.words if said else None


def _pilot_cells(pilot: Pilot, iterations: int, decision: Decision | None) -> tuple[TableCell, ...]:
    """The pilot's own columns, from its slug to its latest decision's date."""
    return (
        pilot.slug,
        pilot.title,
        pilot.status.value,
        pilot.design.value,
        pilot.evaluation_type.value,
        pilot.evidence_strength,
        pilot.planned_sample_size,
        pilot.planned_start,
        pilot.planned_end,
        iterations,
        decision.outcome.value if decision else None,
        decision.decided_on if decision else None,
    )


def portfolio_table(*, session: Session) -> PortfolioTable:
    """Every policy and pilot as rows, policies by title and their pilots in creation order."""
    policies = session.exec(select(Policy).order_by(col(Policy.title), col(Policy.id))).all()
    pilots = session.exec(select(Pilot).order_by(col(Pilot.id))).all()
    pilot_ids = [pilot.id or 0 for pilot in pilots]
    iteration_counts, decisions = _latest_decisions(session, pilot_ids)
    runs = latest_runs(session, pilot_ids)
    metrics_of: dict[int, list[Metric]] = defaultdict(list)
    for metric in session.exec(select(Metric).order_by(col(Metric.id))):
        metrics_of[metric.policy_id].append(metric)
    pilots_of: dict[int, list[Pilot]] = defaultdict(list)
    for pilot in pilots:
        pilots_of[pilot.policy_id].append(pilot)
    rows: list[tuple[TableCell, ...]] = []
    for policy in policies:
        policy_cells: tuple[TableCell, ...] = (
            policy.slug,
            policy.title,
            policy.team,
            "; ".join(policy.tags),
            policy.stage.value,
            policy.illustrative,
        )
        if not pilots_of[policy.id or 0]:
            rows.append((*policy_cells, *(None,) * (len(COLUMNS) - len(policy_cells))))
        for pilot in pilots_of[policy.id or 0]:
            pilot_id = pilot.id or 0
            decision, run = decisions.get(pilot_id), runs.get(pilot_id)
            rows.append(
                (
                    *policy_cells,
                    *_pilot_cells(pilot, iteration_counts.get(pilot_id, 0), decision),
                    run.id if run else None,
                    run.inputs_hash if run else None,
                    headline_words(run, metrics_of[policy.id or 0]),
                )
            )
    return PortfolioTable(COLUMNS, rows)


def _plain(cell: TableCell) -> Cell:
    """Dates as ISO 8601 text for CSV, which has no date type; everything else unchanged."""
    return cell.isoformat() if isinstance(cell, date) else cell


def portfolio_csv(table: PortfolioTable) -> str:
    """The table as CSV text, every text cell neutralised against formulas."""
    return csv_text(table.header, ([_plain(cell) for cell in row] for row in table.rows))


def portfolio_xlsx(table: PortfolioTable) -> bytes:
    """The same table as an XLSX workbook, text neutralised as in the CSV, numbers as numbers."""
    return xlsx_bytes(table.header, table.rows, sheet_title="Portfolio")
