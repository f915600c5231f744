"""Writing, locking and amending a pilot's analysis plan."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("plans", __name__)
