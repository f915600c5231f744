"""Configuration: defaults, TRACKER_* environment variables, and where templates and static live.

Templates and static assets sit at the repository top level (not inside the package) so that
designers can work on them without touching Python; the factory points Flask at them from here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDER = PROJECT_ROOT / "templates"
STATIC_FOLDER = PROJECT_ROOT / "static"
EXPERIMENTS_FOLDER = PROJECT_ROOT / "experiments"
MIGRATIONS_FOLDER = PROJECT_ROOT / "migrations"
DEFAULT_INSTANCE_FOLDER = PROJECT_ROOT / "instance"

ENV_PREFIX = "TRACKER_"
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)


def instance_folder() -> Path:
    """Where per-installation state lives (SQLite file, generated secret): TRACKER_INSTANCE_PATH."""
    return Path(os.environ.get(f"{ENV_PREFIX}INSTANCE_PATH", DEFAULT_INSTANCE_FOLDER)).resolve()


def default_database_url(folder: Path) -> str:
    """The embedded SQLite database inside the instance folder: zero set-up."""
    return f"sqlite:///{folder / 'tracker.sqlite3'}"


def database_url() -> str:
    """The database the app and the CLI use: TRACKER_DATABASE_URL or the embedded SQLite file."""
    return os.environ.get(f"{ENV_PREFIX}DATABASE_URL") or default_database_url(instance_folder())


def load_or_create_secret(folder: Path) -> str:
    """Return the secret kept in the instance folder, generating it on first run.

    A secret in the repository would let anyone forge sessions; a secret regenerated on each
    start would sign everyone out on every restart. So it is made once and kept, readable by
    the owner only.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_hex(32)
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return secret


def settings_from_environment() -> dict[str, Any]:
    """Every TRACKER_* variable becomes a config key without the prefix (TRACKER_X -> X)."""
    return {
        key.removeprefix(ENV_PREFIX): value
        for key, value in os.environ.items()
        if key.startswith(ENV_PREFIX) and key != f"{ENV_PREFIX}INSTANCE_PATH"
    }


def as_bool(value: object) -> bool:
    """A flag from the environment: "false", "0", "no", "off" and "" are False, in any case."""
    if isinstance(value, str):
        return value.strip().lower() not in {"false", "0", "no", "off", ""}
    return bool(value)


def as_whole_number(value: object, name: str, *, minimum: int, maximum: int) -> int:
    """A whole-number setting between `minimum` and `maximum`; the environment hands it as text.

    Raises ValueError naming the setting, its variable and what it must be, so a typo stops the
    app at start-up rather than on the first request that reads it.
    """
    try:
        number = int(str(value).strip(), 10) if not isinstance(value, bool | float) else None
    except ValueError:
        number = None
    if number is None or not minimum <= number <= maximum:
        raise ValueError(
            f"{name} (environment variable {ENV_PREFIX}{name}) must be a whole number from "
            f"{minimum} to {maximum}, not {value!r}"
        )
    return number
