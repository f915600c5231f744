"""Records that a parent names by a short key (a policy's metrics, needs, hypotheses, …)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from tracker.services import records
from tracker.services.errors import ValidationFailed

Child = TypeVar("Child", bound=SQLModel)


def get_keyed(
    session: Session, model: type[Child], parent_field: str, parent_id: int | None, key: str
) -> Child:
    """The child of `parent_id` with this key, or NotFound."""
    statement = select(model).where(
        getattr(model, parent_field) == parent_id, getattr(model, "key") == key
    )
    child: Child = records.one_or_not_found(
        session, statement, str(model.__tablename__).replace("_", " "), key
    )
    return child


def list_keyed(
    session: Session, model: type[Child], parent_field: str, parent_id: int | None
) -> list[Child]:
    """All children of a parent, oldest first."""
    return list(
        session.exec(
            select(model)
            .where(getattr(model, parent_field) == parent_id)
            .order_by(col(getattr(model, "id")))
        )
    )


def ensure_new_key(
    session: Session, model: type[Child], parent_field: str, parent_id: int | None, key: str
) -> None:
    """Conflict when the parent already has a child with this key."""
    records.unique_or_conflict(
        session,
        select(model).where(
            getattr(model, parent_field) == parent_id, getattr(model, "key") == key
        ),
        f"a {str(model.__tablename__).replace('_', ' ')} with the key {key!r} already exists here",
    )


def ids_for_keys(
    session: Session,
    model: type[Child],
    parent_field: str,
    parent_id: int | None,
    keys: list[str],
    field: str,
) -> list[int]:
    """Resolve keys to ids, failing with every unknown or repeated key named against `field`.

    A repeated key would insert the same link row twice: an IntegrityError, not a message.
    """
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValidationFailed.single(field, f"named more than once: {', '.join(repeated)}")
    rows: list[Any] = list(
        session.exec(
            select(model).where(
                getattr(model, parent_field) == parent_id, col(getattr(model, "key")).in_(keys)
            )
        )
    )
    by_key = {row.key: row.id for row in rows}
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise ValidationFailed.single(field, f"unknown key(s): {', '.join(unknown)}")
    return [by_key[key] for key in keys]
