"""The power and minimum-detectable-effect planner."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("planner", __name__)
