"""Configuration comes from TRACKER_* variables; the secret is generated once, never committed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask

from tracker import create_app
from tracker.config import SECRET_KEY_FILE


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
    first = _app(monkeypatch, tmp_path, migrated_url)
    secret_file = tmp_path / SECRET_KEY_FILE
    assert secret_file.read_text() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    second = _app(monkeypatch, tmp_path, migrated_url)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_environment_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_url: str
) -> None:
    app = _app(monkeypatch, tmp_path, migrated_url, TRACKER_SECRET_KEY="from-the-environment")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["DATABASE_URL"] == migrated_url
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    assert Path(app.template_folder or "").name == "templates"
    assert Path(app.static_folder or "").name == "static"
