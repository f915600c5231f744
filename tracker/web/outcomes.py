"""Entering per-arm results by hand and recording an iteration's decision."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("outcomes", __name__)
