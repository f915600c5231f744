"""The API token service without Flask: made once, stored hashed, checked, revoked by the owner."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from tests import factories
from tracker.models import ApiToken, AuditEvent, User
from tracker.models.enums import AuditAction, Role
from tracker.services import api_tokens, users
from tracker.services.actors import Actor
from tracker.services.errors import NotFound, ServiceError, ValidationFailed

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives timestamps back without their zone; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def person(session: Session, email: str = "owner@example.gov.uk", role: Role = Role.EDITOR) -> User:
    return factories.make_user(session, email=email, role=role)


def every_stored_text(session: Session) -> list[str]:
    """Every value of every column of every table, as text: where a leaked secret would be."""
    session.flush()
    texts = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.connection().execute(sa.select(table)):
            texts.extend(json.dumps(value, default=str) for value in row)
    return texts


def test_create_hands_back_the_token_once_and_stores_only_its_hash(session: Session) -> None:
    owner = person(session)
    token, plaintext = api_tokens.create_token(session, Actor.for_user(owner), "  Nightly upload ")
    assert plaintext.startswith("tlt_") and len(plaintext) == 4 + 43
    assert token.name == "Nightly upload"
    assert token.user_id == owner.id
    assert token.token_prefix == plaintext[:12]
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.last_used_at is None and token.revoked_at is None and token.expires_at is None
    secret_part = plaintext[12:]
    stored = every_stored_text(session)
    assert any(token.token_hash in text for text in stored)
    assert not [text for text in stored if secret_part in text]


def test_each_token_is_new(session: Session) -> None:
    actor = Actor.for_user(person(session))
    made = {api_tokens.create_token(session, actor, f"Token {n}")[1] for n in range(5)}
    assert len(made) == 5


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_of_1_to_100_characters(session: Session, name: str) -> None:
    actor = Actor.for_user(person(session))
    with pytest.raises(ValidationFailed) as raised:
        api_tokens.create_token(session, actor, name)
    assert [error.field for error in raised.value.errors] == ["name"]
    assert api_tokens.list_tokens(session, actor) == []


def test_a_name_of_100_characters_is_accepted(session: Session) -> None:
    token, _ = api_tokens.create_token(session, Actor.for_user(person(session)), "x" * 100)
    assert len(token.name) == 100


def test_an_expiry_must_be_in_the_future(session: Session) -> None:
    actor = Actor.for_user(person(session))
    clock = Clock()
    with pytest.raises(ValidationFailed) as raised:
        api_tokens.create_token(session, actor, "Late", START, clock=clock)
    assert raised.value.errors[0].field == "expires_at"
    token, _ = api_tokens.create_token(
        session, actor, "Soon", START + timedelta(days=1), clock=clock
    )
    assert utc(token.expires_at) == START + timedelta(days=1)


def test_the_command_line_cannot_have_tokens(session: Session) -> None:
    system = Actor.system("tracker CLI")
    with pytest.raises(ServiceError):
        api_tokens.create_token(session, system, "Pipeline")
    assert api_tokens.list_tokens(session, system) == []


def test_list_shows_only_your_own_tokens_newest_first(session: Session) -> None:
    mine = Actor.for_user(person(session))
    theirs = Actor.for_user(person(session, "other@example.gov.uk"))
    first, _ = api_tokens.create_token(session, mine, "First")
    api_tokens.create_token(session, theirs, "Theirs")
    api_tokens.create_token(session, mine, "Second")
    api_tokens.revoke_token(session, mine, first.id or 0)
    assert [token.name for token in api_tokens.list_tokens(session, mine)] == ["Second", "First"]


def test_authenticate_returns_the_owner_and_notes_the_use(session: Session) -> None:
    owner = person(session)
    token, plaintext = api_tokens.create_token(session, Actor.for_user(owner), "Pipeline")
    session.commit()
    assert api_tokens.authenticate(session, plaintext, clock=Clock()) == owner
    assert utc(token.last_used_at) == START


@pytest.mark.parametrize(
    "presented",
    ["", "tlt_", "Bearer", "tlt_" + "A" * 43, "not-a-token", "tlt_" + "x" * 500, "tlt_\x00é"],
)
def test_authenticate_refuses_unknown_tokens(session: Session, presented: str) -> None:
    api_tokens.create_token(session, Actor.for_user(person(session)), "Pipeline")
    assert api_tokens.authenticate(session, presented) is None


def test_authenticate_refuses_a_token_with_one_character_changed(session: Session) -> None:
    _, plaintext = api_tokens.create_token(session, Actor.for_user(person(session)), "Pipeline")
    changed = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert api_tokens.authenticate(session, changed) is None
    assert api_tokens.authenticate(session, plaintext) is not None


def test_a_revoked_token_stops_working_and_revoking_again_is_harmless(session: Session) -> None:
    actor = Actor.for_user(person(session))
    token, plaintext = api_tokens.create_token(session, actor, "Pipeline")
    clock = Clock()
    revoked = api_tokens.revoke_token(session, actor, token.id or 0, clock=clock)
    assert utc(revoked.revoked_at) == START and revoked.version == 2
    assert api_tokens.authenticate(session, plaintext) is None
    events = factories.audit_count(session)
    clock.now = START + timedelta(hours=1)
    again = api_tokens.revoke_token(session, actor, token.id or 0, clock=clock)
    assert utc(again.revoked_at) == START and again.version == 2
    assert factories.audit_count(session) == events


def test_an_expired_token_stops_working(session: Session) -> None:
    clock = Clock()
    expiry = START + timedelta(days=30)
    _, plaintext = api_tokens.create_token(
        session, Actor.for_user(person(session)), "Pipeline", expiry, clock=clock
    )
    session.commit()
    clock.now = expiry - timedelta(seconds=1)
    assert api_tokens.authenticate(session, plaintext, clock=clock) is not None
    clock.now = expiry
    assert api_tokens.authenticate(session, plaintext, clock=clock) is None


def test_a_deactivated_person_s_token_stops_working(session: Session) -> None:
    owner = person(session)
    _, plaintext = api_tokens.create_token(session, Actor.for_user(owner), "Pipeline")
    users.update_user(
        session=session,
        actor=factories.ADMIN,
        email=owner.email,
        data={"is_active": False},
        expected_version=None,
    )
    assert api_tokens.authenticate(session, plaintext) is None


def test_a_token_acts_with_its_owner_s_current_role(session: Session) -> None:
    owner = person(session, role=Role.ANALYST)
    _, plaintext = api_tokens.create_token(session, Actor.for_user(owner), "Pipeline")
    user = api_tokens.authenticate(session, plaintext)
    assert user is not None and Actor.for_user(user).may_write("arm_result")
    users.update_user(
        session=session,
        actor=factories.ADMIN,
        email=owner.email,
        data={"role": Role.VIEWER},
        expected_version=None,
    )
    session.commit()
    user = api_tokens.authenticate(session, plaintext)
    assert user is not None
    demoted = Actor.for_user(user)
    assert demoted.role is Role.VIEWER
    assert not demoted.may_write("arm_result") and not demoted.may_write("policy")


def test_only_the_owner_may_revoke_and_others_are_told_not_found(session: Session) -> None:
    owner = Actor.for_user(person(session))
    other = Actor.for_user(person(session, "other@example.gov.uk", role=Role.ADMIN))
    token, plaintext = api_tokens.create_token(session, owner, "Pipeline")
    events = factories.audit_count(session)
    for actor in (other, Actor.system("tracker CLI")):
        with pytest.raises(NotFound):
            api_tokens.revoke_token(session, actor, token.id or 0)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(session, owner, (token.id or 0) + 1000)
    session.refresh(token)
    assert token.revoked_at is None and token.version == 1
    assert factories.audit_count(session) == events
    assert api_tokens.authenticate(session, plaintext) is not None


def test_last_used_is_written_at_most_once_a_minute(session: Session) -> None:
    token, plaintext = api_tokens.create_token(session, Actor.for_user(person(session)), "Pipeline")
    session.commit()
    clock = Clock()
    api_tokens.authenticate(session, plaintext, clock=clock)
    session.commit()
    clock.now = START + timedelta(seconds=59)
    api_tokens.authenticate(session, plaintext, clock=clock)
    session.commit()
    session.refresh(token)
    assert utc(token.last_used_at) == START
    clock.now = START + timedelta(seconds=60)
    api_tokens.authenticate(session, plaintext, clock=clock)
    session.commit()
    session.refresh(token)
    assert utc(token.last_used_at) == START + timedelta(seconds=60)
    assert token.version == 1  # use is bookkeeping, not an edit


def test_making_and_revoking_are_audited_without_the_secret(session: Session) -> None:
    owner = person(session)
    actor = Actor.for_user(owner)
    token, plaintext = api_tokens.create_token(session, actor, "Pipeline")
    api_tokens.revoke_token(session, actor, token.id or 0)
    trail = factories.audit_trail(session, token)
    assert [event.action for event in trail] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert all(event.actor_id == owner.id for event in trail)
    assert trail[0].after is not None and trail[0].after["name"] == "Pipeline"
    assert trail[0].after["token_prefix"] == plaintext[:12]
    assert trail[1].after is not None and "revoked_at" in trail[1].after
    for event in session.exec(select(AuditEvent)):
        written = json.dumps([event.summary, event.before, event.after])
        assert plaintext[12:] not in written and token.token_hash not in written


def test_deleting_a_person_deletes_their_tokens(session: Session) -> None:
    owner = person(session)
    api_tokens.create_token(session, Actor.for_user(owner), "Pipeline")
    session.commit()
    session.connection().execute(sa.delete(User).where(User.id == owner.id))  # type: ignore[arg-type]
    assert session.exec(select(ApiToken)).all() == []
