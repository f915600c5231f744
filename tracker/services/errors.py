"""The four ways a service call can fail; web, API and CLI each map them in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ServiceError(Exception):
    """Base of every failure a service reports on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one input: `field` is a dotted path such as `arms.0.allocation`."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationFailed(ServiceError):
    """The input is wrong and nothing was written; every problem found names its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])


class NotFound(ServiceError):
    """The record asked for does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} not found")


class Conflict(ServiceError):
    """The write would clash with the stored state, e.g. the record changed since it was read."""

    def __init__(self, message: str, current: dict[str, Any] | None = None) -> None:
        self.current = current
        super().__init__(message)


class StaleVersion(Conflict):
    """Someone else saved the record after it was read: the change was not made.

    `current` holds the stored record when it is known (a version check before writing), and
    is None when another process's write landed between the check and the UPDATE.
    """


class NotAllowed(ServiceError):
    """The actor's role does not permit this change, or the record is frozen (a locked plan)."""
