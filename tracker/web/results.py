"""Iteration results pages: every comparison with its method and health, and the forest plot."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("results", __name__)
