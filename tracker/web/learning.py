"""Pilot learning pages: effects across iterations, their tests, and the sequential view."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("learning", __name__)
