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
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from tracker.models import Iteration, Pilot, Policy
from tracker.models.enums import EvaluationType, PilotStatus, PolicyStage
from tracker.services.overviews import PolicySummary

LIKE_ESCAPE = "\\"
TEXT_MAX = 200  # longer search text is cut: nothing useful is that long, and it bounds the query

Choice = TypeVar("Choice", bound=StrEnum)


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


def policy_choices(*, session: Session) -> PolicyChoices:
    """Every team and every tag of the portfolio, sorted for the filter lists."""
    teams = session.exec(select(Policy.team).distinct()).all()
    tags = {tag for tag_list in session.exec(select(Policy.tags)).all() for tag in tag_list or []}
    return PolicyChoices(teams=sorted(teams, key=str.casefold), tags=sorted(tags, key=str.casefold))


def _policy_matches_text(policy: Policy, text: str) -> bool:
    needle = text.casefold()
    fields = [policy.title, policy.problem_statement, policy.team, *policy.tags]
    return any(needle in field.casefold() for field in fields)


def search_policies(
    *, session: Session, filters: PolicyFilters, published_only: bool = False
) -> list[PolicySummary]:
    """Policies matching every filter given, by title, each with its number of pilots.

    Stages are alternatives (any of them); team and tag match exactly; text matches the title,
    problem statement, team or any tag. `published_only` is not a filter a person picks but the
    scope of a caller without a token (open API reads): it never sees unpublished work.
    """
    statement = select(Policy).order_by(col(Policy.title))
    if published_only:
        statement = statement.where(col(Policy.published).is_(True))
    if filters.stages:
        statement = statement.where(col(Policy.stage).in_(filters.stages))
    if filters.team:
        statement = statement.where(Policy.team == filters.team)
    if filters.tag:
        statement = statement.where(_json_contains(Policy.tags, filters.tag, whole=True))
    if filters.text:
        statement = statement.where(
            sa.or_(
                contains(Policy.title, filters.text),
                contains(Policy.problem_statement, filters.text),
                contains(Policy.team, filters.text),
                _json_contains(Policy.tags, filters.text, whole=False),
            )
        )
    found = [
        policy
        for policy in session.exec(statement).all()
        if (not filters.tag or filters.tag in policy.tags)
        and (not filters.text or _policy_matches_text(policy, filters.text))
    ]
    counts = dict(
        session.exec(
            select(Pilot.policy_id, sa.func.count())
            .where(col(Pilot.policy_id).in_([policy.id for policy in found]))
            .group_by(col(Pilot.policy_id))
        ).all()
    )
    return [PolicySummary(policy, counts.get(policy.id or 0, 0)) for policy in found]


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


def search_pilots(
    *, session: Session, filters: PilotFilters, published_only: bool = False
) -> list[PilotMatch]:
    """Pilots matching every filter given, by policy then title.

    Statuses and evaluation types are alternatives; text matches the pilot's title, population,
    place, unit of randomisation or citation. `published_only` keeps the pilots of published
    policies only, as search_policies does.
    """
    statement = (
        select(Pilot, Policy)
        .join(Policy, col(Pilot.policy_id) == col(Policy.id))
        .order_by(col(Policy.title), col(Pilot.title))
    )
    if published_only:
        statement = statement.where(col(Policy.published).is_(True))
    if filters.statuses:
        statement = statement.where(col(Pilot.status).in_(filters.statuses))
    if filters.evaluation_types:
        statement = statement.where(col(Pilot.evaluation_type).in_(filters.evaluation_types))
    if filters.policy:
        statement = statement.where(Policy.slug == filters.policy)
    if filters.text:
        statement = statement.where(
            sa.or_(
                *(
                    contains(column, filters.text)
                    for column in (
                        Pilot.title,
                        Pilot.population,
                        Pilot.place,
                        Pilot.unit_of_randomisation,
                        Pilot.citation,
                    )
                )
            )
        )
    rows = session.exec(statement).all()
    latest: dict[int, Iteration] = {}
    iterations = session.exec(
        select(Iteration)
        .where(col(Iteration.pilot_id).in_([pilot.id for pilot, _ in rows]))
        .order_by(col(Iteration.number))
    ).all()
    for iteration in iterations:
        latest[iteration.pilot_id] = iteration
    return [PilotMatch(pilot, policy, latest.get(pilot.id or 0)) for pilot, policy in rows]


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
