"""Installation-wide switches an admin sets in the browser, such as open API reads.

A setting is a row of `site_setting` (the database, not process memory, so every app process
sees the same value). A setting nobody has changed has no row and reads as its default; the
first change inserts the row, later ones update it under the usual version check, and every
change is audited like any other record.
"""

from __future__ import annotations

from sqlmodel import Session, select

from tracker.models import SiteSetting
from tracker.services import records
from tracker.services.actors import Actor, require_write
from tracker.services.errors import ValidationFailed

OPEN_API_READS = "open_api_reads"

# Every setting there is, with its default: the value it has while no row exists. The default
# also gives the value's type, which a change must keep.
DEFAULTS: dict[str, bool] = {OPEN_API_READS: False}

SUMMARIES: dict[str, tuple[str, str]] = {
    OPEN_API_READS: ("Turned off open API reads", "Turned on open API reads"),
}


def get_setting(*, session: Session, key: str) -> SiteSetting | None:
    """The stored row of a setting, or None while it still has its default."""
    return session.exec(select(SiteSetting).where(SiteSetting.key == key)).first()


def setting_value(*, session: Session, key: str) -> bool:
    """A setting's value: the stored one, or the default when nobody has changed it."""
    _check_key(key)
    row = get_setting(session=session, key=key)
    return DEFAULTS[key] if row is None else bool(row.value)


def open_api_reads(session: Session) -> bool:
    """Whether published policies may be read through the API without a token."""
    return setting_value(session=session, key=OPEN_API_READS)


def change_setting(
    *, session: Session, actor: Actor, key: str, value: object, expected_version: int | None
) -> SiteSetting:
    """Set a setting (admins only), audited; `expected_version` is the version the caller saw,
    0 for a setting that had no row yet, so two admins' saves cannot silently overwrite."""
    require_write(actor, "site_setting")
    _check_key(key)
    if not isinstance(value, type(DEFAULTS[key])):
        raise ValidationFailed.single(key, "must be true or false")
    summary = SUMMARIES[key][int(bool(value))]
    row = get_setting(session=session, key=key)
    if row is None:
        return records.insert(
            session,
            actor=actor,
            record=SiteSetting(key=key, value=value, updated_by_id=actor.user_id),
            summary=summary,
        )
    changes: dict[str, object] = {}
    if row.value != value:
        changes = {"value": value, "updated_by_id": actor.user_id}
    return records.update(
        session,
        actor=actor,
        record=row,
        changes=changes,
        expected_version=expected_version,
        summary=summary,
    )


def _check_key(key: str) -> None:
    if key not in DEFAULTS:
        raise ValidationFailed.single(
            "key", f"unknown setting {key!r}; known: {', '.join(sorted(DEFAULTS))}"
        )
