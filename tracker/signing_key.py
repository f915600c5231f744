"""The key that signs session cookies, shared by every app process without a file on disk.

On SQLite the app is one machine's, and the key lives in the instance folder
(config.load_or_create_secret). On PostgreSQL the app may run as several processes on several
machines behind a load balancer: a key per machine would sign a person out whenever the
balancer sent them elsewhere, and the brief keeps no state on local disk there. So, unless
TRACKER_SECRET_KEY is set, the first process to start makes the key and keeps it in the
database, and every other process reads that one. It is never audited, logged or shown.
"""

from __future__ import annotations

import secrets

from sqlalchemy.dialects import postgresql
from sqlmodel import select

from tracker.db import session_scope
from tracker.models import SiteSetting
from tracker.models.base import utcnow

SIGNING_KEY = "session_signing_key"


def shared_signing_key(database_url: str) -> str:
    """The installation's key from the database, made on first use (PostgreSQL only).

    Two processes starting at once both try to insert; ON CONFLICT DO NOTHING keeps the first,
    and both then read the same row.
    """
    with session_scope(database_url) as session:
        now = utcnow()
        candidate = {
            "key": SIGNING_KEY,
            "value": secrets.token_hex(32),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        session.execute(
            postgresql.insert(SiteSetting)
            .values(candidate)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        stored = session.exec(select(SiteSetting).where(SiteSetting.key == SIGNING_KEY)).one()
        return str(stored.value)
