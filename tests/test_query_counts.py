"""No N+1 anywhere a person or a script reads (issue 8): every page and every API list call runs
as many SQL statements on a portfolio of 6 policies as on one of 2, and as many for a big
policy (more of every kind of record, more iterations) as for a usual one.

Not timed: a count that grows with the data is a cost that grows with it, whatever the machine.
The portfolio comparison reads the first policy and its first pilot, which have the same shape
at both sizes, so only the rest of the portfolio changes between the two counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests import factories
from tests.api_helpers import ApiClient, api_client
from tests.conftest import signed_in_client
from tests.query_count import counted_queries
from tests.web_helpers import app_session
from tracker.api.pagination import MAX_LIMIT
from tracker.models.enums import (
    STAGE_ORDER,
    DecisionOutcome,
    IterationStatus,
    MetricKind,
    MetricRole,
    MultipleTesting,
    PilotStatus,
)
from tracker.services import datasets, iterations, plans, policies, results
from tracker.services.analysis import run_analysis

SMALL, LARGE = 2, 6
ARMS = (("control", True, 0.34), ("new letter", False, 0.33), ("text message", False, 0.33))
UNITS = b"arm,paid,days\n" + b"".join(
    f"{arm},{unit % 2},{10 + unit % 7}\n".encode() for arm, *_ in ARMS for unit in range(12)
)
UNIT_COLUMNS = {"take-up": "paid", "days-to-claim": "days"}
PAGES = (
    "/",
    "/dashboard",
    "/pilots",
    "/policies/{policy}",
    "/policies/{policy}/journey",
    "/pilots/{pilot}",
    "/pilots/{pilot}/iterations/1/results-analysis",
    "/pilots/{pilot}/learning",
    "/pilots/{pilot}/report",
    "/pilots/{pilot}/registry",
    "/knowledge",
    "/exports/portfolio.csv",
    "/exports/portfolio.xlsx",
)
# The largest page of every list; the audit trail only its policy events, fewer than a page at
# both sizes, so every list has more items on its page in the bigger portfolio.
API_FILTERS = {"api_v1.list_events": {"entity_type": "policy"}}
# Per-request bookkeeping of an API token that depends on the clock, not on the data:
# `last_used_at` is written at most once a minute and a new rate window clears the old one.
CLOCKED = ("api_rate_window", "UPDATE api_token")


@dataclass(frozen=True)
class Shape:
    """How much a policy holds: `records` of each kind (extra metrics, stage moves, needs,
    hypotheses, engagement entries, plan versions, datasets, analysis runs) and `iterations`
    per pilot, all decided but the last."""

    records: int
    iterations: int

    def metric_keys(self) -> list[str]:
        return ["take-up", "days-to-claim", *(f"opened-{k}" for k in range(1, self.records))]


USUAL = Shape(records=1, iterations=3)
BIG = Shape(records=3, iterations=5)
FIRST = ("policy-0", "policy-0-pilot-1")
LAST = (f"policy-{LARGE - 1}", f"policy-{LARGE - 1}-pilot-1")  # the big one


def typed_results(session: Session, pilot: str, number: int, metric_keys: list[str]) -> None:
    """Per-arm results for `metric_keys` as an analyst types them."""
    for index, (arm, *_) in enumerate(ARMS):
        n = 400 + 10 * index
        for key in metric_keys:
            data = (
                {"metric": key, "n": n, "mean": 12.0 - index, "sd": 4.0}
                if key == "days-to-claim"
                else {"metric": key, "n": n, "successes": n // (3 - index % 2)}
            )
            factories.record_results(session, {arm: data}, pilot_slug=pilot, number=number)


def add_iteration(
    session: Session, shape: Shape, pilot: str, number: int, *, with_dataset: bool
) -> None:
    """Iteration vN with three arms and results on every metric, decided unless it is the last;
    with a dataset, two of its metrics' results come from unit-level rows."""
    finished = number < shape.iterations
    factories.make_iteration(
        session,
        pilot_slug=pilot,
        number=number,
        status=IterationStatus.COMPLETE if finished else IterationStatus.RUNNING,
    )
    for name, is_control, allocation in ARMS:
        iterations.create_arm(
            session=session,
            actor=factories.EDITOR,
            pilot_slug=pilot,
            number=number,
            data={"name": name, "is_control": is_control, "allocation": allocation},
        )
    typed = shape.metric_keys()
    if with_dataset:
        datasets.store_dataset(
            session=session,
            actor=factories.ANALYST,
            pilot_slug=pilot,
            number=number,
            filename="units.csv",
            content=UNITS,
            column_mapping={"arm": "arm", "outcomes": UNIT_COLUMNS},
        )
        typed = [key for key in typed if key not in UNIT_COLUMNS]
    typed_results(session, pilot, number, typed)
    if finished:
        results.record_decision(
            session=session,
            actor=factories.EDITOR,
            pilot_slug=pilot,
            number=number,
            data={
                "outcome": DecisionOutcome.ADAPT,
                "rationale": f"Adapt after v{number}",
                "decided_by": "Programme board",
                "decided_on": date(2025, 3, number),
            },
        )


