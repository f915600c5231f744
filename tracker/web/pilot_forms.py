"""Creating and editing pilots, and the pilot set-up task list."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("pilot_forms", __name__)
