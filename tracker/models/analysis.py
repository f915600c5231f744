"""Stored analysis runs: every number shown can be traced to the run that computed it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models.base import timestamp_type, utcnow
from tracker.models.pilot import SHA256_HEX_LENGTH


class AnalysisRun(SQLModel, table=True):
    """One run of the statistics engine over a pilot (or one iteration of it). Never edited.

    It keeps what is needed to reproduce it: the options, a hash of the exact inputs, the
    library versions and the hash of the locked plan it ran under, beside the result rows.
    """

    __tablename__ = "analysis_run"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=timestamp_type(), index=True)
    pilot_id: int = Field(foreign_key="pilot.id", ondelete="CASCADE", index=True)
    iteration_number: int | None = Field(default=None, ge=1)
    run_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_label: str = Field(max_length=200)
    plan_id: int | None = Field(default=None, foreign_key="analysis_plan.id", ondelete="SET NULL")
    plan_hash: str | None = Field(
        default=None, min_length=SHA256_HEX_LENGTH, max_length=SHA256_HEX_LENGTH
    )
    inputs_hash: str = Field(min_length=SHA256_HEX_LENGTH, max_length=SHA256_HEX_LENGTH)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    library_versions: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