def add_pilot(session: Session, shape: Shape, policy: str, pilot: str, *, analysed: bool) -> None:
    """A pilot testing every hypothesis, with locked plan versions and its iterations; an
    analysed one has datasets and stored analysis runs."""
    factories.make_pilot(
        session,
        policy_slug=policy,
        slug=pilot,
        hypothesis_keys=[f"hypothesis-{k}" for k in range(shape.records)],
        status=PilotStatus.RUNNING,
    )
    primary, *others = shape.metric_keys()
    for version in range(1, shape.records + 1):
        factories.make_plan(
            session,
            pilot_slug=pilot,
            metrics=[(primary, MetricRole.PRIMARY), *((k, MetricRole.SECONDARY) for k in others)],
            amendment_reason=f"Amendment {version}" if version > 1 else None,
            # Not Holm: statsmodels' Holm runs a full gc.collect() per family, seconds here.
            multiple_testing=MultipleTesting.BENJAMINI_HOCHBERG,
        )
        plans.lock_plan(
            session=session,
            actor=factories.ANALYST,
            pilot_slug=pilot,
            version=version,
            expected_version=None,
        )
    for number in range(1, shape.iterations + 1):
        add_iteration(
            session, shape, pilot, number, with_dataset=analysed and number <= shape.records
        )
    if analysed:  # a run of the whole pilot, and of single iterations for more runs
        run_analysis(session=session, actor=factories.ANALYST, pilot_slug=pilot)
        for number in range(1, shape.records):
            run_analysis(
                session=session, actor=factories.ANALYST, pilot_slug=pilot, iteration=number
            )


def add_policy(session: Session, shape: Shape, policy: str) -> None:
    """A policy moved on from idea, with its metrics, needs, hypotheses, 2 pilots and engagement
    tied to the first pilot's iterations."""
    factories.make_policy(session, slug=policy, tags=["letters", policy])
    for stage in STAGE_ORDER[1 : shape.records + 1]:
        policies.decide_stage(
            session=session,
            actor=factories.EDITOR,
            slug=policy,
            data=factories.decision_data(stage, decided_on=date(2025, 2, 1)),
            expected_version=None,
        )
    keys = shape.metric_keys()
    for key in keys:
        kind = MetricKind.CONTINUOUS if key == "days-to-claim" else MetricKind.BINARY
        factories.make_metric(session, policy_slug=policy, key=key, kind=kind)
    for k in range(shape.records):
        factories.make_user_need(session, policy_slug=policy, key=f"need-{k}", metric_keys=keys)
        factories.make_hypothesis(
            session, policy_slug=policy, key=f"hypothesis-{k}", measured_by="take-up"
        )
    add_pilot(session, shape, policy, f"{policy}-pilot-1", analysed=True)
    add_pilot(session, shape, policy, f"{policy}-pilot-2", analysed=False)
    for k in range(shape.records):
        factories.make_engagement(
            session,
            policy_slug=policy,
            key=f"engagement-{k}",
            pilot=f"{policy}-pilot-1",
            iteration=k + 1,
        )


