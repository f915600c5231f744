"""Creating and editing a policy's user needs, hypotheses, metrics and engagement log."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("policy_records", __name__)
