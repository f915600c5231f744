"""/api/v1/policies/{slug}/…: a policy's metrics, user needs, hypotheses, engagement log and
stage decisions, through the same services as the policy page's forms.

Each keyed record (metric, user need, hypothesis, engagement) has the same four operations —
list, read, create, change — so one `Kind` says what differs between them and `_route` adds
them; stage decisions are an append-only history with their own two operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, jsonify
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, SQLModel

from tracker.api.auth import api_actor
from tracker.api.concurrency import guarded_update, if_match_current, shown_unchanged
from tracker.api.pagination import PageInfo, PageQuery, page_of, page_response
from tracker.api.paths import PolicyPath
from tracker.api.policies import PolicyOut
from tracker.api.problems import Problem, problem_responses
from tracker.api.responses import record_response
from tracker.api.types import UtcDatetime
from tracker.db import get_session
from tracker.models import (
    Engagement,
    EngagementCreate,
    EngagementUpdate,
    HypothesisCreate,
    HypothesisUpdate,
    MetricCreate,
    MetricUpdate,
    StageDecision,
    StageDecisionCreate,
    UserNeedCreate,
    UserNeedUpdate,
)
from tracker.models.base import LARGEST_WHOLE_NUMBER, SLUG_MAX, SLUG_PATTERN
from tracker.models.enums import (
    Direction,
    EngagementGroup,
    EngagementMethod,
    HypothesisStatus,
    MetricKind,
    PolicyStage,
)
from tracker.services import engagements, hypotheses, keyed, metrics, policies, user_needs
from tracker.services.actors import WRITE_ROLE, require_write
from tracker.services.errors import NotFound

TAGS = {
    "metric": Tag(name="Metrics", description="The outcomes a policy's pilots are judged on"),
    "user_need": Tag(
        name="User needs", description='"As a …, I need …, so that …", with the metrics for each'
    ),
    "hypothesis": Tag(
        name="Hypotheses",
        description='"We believe that <change> for <users> will <outcome>, measured by <metric>"',
    ),
    "engagement": Tag(
        name="Engagement", description="Who was engaged, how, what we heard and what changed"
    ),
}
STAGE_TAG = Tag(
    name="Stage decisions", description="A policy's recorded moves between stages, oldest first"
)

VERSION = Field(description='The record\'s version; its ETag is "v<version>"')


class RecordPath(PolicyPath):
    key: str = Field(pattern=SLUG_PATTERN, max_length=SLUG_MAX, description="The record's key")


class StageDecisionPath(PolicyPath):
    sequence: int = Field(
        ge=1, le=LARGEST_WHOLE_NUMBER, description="1 for the policy's first decision, and so on"
    )


# Responses ---------------------------------------------------------------------------------------


class Stamped(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = VERSION
    created_at: UtcDatetime
    updated_at: UtcDatetime


class MetricOut(Stamped):
    """An outcome metric of a policy."""

    key: str
    name: str
    kind: MetricKind
    unit: str
    direction: Direction
    minimum_important_difference: float | None
    description: str


class UserNeedOut(Stamped):
    """A user need and the keys of the metrics that show it is met."""

    key: str
    as_a: str
    i_need: str
    so_that: str
    evidence_source: str
    metric_keys: list[str]


class HypothesisOut(Stamped):
    """A hypothesis and the key of the metric it is measured by, if decided."""

    key: str
    we_believe: str
    for_users: str
    will: str
    status: HypothesisStatus
    measured_by: str | None


class EngagementOut(Stamped):
    """An engagement log entry; `pilot` and `iteration` name the iteration it fed into, if any."""

    key: str
    group: EngagementGroup
    method: EngagementMethod
    held_on: date
    participants: int | None
    what_we_heard: str
    what_changed: str
    pilot: str | None
    iteration: int | None


class MetricList(BaseModel):
    items: list[MetricOut]
    page: PageInfo


class UserNeedList(BaseModel):
    items: list[UserNeedOut]
    page: PageInfo


class HypothesisList(BaseModel):
    items: list[HypothesisOut]
    page: PageInfo


class EngagementList(BaseModel):
    items: list[EngagementOut]
    page: PageInfo


class StageDecisionOut(BaseModel):
    """One recorded move of a policy between stages (`from_stage` is null for its first)."""

    model_config = ConfigDict(from_attributes=True)

    sequence: int
    from_stage: PolicyStage | None
    to_stage: PolicyStage
    rationale: str
    skip_reason: str | None
    evidence: list[str]
    decided_by: str
    decided_on: date
    version: int = VERSION
    created_at: UtcDatetime


class StageDecisionList(BaseModel):
    items: list[StageDecisionOut]
    page: PageInfo


class StageDecisionRecorded(BaseModel):
    """The decision just recorded and the policy at its new stage (with its new version)."""

    decision: StageDecisionOut
    policy: PolicyOut


# How each kind of keyed record is read, shown and written ----------------------------------------


def _stamped(record: SQLModel, out: type[Stamped], **extra: Any) -> dict[str, Any]:
    """The record's own columns that `out` shows, plus `extra` values looked up elsewhere."""
    names = set(out.model_fields) - set(extra)
    return {**{name: getattr(record, name) for name in names}, **extra}


