"""Finding policies and pilots: filters by stage, team, tag, status, evaluation type and text.

Text matches are case-insensitive substring matches (ILIKE on PostgreSQL, lower() LIKE on
SQLite, which folds ASCII letters only) with the user's `%`, `_` and `\\` taken literally.
Tags are a JSON list, so they are matched in their stored JSON text: the search text is written
the way JSON writes it, and each hit is then confirmed against the real list, so a search for a
comma or a bracket does not match the JSON punctuation between tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tracker.models import Iteration, Pilot, Policy
from tracker.models.enums import EvaluationType, PilotStatus, PolicyStage
from tracker.services.overviews import PolicySummary

LIKE_ESCAPE = "\\"
TEXT_MAX = 200  # longer search text is cut: nothing useful is that long, and it bounds the query

Choice = TypeVar("Choice", bound=StrEnum)
Item = TypeVar("Item")


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards and its escape character in `text` taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """`column` contains `text`, ignoring case, on SQLite and PostgreSQL."""
    return sa.cast(column, sa.Text).ilike(like_pattern(text), escape=LIKE_ESCAPE)


def _json_contains(column: Any, text: str, *, whole: bool) -> sa.ColumnElement[bool]:
    """A JSON list column's stored text contains `text` as JSON writes it (quoted if `whole`)."""
    encoded = json.dumps(text)
    if not whole:
        return contains(column, encoded[1:-1])
    return sa.cast(column, sa.Text).like(like_pattern(encoded), escape=LIKE_ESCAPE)


def parse_choices(values: Iterable[str], enum: type[Choice]) -> tuple[Choice, ...]:
    """The known members named in `values`, in the enum's order; unknown names are ignored."""
    wanted = set(values)
    return tuple(member for member in enum if member.value in wanted)


def clean_text(text: str | None) -> str:
    """Search text as typed, trimmed and bounded; NUL characters, which PostgreSQL text cannot
    hold (a query with one fails), are dropped."""
    return (text or "").replace("\x00", "").strip()[:TEXT_MAX]


@dataclass(frozen=True)
class ListFilters:
    """What a list page is filtered by: words to search for, and each subclass's own filters.
    Every field's empty value means "any"."""

    text: str = ""

    @property
    def active(self) -> bool:
        """Whether any filter is set: the page then counts the matches and offers to clear them."""
        return any(getattr(self, field.name) for field in fields(self))


@dataclass(frozen=True)
class PolicyFilters(ListFilters):
    """What the portfolio is filtered by."""

    stages: tuple[PolicyStage, ...] = ()
    team: str = ""
    tag: str = ""


@dataclass(frozen=True)
class PolicyChoices:
    """The values the portfolio's filters offer: every team and every tag in use."""

    teams: list[str]
    tags: list[str]


# Every distinct tag, unnested by the database itself: reading every policy's tag list to build
# two drop-downs was 12% of the dashboard at 5,000 policies.
DISTINCT_TAGS = {
    "sqlite": "SELECT DISTINCT tag.value FROM policy, json_each(policy.tags) AS tag",
    "postgresql": "SELECT DISTINCT json_array_elements_text(policy.tags) FROM policy",
}


def policy_choices(*, session: Session) -> PolicyChoices:
    """Every team and every tag of the portfolio, sorted for the filter lists."""
    teams = session.exec(select(Policy.team).distinct()).all()
    dialect = session.get_bind().dialect.name
    tags = [str(tag) for tag in session.execute(sa.text(DISTINCT_TAGS[dialect])).scalars()]
    return PolicyChoices(teams=sorted(teams, key=str.casefold), tags=sorted(tags, key=str.casefold))


def _has_text(needle: str, texts: Iterable[str]) -> bool:
    """Whether any of `texts` contains `needle`, with Unicode case folding."""
    folded = needle.casefold()
    return any(folded in text.casefold() for text in texts)


@dataclass(frozen=True)
class Found(Generic[Item]):
    """One page of a search's matches, and how many match on every page."""

    items: list[Item]
    total: int


