"""A policy and what hangs directly off it: stage history, metrics, user needs, hypotheses."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.base import SLUG_MAX, TITLE_MAX, Tracked, slug_rule
from tracker.models.enums import (
    Direction,
    HypothesisStatus,
    MetricKind,
    PolicyStage,
    enum_column_type,
)

THEORY_OF_CHANGE_PARTS = ("inputs", "activities", "outputs", "outcomes", "impact", "assumptions")


def stage_type(name: str) -> sa.Enum:
    return enum_column_type(PolicyStage, name)


class PolicyBase(SQLModel):
    slug: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule(), unique=True, index=True)
    title: str = Field(max_length=TITLE_MAX, min_length=1)
    illustrative: bool = False
    # Published policies (and everything under them) may be read through the API without a
    # token, but only while an admin has turned open reads on (services.site_settings).
    published: bool = False
    team: str = Field(max_length=TITLE_MAX, min_length=1)
    problem_statement: str = Field(min_length=1, sa_type=sa.Text)
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    theory_of_change: dict[str, list[str]] = Field(default_factory=dict, sa_type=sa.JSON)


class Policy(PolicyBase, Tracked, table=True):
    """A policy idea on its way to delivery; `stage` moves only through a StageDecision."""

    stage: PolicyStage = Field(sa_type=stage_type("policy_stage"))


class PolicyCreate(PolicyBase):
    """A new policy, recorded at `stage` with the rationale of that first stage decision."""

    stage: PolicyStage = PolicyStage.IDEA


class PolicyUpdate(SQLModel):
    title: str | None = Field(default=None, max_length=TITLE_MAX, min_length=1)
    illustrative: bool | None = None
    published: bool | None = None
    team: str | None = Field(default=None, max_length=TITLE_MAX, min_length=1)
    problem_statement: str | None = Field(default=None, min_length=1)
    tags: list[str] | None = None
    theory_of_change: dict[str, list[str]] | None = None


class StageDecisionBase(SQLModel):
    to_stage: PolicyStage = Field(sa_type=stage_type("to_stage"))
    rationale: str = Field(min_length=1, sa_type=sa.Text)
    skip_reason: str | None = Field(default=None, sa_type=sa.Text)
    evidence: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    decided_by: str = Field(max_length=TITLE_MAX, min_length=1)
    decided_on: date


class StageDecision(StageDecisionBase, Tracked, table=True):
    """One recorded move of a policy between stages; `sequence` orders a policy's history."""

    __tablename__ = "stage_decision"
    __table_args__ = (sa.UniqueConstraint("policy_id", "sequence"),)

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)
    sequence: int = Field(ge=1)
    from_stage: PolicyStage | None = Field(default=None, sa_type=stage_type("from_stage"))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class StageDecisionCreate(StageDecisionBase):
    """A request to move a policy to `to_stage`."""


class MetricBase(SQLModel):
    key: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule())
    name: str = Field(max_length=TITLE_MAX, min_length=1)
    kind: MetricKind = Field(sa_type=enum_column_type(MetricKind, "metric_kind"))
    unit: str = Field(default="", max_length=TITLE_MAX)
    direction: Direction = Field(sa_type=enum_column_type(Direction, "direction"))
    minimum_important_difference: float | None = None
    description: str = Field(default="", sa_type=sa.Text)


class Metric(MetricBase, Tracked, table=True):
    """An outcome a policy is judged on; pilots of the policy report results against it."""

    __table_args__ = (sa.UniqueConstraint("policy_id", "key"),)

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)


class MetricCreate(MetricBase):
    pass


class MetricUpdate(SQLModel):
    name: str | None = Field(default=None, max_length=TITLE_MAX, min_length=1)
    unit: str | None = Field(default=None, max_length=TITLE_MAX)
    direction: Direction | None = None
    minimum_important_difference: float | None = None
    description: str | None = None


class UserNeedBase(SQLModel):
    key: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule())
    as_a: str = Field(min_length=1, sa_type=sa.Text)
    i_need: str = Field(min_length=1, sa_type=sa.Text)
    so_that: str = Field(min_length=1, sa_type=sa.Text)
    evidence_source: str = Field(default="", sa_type=sa.Text)


class UserNeed(UserNeedBase, Tracked, table=True):
    """ "As a …, I need …, so that …" — linked to the metrics that show the need is met."""

    __tablename__ = "user_need"
    __table_args__ = (sa.UniqueConstraint("policy_id", "key"),)

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)


class UserNeedMetric(SQLModel, table=True):
    """Which metrics evidence which user need."""

    __tablename__ = "user_need_metric"

    user_need_id: int = Field(foreign_key="user_need.id", primary_key=True, ondelete="CASCADE")
    metric_id: int = Field(foreign_key="metric.id", primary_key=True, ondelete="CASCADE")


class UserNeedCreate(UserNeedBase):
    metric_keys: list[str] = Field(default_factory=list)


class UserNeedUpdate(SQLModel):
    as_a: str | None = Field(default=None, min_length=1)
    i_need: str | None = Field(default=None, min_length=1)
    so_that: str | None = Field(default=None, min_length=1)
    evidence_source: str | None = None
    metric_keys: list[str] | None = None


class HypothesisBase(SQLModel):
    key: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule())
    we_believe: str = Field(min_length=1, sa_type=sa.Text)
    for_users: str = Field(min_length=1, sa_type=sa.Text)
    will: str = Field(min_length=1, sa_type=sa.Text)
    status: HypothesisStatus = Field(
        default=HypothesisStatus.UNTESTED,
        sa_type=enum_column_type(HypothesisStatus, "hypothesis_status"),
    )


class Hypothesis(HypothesisBase, Tracked, table=True):
    """ "We believe that <change> for <users> will <outcome>, measured by <metric>"."""

    __table_args__ = (sa.UniqueConstraint("policy_id", "key"),)

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)
    metric_id: int | None = Field(default=None, foreign_key="metric.id", ondelete="SET NULL")


class HypothesisCreate(HypothesisBase):
    measured_by: str | None = None


class HypothesisUpdate(SQLModel):
    we_believe: str | None = Field(default=None, min_length=1)
    for_users: str | None = Field(default=None, min_length=1)
    will: str | None = Field(default=None, min_length=1)
    status: HypothesisStatus | None = None
    measured_by: str | None = None