def _metrics_out(session: Session, slug: str, found: list[Any]) -> list[BaseModel]:
    return [MetricOut.model_validate(_stamped(metric, MetricOut)) for metric in found]


def _needs_out(session: Session, slug: str, found: list[Any]) -> list[BaseModel]:
    keys = user_needs.metric_keys_by_need(session=session, need_ids=[n.id or 0 for n in found])
    return [
        UserNeedOut.model_validate(
            _stamped(need, UserNeedOut, metric_keys=keys.get(need.id or 0, []))
        )
        for need in found
    ]


def _hypotheses_out(session: Session, slug: str, found: list[Any]) -> list[BaseModel]:
    metric_keys = {m.id: m.key for m in metrics.list_metrics(session=session, policy_slug=slug)}
    return [
        HypothesisOut.model_validate(
            _stamped(hypothesis, HypothesisOut, measured_by=metric_keys.get(hypothesis.metric_id))
        )
        for hypothesis in found
    ]


def _engagements_out(session: Session, slug: str, found: list[Any]) -> list[BaseModel]:
    """Each entry with the pilot and iteration it fed into, if any (one query for the page)."""
    tied = engagements.iterations_named(
        session=session, iteration_ids=[e.iteration_id for e in found if e.iteration_id]
    )
    shown: list[BaseModel] = []
    for entry in found:
        pilot, number = tied.get(entry.iteration_id or 0, (None, None))
        shown.append(
            EngagementOut.model_validate(
                _stamped(entry, EngagementOut, pilot=pilot, iteration=number)
            )
        )
    return shown


def _get_engagement(*, session: Session, policy_slug: str, key: str) -> Engagement:
    policy = policies.get_policy(session=session, slug=policy_slug)
    return keyed.get_keyed(session, Engagement, "policy_id", policy.id, key)


@dataclass(frozen=True)
class Kind:
    """One kind of keyed policy record: its services, schemas and place in the API."""

    entity: str  # its table: names its write role
    section: str  # its place in the address, as on the web
    noun: str  # for the operation summaries
    out: type[Stamped]
    listing: type[BaseModel]
    create_schema: type[SQLModel]
    update_schema: type[SQLModel]
    shown: Callable[[Session, str, list[Any]], list[BaseModel]]
    list_all: Callable[..., list[Any]]
    get_one: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    article: str = "a"
    pair: tuple[str, ...] = ()  # fields that only mean something together (pilot + iteration)


