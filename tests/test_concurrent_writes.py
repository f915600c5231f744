"""Two writers who read the same version: the second save is refused, never silently lost.

Comparing versions in Python cannot see a write that commits between the read and the UPDATE,
which is what two app processes do under load (bench/two_writers.py caught it as lost
updates). Each session here stands for one app process.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.factories import EDITOR, make_policy
from tracker.db import get_engine
from tracker.models import AuditEvent, Policy
from tracker.models.enums import AuditAction
from tracker.services import policies, records
from tracker.services.errors import StaleVersion


def rename(session: Session, title: str, expected_version: int) -> Policy:
    return policies.update_policy(
        session=session,
        actor=EDITOR,
        slug="school-meals",
        data={"title": title},
        expected_version=expected_version,
    )


def test_the_later_of_two_saves_from_the_same_version_is_refused(migrated_url: str) -> None:
    engine = get_engine(migrated_url)
    with Session(engine) as setup:
        make_policy(setup)
        setup.commit()
    with Session(engine) as first, Session(engine) as second:
        # The second process has read version 1 and checked its If-Match against it …
        read = policies.get_policy(session=second, slug="school-meals")
        # … when the first process saves and commits.
        rename(first, "First writer's title", expected_version=1)
        first.commit()
        with pytest.raises(StaleVersion, match="changed by someone else while"):
            records.update(
                second,
                actor=EDITOR,
                record=read,
                changes={"title": "Second writer's title"},
                expected_version=1,
                summary="Renamed",
            )
        second.rollback()
    with Session(engine) as check:
        policy = check.exec(select(Policy)).one()
        updates = check.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == "policy", AuditEvent.action == AuditAction.UPDATE
            )
        ).all()
    assert (policy.title, policy.version) == ("First writer's title", 2)
    assert [event.after for event in updates] == [{"title": "First writer's title"}]


def test_a_save_from_an_older_version_says_what_is_stored_now(migrated_url: str) -> None:
    engine = get_engine(migrated_url)
    with Session(engine) as session:
        make_policy(session)
        rename(session, "Renamed", expected_version=1)
        session.commit()
        with pytest.raises(StaleVersion) as refused:
            rename(session, "From a stale form", expected_version=1)
    assert refused.value.current is not None
    assert refused.value.current["version"] == 2
