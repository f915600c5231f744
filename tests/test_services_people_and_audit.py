"""Users, roles, optimistic locking and the audit trail, across every service that writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from tracker.models import AuditEvent
from tracker.models.enums import AuditAction, DecisionOutcome, PolicyStage, Role
from tracker.services import (
    iterations,
    pilots,
    plans,
    policies,
    results,
    users,
)
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, NotAllowed, ValidationFailed

from .factories import (
    ADMIN,
    ANALYST,
    PASSWORD,
    VIEWER,
    audit_count,
    audit_trail,
    decision_data,
    make_engagement,
    make_hypothesis,
    make_iteration,
    make_metric,
    make_policy,
    make_user,
    make_user_need,
    make_world,
)

# --- users -------------------------------------------------------------------------------------


def test_create_user_lowercases_and_trims_the_email(session: Session) -> None:
    user = make_user(session, email="  Ada.Lovelace@Example.GOV.uk ")
    assert user.email == "ada.lovelace@example.gov.uk"
    found = users.get_user_by_email(session=session, email="ADA.LOVELACE@example.gov.uk")
    assert found.id == user.id


def test_a_second_user_with_the_same_email_in_other_case_is_a_conflict(session: Session) -> None:
    make_user(session, email="ada@example.gov.uk")
    with pytest.raises(Conflict):
        make_user(session, email="ADA@example.gov.uk")
    assert len(users.list_users(session=session)) == 1


def test_an_email_without_an_at_sign_names_email(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        make_user(session, email="ada.example.gov.uk")
    assert [e.field for e in raised.value.errors] == ["email"]


def test_a_short_password_names_password(session: Session) -> None:
    for password in ["", "short", "elevenchars"]:
        with pytest.raises(ValidationFailed) as raised:
            make_user(session, password=password)
        assert [e.field for e in raised.value.errors] == ["password"]
    assert users.list_users(session=session) == []


def test_a_twelve_character_password_is_long_enough(session: Session) -> None:
    user = make_user(session, password="twelve chars")
    assert users.verify_password(user, "twelve chars")


def test_verify_password_matches_only_the_right_password(session: Session) -> None:
    user = make_user(session)
    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    assert users.verify_password(user, PASSWORD)
    assert not users.verify_password(user, PASSWORD.upper())
    assert not users.verify_password(user, "")


def test_an_inactive_user_cannot_verify(session: Session) -> None:
    make_user(session)
    user = users.update_user(
        session=session,
        actor=ADMIN,
        email="someone@example.gov.uk",
        data={"is_active": False},
        expected_version=1,
    )
    assert not users.verify_password(user, PASSWORD)


def test_only_admins_create_users(session: Session) -> None:
    for role in (Role.VIEWER, Role.EDITOR, Role.ANALYST):
        with pytest.raises(NotAllowed, match="needs the admin role"):
            make_user(session, Actor(label="someone", role=role))
    assert users.list_users(session=session) == []
    make_user(session, ADMIN)
    assert len(users.list_users(session=session)) == 1


def test_an_admin_changes_roles_but_an_analyst_cannot(session: Session) -> None:
    make_user(session)
    with pytest.raises(NotAllowed):
        users.update_user(
            session=session,
            actor=ANALYST,
            email="someone@example.gov.uk",
            data={"role": Role.ADMIN},
            expected_version=1,
        )
    user = users.update_user(
        session=session,
        actor=ADMIN,
        email="someone@example.gov.uk",
        data={"role": Role.ANALYST},
        expected_version=1,
    )
    assert (user.role, user.version) == (Role.ANALYST, 2)


def test_password_hashes_never_reach_the_audit_trail(session: Session) -> None:
    user = make_user(session)
    users.update_user(
        session=session,
        actor=ADMIN,
        email=user.email,
        data={"display_name": "Someone Else", "role": Role.ADMIN},
        expected_version=1,
    )
    trail = audit_trail(session, user)
    assert [event.action for event in trail] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert trail[0].after is not None and trail[0].after["email"] == user.email
    assert user.password_hash is not None
    for event in session.exec(select(AuditEvent)):
        text = json.dumps([event.before, event.after, event.summary])
        assert "password" not in text
        assert user.password_hash not in text
        assert PASSWORD not in text


# --- roles -------------------------------------------------------------------------------------

WRITERS: dict[str, Callable[[Session, Actor], Any]] = {
    "policy": lambda s, a: make_policy(s, a, slug="another"),
    "stage decision": lambda s, a: policies.decide_stage(
        session=s,
        actor=a,
        slug="school-meals",
        data=decision_data(PolicyStage.DISCOVERY),
        expected_version=None,
    ),
    "metric": lambda s, a: make_metric(s, a, key="another"),
    "user need": lambda s, a: make_user_need(s, a, key="another"),
    "hypothesis": lambda s, a: make_hypothesis(s, a, key="another"),
    "pilot": lambda s, a: pilots.create_pilot(
        session=s,
        actor=a,
        policy_slug="school-meals",
        data={"slug": "another", "title": "Another", "design": "ab_test"},
    ),
    "iteration": lambda s, a: make_iteration(s, a, number=2),
    "arm": lambda s, a: iterations.create_arm(
        session=s,
        actor=a,
        pilot_slug="letter-trial",
        number=1,
        data={"name": "another", "allocation": 0.0001},
    ),
    "result": lambda s, a: results.record_result(
        session=s,
        actor=a,
        pilot_slug="letter-trial",
        number=1,
        arm_name="control",
        data={"metric": "take-up", "n": 10, "successes": 4},
    ),
    "decision": lambda s, a: results.record_decision(
        session=s,
        actor=a,
        pilot_slug="letter-trial",
        number=1,
        data={
            "outcome": DecisionOutcome.ADAPT,
            "rationale": "Mixed",
            "decided_by": "Board",
            "decided_on": date(2025, 3, 1),
        },
    ),
    "plan": lambda s, a: plans.lock_plan(
        session=s, actor=a, pilot_slug="letter-trial", version=1, expected_version=None
    ),
    "engagement": lambda s, a: make_engagement(s, a, key="another"),
    "user": lambda s, a: make_user(s, a, email="another@example.gov.uk"),
}
ANALYST_ONLY = {"metric", "result", "plan"}


def outcomes(session: Session, actor: Actor) -> dict[str, bool]:
    """Try every writer as `actor`, each in a savepoint rolled back after: True if allowed."""
    allowed: dict[str, bool] = {}
    for what, write in WRITERS.items():
        savepoint = session.begin_nested()
        try:
            assert write(session, actor) is not None
            allowed[what] = True
        except NotAllowed:
            allowed[what] = False
        finally:
            savepoint.rollback()
    return allowed


@pytest.mark.parametrize(
    ("role", "may_write"),
    [
        (Role.VIEWER, set()),
        (Role.EDITOR, set(WRITERS) - ANALYST_ONLY - {"user"}),
        (Role.ANALYST, set(WRITERS) - {"user"}),
        (Role.ADMIN, set(WRITERS)),
    ],
)
def test_each_role_writes_exactly_what_it_may(
    session: Session, role: Role, may_write: set[str]
) -> None:
    make_world(session, with_user=True)
    before = audit_count(session)
    allowed = outcomes(session, Actor(label=f"a {role.value}", role=role))
    assert {what for what, ok in allowed.items() if ok} == may_write
    assert audit_count(session) == before


def test_a_viewer_cannot_edit_either(session: Session) -> None:
    make_policy(session)
    with pytest.raises(NotAllowed):
        policies.update_policy(
            session=session,
            actor=VIEWER,
            slug="school-meals",
            data={"title": "Changed"},
            expected_version=1,
        )
    assert policies.get_policy(session=session, slug="school-meals").title != "Changed"


def test_actor_for_user_carries_the_role_and_id_into_the_audit(session: Session) -> None:
    analyst = make_user(session, email="ann@example.gov.uk", role=Role.ANALYST)
    actor = Actor.for_user(analyst)
    assert (actor.label, actor.role, actor.user_id) == (analyst.email, Role.ANALYST, analyst.id)
    make_policy(session)
    metric = make_metric(session, actor)
    [created] = audit_trail(session, metric)
    assert (created.actor_id, created.actor_label) == (analyst.id, "ann@example.gov.uk")