def _policy_conditions(
    filters: PolicyFilters, published_only: bool
) -> list[sa.ColumnElement[bool]]:
    """The filters as SQL: exact for published, stage and team, a superset for tag and text."""
    conditions: list[sa.ColumnElement[bool]] = []
    if published_only:
        conditions.append(col(Policy.published).is_(True))
    if filters.stages:
        conditions.append(col(Policy.stage).in_(filters.stages))
    if filters.team:
        conditions.append(col(Policy.team) == filters.team)
    if filters.tag:
        conditions.append(_json_contains(Policy.tags, filters.tag, whole=True))
    if filters.text:
        conditions.append(
            sa.or_(
                contains(Policy.title, filters.text),
                contains(Policy.problem_statement, filters.text),
                contains(Policy.team, filters.text),
                _json_contains(Policy.tags, filters.text, whole=False),
            )
        )
    return conditions


def _confirmed_policy_ids(
    session: Session, conditions: list[sa.ColumnElement[bool]], filters: PolicyFilters
) -> list[int]:
    """Ids, by title, of the SQL candidates whose real tag list and text match: the stored JSON
    of tags is only a superset, so it is checked here, reading just the searched columns."""
    searched = [col(c) for c in (Policy.title, Policy.problem_statement, Policy.team, Policy.tags)]
    rows = session.execute(
        sa.select(col(Policy.id), *searched)
        .where(*conditions)
        .order_by(col(Policy.title), col(Policy.id))
    ).all()
    return [
        policy_id or 0
        for policy_id, title, problem, team, tags in rows
        if (not filters.tag or filters.tag in tags)
        and (not filters.text or _has_text(filters.text, [title, problem, team, *tags]))
    ]


def _in_order(policies: Iterable[Policy], ids: list[int]) -> list[Policy]:
    """`policies` (fetched by id) in the order of `ids`."""
    by_id = {policy.id: policy for policy in policies}
    return [by_id[policy_id] for policy_id in ids if policy_id in by_id]