KINDS = (
    Kind(
        entity="metric",
        section="metrics",
        noun="metric",
        out=MetricOut,
        listing=MetricList,
        create_schema=MetricCreate,
        update_schema=MetricUpdate,
        shown=_metrics_out,
        list_all=metrics.list_metrics,
        get_one=metrics.get_metric,
        create=metrics.create_metric,
        update=metrics.update_metric,
    ),
    Kind(
        entity="user_need",
        section="user-needs",
        noun="user need",
        out=UserNeedOut,
        listing=UserNeedList,
        create_schema=UserNeedCreate,
        update_schema=UserNeedUpdate,
        shown=_needs_out,
        list_all=user_needs.list_user_needs,
        get_one=user_needs.get_user_need,
        create=user_needs.create_user_need,
        update=user_needs.update_user_need,
    ),
    Kind(
        entity="hypothesis",
        section="hypotheses",
        noun="hypothesis",
        out=HypothesisOut,
        listing=HypothesisList,
        create_schema=HypothesisCreate,
        update_schema=HypothesisUpdate,
        shown=_hypotheses_out,
        list_all=hypotheses.list_hypotheses,
        get_one=hypotheses.get_hypothesis,
        create=hypotheses.create_hypothesis,
        update=hypotheses.update_hypothesis,
    ),
    Kind(
        entity="engagement",
        section="engagement",
        noun="engagement log entry",
        article="an",
        out=EngagementOut,
        listing=EngagementList,
        create_schema=EngagementCreate,
        update_schema=EngagementUpdate,
        shown=_engagements_out,
        list_all=engagements.list_engagements,
        get_one=_get_engagement,
        create=engagements.create_engagement,
        update=engagements.update_engagement,
        pair=("pilot", "iteration"),
    ),
)


def _one_out(kind: Kind, slug: str, record: Any) -> BaseModel:
    return kind.shown(get_session(), slug, [record])[0]


def _record_response(
    kind: Kind, slug: str, record: Any, status: int = 200, location: str | None = None
) -> Response:
    body = _one_out(kind, slug, record)
    return record_response(body, record, status=status, location=location)


def _unchanged(kind: Kind, current: BaseModel, changes: Mapping[str, Any]) -> bool:
    """Whether `changes` would leave the record as it is. Linked keys are a set, as the services
    compare them; a field of a pair given alone is left for the service to refuse."""
    if kind.pair and set(kind.pair) & set(changes) and not set(kind.pair) <= set(changes):
        return False
    return shown_unchanged(current.model_dump(), changes, "metric_keys")


