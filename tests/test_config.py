"""Configuration comes from TRACKER_* variables; the secret is generated once, never committed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from tracker import create_app
from tracker.config import SECRET_KEY_FILE
from tracker.db import get_engine
from tracker.models import ApiRateWindow, SiteSetting
from tracker.signing_key import SIGNING_KEY


def _app(monkeypatch: pytest.MonkeyPatch, instance: Path, url: str, **env: str) -> Flask:
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_secret_is_generated_once_and_kept_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str
) -> None:
    """SQLite: a file beside the database, readable by its owner only. PostgreSQL: a row every
    app process on every machine reads, and nothing on local disk (tracker/signing_key.py)."""
    first = _app(monkeypatch, tmp_path / "first", migrated_url)
    assert len(first.config["SECRET_KEY"]) == 64
    second = _app(monkeypatch, tmp_path / "second", migrated_url)
    if migrated_url.startswith("postgresql"):
        assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
        assert not list(tmp_path.rglob(SECRET_KEY_FILE))
        with Session(get_engine(migrated_url)) as session:
            rows = session.exec(select(SiteSetting).where(SiteSetting.key == SIGNING_KEY)).all()
        assert [row.value for row in rows] == [first.config["SECRET_KEY"]]
        return
    secret_file = tmp_path / "first" / SECRET_KEY_FILE
    assert secret_file.read_text() == first.config["SECRET_KEY"]
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = _app(monkeypatch, tmp_path / "first", migrated_url)
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_trusted_proxies_give_the_callers_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str
) -> None:
    """Behind a reverse proxy, the API's rate limit must count callers, not the proxy."""
    forwarded = {"X-Forwarded-For": "198.51.100.7"}
    for proxies, counted in (("0", "address:127.0.0.1"), ("1", "address:198.51.100.7")):
        app = _app(monkeypatch, tmp_path, migrated_url, TRACKER_TRUSTED_PROXIES=proxies)
        app.test_client().get("/api/v1/policies", headers=forwarded)
        with Session(get_engine(migrated_url)) as session:
            buckets = set(session.exec(select(ApiRateWindow.bucket)))
        assert counted in buckets
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        _app(monkeypatch, tmp_path, migrated_url, TRACKER_TRUSTED_PROXIES="many")


def test_environment_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str
) -> None:
    app = _app(monkeypatch, tmp_path, migrated_url, TRACKER_SECRET_KEY="from-the-environment")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["DATABASE_URL"] == migrated_url
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    assert Path(app.template_folder or "").name == "templates"
    assert Path(app.static_folder or "").name == "static"
