"""Iterations of a pilot, their arms, per-arm results, uploaded datasets and decisions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from tracker.models.base import LARGEST_WHOLE_NUMBER, TITLE_MAX, Tracked, ends_on_or_after
from tracker.models.enums import (
    DecisionOutcome,
    IterationStatus,
    ResultSource,
    enum_column_type,
)
from tracker.models.pilot import SHA256_HEX_LENGTH


class IterationBase(SQLModel):
    number: int = Field(ge=1, le=LARGEST_WHOLE_NUMBER)
    title: str = Field(default="", max_length=TITLE_MAX)
    what_changed: str = Field(default="", sa_type=sa.Text)
    why: str = Field(default="", sa_type=sa.Text)
    start_date: date | None = None
    end_date: date | None = None
    status: IterationStatus = Field(
        default=IterationStatus.PLANNED,
        sa_type=enum_column_type(IterationStatus, "iteration_status"),
    )

    _end_date_after_start = field_validator("end_date")(ends_on_or_after("start_date"))


class Iteration(IterationBase, Tracked, table=True):
    """v1, v2, … of a pilot: what changed and why, when, and how far it has got."""

    __table_args__ = (
        sa.UniqueConstraint("pilot_id", "number"),
        sa.CheckConstraint("number >= 1", "number_positive"),
    )

    pilot_id: int = Field(foreign_key="pilot.id", ondelete="CASCADE", index=True)


class IterationCreate(IterationBase):
    pass


class IterationUpdate(SQLModel):
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    what_changed: str | None = None
    why: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: IterationStatus | None = None


class ArmBase(SQLModel):
    name: str = Field(max_length=TITLE_MAX, min_length=1)
    is_control: bool = False
    allocation: float = Field(gt=0, le=1)
    description: str = Field(default="", sa_type=sa.Text)


class Arm(ArmBase, Tracked, table=True):
    """A group within an iteration, with the share of units planned to it."""

    __table_args__ = (
        sa.UniqueConstraint("iteration_id", "name"),
        sa.CheckConstraint("allocation > 0 AND allocation <= 1", "allocation_share"),
    )

    iteration_id: int = Field(foreign_key="iteration.id", ondelete="CASCADE", index=True)


class ArmCreate(ArmBase):
    pass


class ArmUpdate(SQLModel):
    name: str | None = Field(default=None, max_length=TITLE_MAX, min_length=1)
    is_control: bool | None = None
    allocation: float | None = Field(default=None, gt=0, le=1)
    description: str | None = None


class ArmResultBase(SQLModel):
    """Sufficient statistics of one arm on one metric; which fields apply depends on the kind.

    binary: n and successes; continuous: n, mean and sd; count: n, total and exposure.
    """

    n: int = Field(ge=0, le=LARGEST_WHOLE_NUMBER)
    successes: int | None = Field(default=None, ge=0, le=LARGEST_WHOLE_NUMBER)
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0)
    total: float | None = Field(default=None, ge=0)
    exposure: float | None = Field(default=None, gt=0)
    note: str = Field(default="", sa_type=sa.Text)


class ArmResult(ArmResultBase, Tracked, table=True):
    """Per-arm results, entered by hand or derived from an uploaded dataset."""

    __tablename__ = "arm_result"
    __table_args__ = (
        sa.UniqueConstraint("arm_id", "metric_id"),
        sa.CheckConstraint("n >= 0", "n_non_negative"),
        sa.CheckConstraint("successes IS NULL OR (successes >= 0 AND successes <= n)", "successes"),
        sa.CheckConstraint("sd IS NULL OR sd >= 0", "sd_non_negative"),
        sa.CheckConstraint("total IS NULL OR total >= 0", "total_non_negative"),
        sa.CheckConstraint("exposure IS NULL OR exposure > 0", "exposure_positive"),
    )

    arm_id: int = Field(foreign_key="arm.id", ondelete="CASCADE", index=True)
    metric_id: int = Field(foreign_key="metric.id", ondelete="CASCADE", index=True)
    source: ResultSource = Field(
        default=ResultSource.SUMMARY, sa_type=enum_column_type(ResultSource, "result_source")
    )
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id", ondelete="SET NULL")


class ArmResultCreate(ArmResultBase):
    """Results for one arm on the metric with key `metric`.

    Continuous results may instead give `sum` and `sum_of_squares`; the service turns those
    into mean and sd.
    """

    metric: str
    sum: float | None = None
    sum_of_squares: float | None = None


class ColumnMapping(SQLModel):
    """Which columns of an uploaded file hold what: the arm, outcomes by metric key, and more."""

    arm: str = Field(min_length=1)
    outcomes: dict[str, str] = Field(min_length=1)
    covariates: list[str] = Field(default_factory=list)
    cluster: str | None = None
    pre_period: dict[str, str] = Field(default_factory=dict)

    def columns(self) -> list[str]:
        """Every column the mapping names, each once, in a stable order."""
        named = [self.arm, *self.outcomes.values(), *self.covariates, *self.pre_period.values()]
        if self.cluster:
            named.append(self.cluster)
        return list(dict.fromkeys(named))


class Dataset(Tracked, table=True):
    """An uploaded unit-level file, kept byte for byte (with its SHA-256) for re-analysis."""

    __table_args__ = (sa.CheckConstraint("row_count >= 0", "row_count_non_negative"),)

    iteration_id: int = Field(foreign_key="iteration.id", ondelete="CASCADE", index=True)
    filename: str = Field(max_length=255, min_length=1)
    sha256: str = Field(min_length=SHA256_HEX_LENGTH, max_length=SHA256_HEX_LENGTH, index=True)
    row_count: int = Field(ge=0)
    size_bytes: int = Field(ge=0)
    column_mapping: dict[str, object] = Field(default_factory=dict, sa_type=sa.JSON)
    # Listing datasets must not read the file's bytes: services load them with defer().
    content: bytes = Field(sa_type=sa.LargeBinary)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class DecisionBase(SQLModel):
    outcome: DecisionOutcome = Field(sa_type=enum_column_type(DecisionOutcome, "decision_outcome"))
    rationale: str = Field(min_length=1, sa_type=sa.Text)
    decided_by: str = Field(max_length=TITLE_MAX, min_length=1)
    decided_on: date


class Decision(DecisionBase, Tracked, table=True):
    """What the team decided at the end of an iteration: adapt, scale, stop or continue."""

    iteration_id: int = Field(foreign_key="iteration.id", ondelete="CASCADE", unique=True)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class DecisionCreate(DecisionBase):
    pass
