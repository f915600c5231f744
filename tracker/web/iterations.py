"""Creating and editing a pilot's iterations and their arms."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("iterations", __name__)