def find_policies(
    *,
    session: Session,
    filters: PolicyFilters,
    published_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Found[PolicySummary]:
    """`limit` policies from `offset` of those matching every filter, by title, each with its
    number of pilots, and how many match in all; the page is cut in the database.

    Stages are alternatives (any of them); team and tag match exactly; text matches the title,
    problem statement, team or any tag. `published_only` is not a filter a person picks but the
    scope of a caller without a token (open API reads): it never sees unpublished work.
    Without a tag or text filter everything happens in SQL (a count and one page); with one,
    the candidates' ids and searched columns are read and confirmed in Python first.
    """
    conditions = _policy_conditions(filters, published_only)
    end = None if limit is None else offset + limit
    if filters.tag or filters.text:
        ids = _confirmed_policy_ids(session, conditions, filters)
        total = len(ids)
        page_ids = ids[offset:end]
        found = _in_order(
            session.exec(select(Policy).where(col(Policy.id).in_(page_ids))).all(), page_ids
        )
    else:
        total = session.exec(select(sa.func.count()).select_from(Policy).where(*conditions)).one()
        # An offset past the end needs no query (and may be too big for SQL's integers).
        # An offset past the end needs no query (and may be too big for SQL's integers).
        found = (
            []
            if offset >= total
            else list(
                session.exec(
                    select(Policy)
                    .where(*conditions)
                    .order_by(col(Policy.title), col(Policy.id))  # id: pages never overlap
                    .offset(offset)
                    .limit(limit)
                ).all()
            )
        )
    counts = dict(
        session.exec(
            select(Pilot.policy_id, sa.func.count())
            .where(col(Pilot.policy_id).in_([policy.id for policy in found]))
            .group_by(col(Pilot.policy_id))
        ).all()
    )
    return Found([PolicySummary(p, counts.get(p.id or 0, 0)) for p in found], total)


def search_policies(
    *, session: Session, filters: PolicyFilters, published_only: bool = False
) -> list[PolicySummary]:
    """Every policy matching the filters, by title, with its number of pilots (find_policies
    with no page: for callers that need them all)."""
    return find_policies(session=session, filters=filters, published_only=published_only).items


@dataclass(frozen=True)
class PilotFilters(ListFilters):
    """What the pilot list is filtered by; `policy` is a slug."""

    statuses: tuple[PilotStatus, ...] = ()
    evaluation_types: tuple[EvaluationType, ...] = ()
    policy: str = ""


@dataclass(frozen=True)
class PilotMatch:
    """A row of the pilot list: the pilot, its policy and its latest iteration, if any."""

    pilot: Pilot
    policy: Policy
    latest_iteration: Iteration | None


def _pilot_conditions(filters: PilotFilters, published_only: bool) -> list[sa.ColumnElement[bool]]:
    """The filters as SQL, all exact: the searched columns are plain text."""
    conditions: list[sa.ColumnElement[bool]] = []
    if published_only:
        conditions.append(col(Policy.published).is_(True))
    if filters.statuses:
        conditions.append(col(Pilot.status).in_(filters.statuses))
    if filters.evaluation_types:
        conditions.append(col(Pilot.evaluation_type).in_(filters.evaluation_types))
    if filters.policy:
        conditions.append(col(Policy.slug) == filters.policy)
    if filters.text:
        columns = (
            Pilot.title,
            Pilot.population,
            Pilot.place,
            Pilot.unit_of_randomisation,
            Pilot.citation,
        )
        conditions.append(sa.or_(*(contains(column, filters.text) for column in columns)))
    return conditions


def _latest_iterations(session: Session, pilot_ids: list[int]) -> dict[int, Iteration]:
    """The newest iteration of each of these pilots that has one, in one grouped query."""
    newest = (
        select(Iteration.pilot_id, sa.func.max(Iteration.number).label("number"))
        .where(col(Iteration.pilot_id).in_(pilot_ids))
        .group_by(col(Iteration.pilot_id))
        .subquery()
    )
    iterations = session.exec(
        select(Iteration).join(
            newest,
            sa.and_(
                col(Iteration.pilot_id) == newest.c.pilot_id,
                col(Iteration.number) == newest.c.number,
            ),
        )
    ).all()
    return {iteration.pilot_id: iteration for iteration in iterations}


def find_pilots(
    *,
    session: Session,
    filters: PilotFilters,
    published_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Found[PilotMatch]:
    """`limit` pilots from `offset` of those matching every filter, by policy then title, and
    how many match in all: a count and one page in SQL, then the page's latest iterations.

    Statuses and evaluation types are alternatives; text matches the pilot's title, population,
    place, unit of randomisation or citation. `published_only` keeps the pilots of published
    policies only, as find_policies does.
    """
    conditions = _pilot_conditions(filters, published_only)
    joined = (col(Pilot.policy_id) == col(Policy.id),)
    total = session.exec(
        select(sa.func.count()).select_from(Pilot).join(Policy, *joined).where(*conditions)
    ).one()
    # An offset past the end needs no query (and may be too big for SQL's integers).
    rows = (
        []
        if offset >= total
        else session.exec(
            select(Pilot, Policy)
            .join(Policy, *joined)
            .where(*conditions)
            .order_by(col(Policy.title), col(Policy.id), col(Pilot.title), col(Pilot.id))
            .offset(offset)
            .limit(limit)
        ).all()
    )
    latest = _latest_iterations(session, [pilot.id or 0 for pilot, _ in rows])
    return Found(
        [PilotMatch(pilot, policy, latest.get(pilot.id or 0)) for pilot, policy in rows], total
    )


def policy_options(*, session: Session) -> list[tuple[str, str]]:
    """(slug, title) of every policy that has a pilot, by title, for the pilot list's filter."""
    return [
        (slug, title)
        for slug, title in session.exec(
            select(Policy.slug, Policy.title)
            .where(col(Policy.id).in_(select(Pilot.policy_id)))
            .order_by(col(Policy.title))
        ).all()
    ]
