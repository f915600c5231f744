"""People who use the tracker and what they may do."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from tracker.models.base import Tracked, timestamp_type
from tracker.models.enums import Role, enum_column_type


class UserBase(SQLModel):
    email: str = Field(max_length=254, min_length=3, unique=True, index=True)
    display_name: str = Field(max_length=120, min_length=1)
    role: Role = Field(default=Role.VIEWER, sa_type=enum_column_type(Role, "role"))
    is_active: bool = True


class User(UserBase, Tracked, table=True):
    """A person with a role; the password hash is set by the sign-in feature."""

    password_hash: str | None = Field(default=None, max_length=255)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=timestamp_type())
    # Repeated wrong passwords lock the account for a while (tracker.services.sign_in).
    failed_sign_ins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    first_failed_sign_in_at: datetime | None = Field(default=None, sa_type=timestamp_type())
    locked_until: datetime | None = Field(default=None, sa_type=timestamp_type())


class UserCreate(UserBase):
    """What an admin supplies to add a user."""


class UserUpdate(SQLModel):
    display_name: str | None = Field(default=None, max_length=120, min_length=1)
    role: Role | None = None
    is_active: bool | None = None
