"""Fixtures: a migrated database per test on SQLite and, when configured, on PostgreSQL.

`make test` runs the SQLite variants; the PostgreSQL variants run where
TRACKER_TEST_POSTGRES_URL points at a server (.ci/run creates a database for that). Under CI
(CI=true) a missing server or browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tracker import create_app, migrate
from tracker.config import EXPERIMENTS_FOLDER
from tracker.db import dispose_engine, get_engine
from tracker.models import User
from tracker.models.enums import Role
from tracker.services import users
from tracker.services.actors import Actor

POSTGRES_URL_VARIABLE = "TRACKER_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with the reason, except under CI where the suite must really run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must run, not skip)")
    pytest.skip(reason)


def _reset_postgres(url: str) -> None:
    """Empty the CI database so each test starts from nothing, as on a fresh SQLite file."""
    with get_engine(url).begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or the emptied PostgreSQL CI database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    else:
        url = os.environ.get(POSTGRES_URL_VARIABLE, "")
        if not url:
            unavailable(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}")
        _reset_postgres(url)
    yield url
    dispose_engine(url)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run; tests get copies (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("migrated") / "migrated.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    dispose_engine(url)
    return path


@pytest.fixture
def migrated_url(database_url: str, migrated_template: Path) -> str:
    """The empty database, migrated to head."""
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(migrated_template, database_url.removeprefix("sqlite:///"))
    else:
        migrate.upgrade(database_url)
    return database_url


@pytest.fixture
def session(migrated_url: str) -> Iterator[Session]:
    """A session on the migrated database (not committed unless the test commits)."""
    with Session(get_engine(migrated_url), expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture(scope="session")
def example_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """A migrated SQLite file with experiments/ imported, built once and copied per test."""
    from tracker.io.importer import import_path

    path = tmp_path_factory.mktemp("example") / "example.sqlite3"
    shutil.copyfile(migrated_template, path)
    url = f"sqlite:///{path}"
    with Session(get_engine(url)) as db_session:
        import_path(session=db_session, path=EXPERIMENTS_FOLDER, actor_label="test set-up")
        db_session.commit()
    dispose_engine(url)
    return path


@pytest.fixture
def example_url(example_template: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite database holding the example portfolio."""
    path = tmp_path / "example.sqlite3"
    shutil.copyfile(example_template, path)
    url = f"sqlite:///{path}"
    yield url
    dispose_engine(url)


def make_app(url: str, instance: Path) -> Flask:
    """An app on `url` with its instance folder (and so its secret) under the test's tmp dir."""
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance)
    try:
        return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    finally:
        del os.environ["TRACKER_INSTANCE_PATH"]


@pytest.fixture
def app(migrated_url: str, tmp_path: Path) -> Flask:
    """The app on an empty, migrated database."""
    return make_app(migrated_url, tmp_path / "instance")


@pytest.fixture
def example_app(example_url: str, tmp_path: Path) -> Flask:
    """The app on a database holding the example portfolio."""
    return make_app(example_url, tmp_path / "instance")


TEST_PASSWORD = "correct horse battery staple"


def add_user(app: Flask, *, role: Role = Role.VIEWER, email: str | None = None) -> User:
    """A user with TEST_PASSWORD in the app's database, created through the users service."""
    with Session(get_engine(app.config["DATABASE_URL"]), expire_on_commit=False) as db_session:
        user = users.create_user(
            session=db_session,
            actor=Actor.system("test set-up"),
            data={
                "email": email or f"{role.value}@example.gov.uk",
                "display_name": f"Test {role.value}",
                "role": role,
            },
            password=TEST_PASSWORD,
        )
        db_session.commit()
        return user


def signed_in_client(app: Flask, *, role: Role = Role.VIEWER) -> FlaskClient:
    """A test client already signed in as a new user with `role`.

    The session is set directly: the sign-in form itself is tested in tests/test_auth.py.
    """
    user = add_user(app, role=role)
    test_client = app.test_client()
    with test_client.session_transaction() as flask_session:
        flask_session["user_id"] = user.id
    return test_client


@pytest.fixture
def anonymous_client(app: Flask) -> FlaskClient:
    """A client that has not signed in."""
    return app.test_client()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client signed in as a viewer, the least role, which may read every page."""
    return signed_in_client(app)


@pytest.fixture
def example_client(example_app: Flask) -> FlaskClient:
    """A viewer's client on the example portfolio."""
    return signed_in_client(example_app)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why tests skipped, once per reason rather than once per test."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "skipped"
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"SKIPPED {count} test(s): {reason}")
