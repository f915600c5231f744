"""Creating and editing policies, and recording their stage decisions (check answers first)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("policy_forms", __name__)