def grow_portfolio(app: Flask, size: int) -> None:
    """Add policies until there are `size` (policy-0, policy-1, …); the LARGEth one is BIG."""
    with app_session(app) as session:
        existing = len(policies.list_policies(session=session))
        for index in range(existing, size):
            add_policy(session, BIG if index == LARGE - 1 else USUAL, f"policy-{index}")
        session.commit()


def api_list_paths(app: Flask, policy: str, pilot: str) -> list[str]:
    """Every API list endpoint, from the URL map, asking for its largest page of the records
    of `policy` or `pilot` (iteration 1 of the pilot where the path names an iteration)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api_v1.list_") or "GET" not in (rule.methods or ()):
            continue
        unknown = rule.arguments - {"slug", "number"}
        assert not unknown, f"{rule.rule}: give the query-count test a value for {unknown}"
        slug = policy if rule.rule.startswith("/api/v1/policies/") else pilot
        built = rule.build({"slug": slug, "number": "1"}, append_unknown=False)
        assert built, rule.rule
        query = {"limit": MAX_LIMIT, **API_FILTERS.get(rule.endpoint, {})}
        paths.append(f"{built[1]}?{urlencode(query)}")
    return sorted(paths)


def read_paths(app: Flask, policy: str, pilot: str) -> list[str]:
    """Every page and API list a reader of `policy` and `pilot` may open."""
    pages = [page.format(policy=policy, pilot=pilot) for page in PAGES]
    return pages + api_list_paths(app, policy, pilot)


@dataclass
class Readers:
    """A viewer in a browser for pages and a viewer's token for the API."""

    browser: FlaskClient
    script: ApiClient

    def statements(self, app: Flask, paths: list[str]) -> list[list[str]]:
        """The SQL each path runs, clock-driven token bookkeeping left out; each must be 200."""
        counted = []
        with app_session(app) as session:
            for path in paths:
                reader = self.script if path.startswith("/api/") else self.browser
                with counted_queries(session) as statements:
                    response = reader.get(path)
                assert response.status_code == 200, (path, response.status_code)
                counted.append([sql for sql in statements if not any(c in sql for c in CLOCKED)])
        return counted


def repeats(statements: list[str]) -> str:
    """The statements run more than once, each with how often: where an N+1 shows."""
    return "\n".join(
        f"    {times}× {sql[:300]}" for sql, times in Counter(statements).most_common() if times > 1
    )


def growth(
    title: str, paths: list[str], before: list[list[str]], after: list[list[str]]
) -> list[str]:
    """A table of both counts per path under `title`, and what repeats where a count grew."""
    lines = [title] + [
        f"{len(b):4} {len(a):4}  {path}" for path, b, a in zip(paths, before, after, strict=True)
    ]
    grown = [
        f"  {path} grew; run more than once:\n{repeats(a)}"
        for path, b, a in zip(paths, before, after, strict=True)
        if len(a) != len(b)
    ]
    return lines + grown if grown else []


def test_no_page_or_api_list_runs_more_queries_on_more_data(app: Flask) -> None:
    grow_portfolio(app, SMALL)
    readers = Readers(signed_in_client(app), api_client(app))
    first, last = read_paths(app, *FIRST), read_paths(app, *LAST)
    assert f"/api/v1/pilots/{FIRST[1]}/iterations/1/arms?limit={MAX_LIMIT}" in first
    readers.statements(app, first)  # the first requests warm caches: not counted
    small = readers.statements(app, first)
    grow_portfolio(app, LARGE)
    large, big = readers.statements(app, first), readers.statements(app, last)
    failures = growth(
        f"statements at {SMALL} and {LARGE} policies (first policy and pilot):",
        first,
        small,
        large,
    ) + growth("statements for a usual and a big policy and pilot:", last, large, big)
    assert not failures, "\n".join(failures)
