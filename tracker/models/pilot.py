"""Pilots, the hypotheses they test, and their versioned, lockable analysis plans."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from tracker.models.base import (
    LARGEST_WHOLE_NUMBER,
    SLUG_MAX,
    TITLE_MAX,
    Tracked,
    ends_on_or_after,
    slug_rule,
    timestamp_type,
)
from tracker.models.enums import (
    EvaluationType,
    MetricRole,
    MultipleTesting,
    PilotDesign,
    PilotStatus,
    Sidedness,
    enum_column_type,
)

SHA256_HEX_LENGTH = 64


class PilotBase(SQLModel):
    slug: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule(), unique=True, index=True)
    title: str = Field(max_length=TITLE_MAX, min_length=1)
    design: PilotDesign = Field(sa_type=enum_column_type(PilotDesign, "pilot_design"))
    unit_of_randomisation: str = Field(default="", max_length=TITLE_MAX)
    population: str = Field(default="", sa_type=sa.Text)
    place: str = Field(default="", max_length=TITLE_MAX)
    planned_sample_size: int | None = Field(default=None, ge=1, le=LARGEST_WHOLE_NUMBER)
    evaluation_type: EvaluationType = Field(
        default=EvaluationType.IMPACT,
        sa_type=enum_column_type(EvaluationType, "evaluation_type"),
    )
    evidence_strength: int | None = Field(default=None, ge=1, le=5)
    status: PilotStatus = Field(
        default=PilotStatus.PLANNED, sa_type=enum_column_type(PilotStatus, "pilot_status")
    )
    planned_start: date | None = None
    planned_end: date | None = None
    citation: str = Field(default="", sa_type=sa.Text)
    source_url: str = Field(default="", max_length=500)

    _planned_end_after_start = field_validator("planned_end")(ends_on_or_after("planned_start"))


class Pilot(PilotBase, Tracked, table=True):
    """A test of one or more hypotheses, run as numbered iterations."""

    __table_args__ = (
        sa.CheckConstraint("planned_sample_size IS NULL OR planned_sample_size > 0", "sample_size"),
        sa.CheckConstraint(
            "evidence_strength IS NULL OR (evidence_strength BETWEEN 1 AND 5)", "evidence_strength"
        ),
    )

    policy_id: int = Field(foreign_key="policy.id", ondelete="CASCADE", index=True)


class PilotHypothesis(SQLModel, table=True):
    """Which hypotheses a pilot tests."""

    __tablename__ = "pilot_hypothesis"

    pilot_id: int = Field(foreign_key="pilot.id", primary_key=True, ondelete="CASCADE")
    hypothesis_id: int = Field(foreign_key="hypothesis.id", primary_key=True, ondelete="CASCADE")


class PilotCreate(PilotBase):
    hypothesis_keys: list[str] = Field(default_factory=list)


class PilotUpdate(SQLModel):
    title: str | None = Field(default=None, max_length=TITLE_MAX, min_length=1)
    design: PilotDesign | None = None
    unit_of_randomisation: str | None = Field(default=None, max_length=TITLE_MAX)
    population: str | None = None
    place: str | None = Field(default=None, max_length=TITLE_MAX)
    planned_sample_size: int | None = Field(default=None, ge=1, le=LARGEST_WHOLE_NUMBER)
    evaluation_type: EvaluationType | None = None
    evidence_strength: int | None = Field(default=None, ge=1, le=5)
    status: PilotStatus | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    citation: str | None = None
    source_url: str | None = Field(default=None, max_length=500)
    hypothesis_keys: list[str] | None = None


class PlanMetricSpec(SQLModel):
    """A metric's place in a plan, named by the metric's key."""

    metric: str = Field(max_length=SLUG_MAX, schema_extra=slug_rule())
    role: MetricRole
    test: str = Field(default="", max_length=80)


class AnalysisPlanBase(SQLModel):
    estimand: str = Field(default="", sa_type=sa.Text)
    alpha: float = Field(default=0.05, gt=0, lt=1)
    sidedness: Sidedness = Field(
        default=Sidedness.TWO_SIDED, sa_type=enum_column_type(Sidedness, "sidedness")
    )
    multiple_testing: MultipleTesting = Field(
        default=MultipleTesting.HOLM,
        sa_type=enum_column_type(MultipleTesting, "multiple_testing"),
    )
    covariates: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    stopping_rule: str = Field(default="", sa_type=sa.Text)
    mde: float | None = None
    sequential: bool = False
    amendment_reason: str | None = Field(default=None, sa_type=sa.Text)


class AnalysisPlan(AnalysisPlanBase, Tracked, table=True):
    """One version of a pilot's pre-registered plan; locking freezes it under a SHA-256."""

    __tablename__ = "analysis_plan"
    __table_args__ = (
        sa.UniqueConstraint("pilot_id", "plan_version"),
        sa.CheckConstraint("alpha > 0 AND alpha < 1", "alpha_range"),
    )

    pilot_id: int = Field(foreign_key="pilot.id", ondelete="CASCADE", index=True)
    plan_version: int = Field(ge=1)
    locked_at: datetime | None = Field(default=None, sa_type=timestamp_type())
    locked_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    lock_hash: str | None = Field(
        default=None, min_length=SHA256_HEX_LENGTH, max_length=SHA256_HEX_LENGTH
    )


class PlanMetric(SQLModel, table=True):
    """A metric named in a plan version, with its role and the test the plan commits to."""

    __tablename__ = "plan_metric"

    plan_id: int = Field(foreign_key="analysis_plan.id", primary_key=True, ondelete="CASCADE")
    metric_id: int = Field(foreign_key="metric.id", primary_key=True, ondelete="CASCADE")
    role: MetricRole = Field(sa_type=enum_column_type(MetricRole, "metric_role"))
    test: str = Field(default="", max_length=80)


class AnalysisPlanCreate(AnalysisPlanBase):
    metrics: list[PlanMetricSpec] = Field(default_factory=list)


class AnalysisPlanUpdate(SQLModel):
    estimand: str | None = None
    alpha: float | None = Field(default=None, gt=0, lt=1)
    sidedness: Sidedness | None = None
    multiple_testing: MultipleTesting | None = None
    covariates: list[str] | None = None
    stopping_rule: str | None = None
    mde: float | None = None
    sequential: bool | None = None
    amendment_reason: str | None = None
    metrics: list[PlanMetricSpec] | None = None
