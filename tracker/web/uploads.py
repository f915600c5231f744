"""Uploading a unit-level dataset for an iteration: map columns, preview problems, confirm."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("uploads", __name__)