def _route(api: APIBlueprint, kind: Kind) -> None:
    """List, read, create and change one kind of record under /policies/{slug}/{section}."""
    base = f"/policies/<slug>/{kind.section}"
    tags = [TAGS[kind.entity]]

    def list_records(path: PolicyPath, query: PageQuery) -> Response:
        found = kind.list_all(session=get_session(), policy_slug=path.slug)
        page_items, page = page_of(found, query)
        items = kind.shown(get_session(), path.slug, page_items)
        body = kind.listing.model_validate({"items": items, "page": page})
        return jsonify(body.model_dump(mode="json"))

    def get_record(path: RecordPath) -> Response:
        record = kind.get_one(session=get_session(), policy_slug=path.slug, key=path.key)
        return _record_response(kind, path.slug, record)

    def create_record(path: PolicyPath, body: Any) -> Response:
        session = get_session()
        record = kind.create(session=session, actor=api_actor(), policy_slug=path.slug, data=body)
        session.commit()
        location = f"/api/v1/policies/{path.slug}/{kind.section}/{record.key}"
        return _record_response(kind, path.slug, record, status=201, location=location)

    def update_record(path: RecordPath, body: Any) -> Response:
        session = get_session()
        return guarded_update(
            kind.entity,
            load=lambda: kind.get_one(session=session, policy_slug=path.slug, key=path.key),
            changes=body.model_dump(exclude_unset=True),
            respond=lambda record: _record_response(kind, path.slug, record),
            apply=lambda expected: kind.update(
                session=session,
                actor=api_actor(),
                policy_slug=path.slug,
                key=path.key,
                data=body,
                expected_version=expected,
            ),
            unchanged=lambda record, changes: _unchanged(
                kind, _one_out(kind, path.slug, record), changes
            ),
        )

    # flask-openapi3 reads the request models from the annotations, so each kind's handlers
    # are given their own body schemas before they are registered.
    create_record.__annotations__ = {"path": PolicyPath, "body": kind.create_schema}
    update_record.__annotations__ = {"path": RecordPath, "body": kind.update_schema}
    list_records.__annotations__ = {"path": PolicyPath, "query": PageQuery}
    get_record.__annotations__ = {"path": RecordPath}
    list_records.__doc__ = f"The policy's {kind.section.replace('-', ' ')}, oldest first."
    get_record.__doc__ = (
        f"One {kind.noun} of the policy; its ETag is the version to send back with If-Match "
        "when changing it."
    )
    role = WRITE_ROLE[kind.entity].value
    create_record.__doc__ = f"Add {kind.article} {kind.noun} to the policy ({role} role or above)."
    update_record.__doc__ = (
        f"Change {kind.article} {kind.noun}; fields left out stay as they are.\n\n"
        "Its key cannot change. Send If-Match with the ETag you read; sending the same change "
        "again changes nothing."
    )
    for handler in (list_records, get_record, create_record, update_record):
        handler.__name__ = f"{handler.__name__}_{kind.entity}"

    api.get(base, tags=tags, responses={200: kind.listing, 404: Problem, 422: Problem})(
        list_records
    )
    api.get(f"{base}/<key>", tags=tags, responses={200: kind.out, 404: Problem})(get_record)
    api.post(
        base,
        tags=tags,
        responses={201: kind.out, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    )(create_record)
    api.put(
        f"{base}/<key>",
        tags=tags,
        responses={
            200: kind.out,
            403: Problem,
            404: Problem,
            409: Problem,
            412: Problem,
            422: Problem,
            428: Problem,
        },
    )(update_record)


# Stage decisions ---------------------------------------------------------------------------------


def _stage_decision_out(decision: StageDecision) -> StageDecisionOut:
    return StageDecisionOut.model_validate(decision)


def _register_stage_decisions(api: APIBlueprint) -> None:
    base = "/policies/<slug>/stage-decisions"

    @api.get(base, tags=[STAGE_TAG], responses={200: StageDecisionList, 404: Problem})
    def list_stage_decisions(path: PolicyPath, query: PageQuery) -> Response:
        """The policy's stage decisions, oldest first: its whole route from idea to now."""
        found = policies.stage_history(session=get_session(), slug=path.slug)
        return page_response(StageDecisionList, found, query, _stage_decision_out)

    @api.get(
        f"{base}/<sequence>",
        tags=[STAGE_TAG],
        responses={200: StageDecisionOut, 404: Problem},
    )
    def get_stage_decision(path: StageDecisionPath) -> Response:
        """One stage decision of the policy, by its place in the history (1 is the first)."""
        history = policies.stage_history(session=get_session(), slug=path.slug)
        if path.sequence > len(history):
            raise NotFound("stage decision", path.sequence)
        decision = history[path.sequence - 1]
        return record_response(_stage_decision_out(decision), decision)

    @api.post(
        base,
        tags=[STAGE_TAG],
        responses={201: StageDecisionRecorded, **problem_responses(403, 404, 409, 412, 422, 428)},
    )
    def decide_stage(path: PolicyPath, body: StageDecisionCreate) -> Response:
        """Move the policy to a new stage (editor role or above).

        The decision records who decided, why and on what evidence; a move that skips or
        reverses stages needs a skip_reason. Send If-Match with the policy's ETag, so two
        people cannot move it at once; the response carries the policy at its new stage and
        version."""
        require_write(api_actor(), "stage_decision")
        session = get_session()
        policy = policies.get_policy(session=session, slug=path.slug)
        expected = if_match_current(policy)
        if isinstance(expected, Response):
            return expected
        decision = policies.decide_stage(
            session=session, actor=api_actor(), slug=path.slug, data=body, expected_version=expected
        )
        session.commit()
        policy = policies.get_policy(session=session, slug=path.slug)
        recorded = StageDecisionRecorded(
            decision=_stage_decision_out(decision), policy=PolicyOut.model_validate(policy)
        )
        location = f"/api/v1/policies/{path.slug}/stage-decisions/{decision.sequence}"
        return record_response(recorded, decision, status=201, location=location)


def register(api: APIBlueprint) -> None:
    """Add the operations on a policy's records to the API blueprint."""
    for kind in KINDS:
        _route(api, kind)
    _register_stage_decisions(api)
