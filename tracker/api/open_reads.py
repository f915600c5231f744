"""What a caller without a token may read while an admin has turned open reads on (issue 7).

One allow-list of operations, each with the scope its URL names (a policy slug, a pilot slug,
an analysis run id), checked once per request by `in_scope` before the operation runs. Lists
say they are `LISTED`: they filter themselves (`published_only`), so their totals count only
published work. Everything else, and any key outside published work, gets the same 401 as a
request without a token, so a caller cannot tell an unpublished record from a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from sqlmodel import Session

from tracker.api.paths import MAX_ID
from tracker.services.published import (
    analysis_run_is_published,
    pilot_is_published,
    policy_is_published,
)

METHODS = frozenset({"GET", "HEAD"})


class Scope(Enum):
    """What an open operation's URL names, and so what must be published for it to answer."""

    LISTED = "a list that keeps only published work itself"
    POLICY = "the policy named by `slug`"
    PILOT = "the pilot named by `slug`"
    ANALYSIS_RUN = "the analysis run named by `run_id`"


OPEN_READS: dict[str, Scope] = {
    "api_v1.list_policies": Scope.LISTED,
    "api_v1.list_pilots": Scope.LISTED,
    "api_v1.get_policy": Scope.POLICY,
    "api_v1.list_stage_decisions": Scope.POLICY,
    "api_v1.get_stage_decision": Scope.POLICY,
    "api_v1.list_records_metric": Scope.POLICY,
    "api_v1.get_record_metric": Scope.POLICY,
    "api_v1.list_records_user_need": Scope.POLICY,
    "api_v1.get_record_user_need": Scope.POLICY,
    "api_v1.list_records_hypothesis": Scope.POLICY,
    "api_v1.get_record_hypothesis": Scope.POLICY,
    "api_v1.list_records_engagement": Scope.POLICY,
    "api_v1.get_record_engagement": Scope.POLICY,
    "api_v1.get_pilot": Scope.PILOT,
    "api_v1.list_iterations": Scope.PILOT,
    "api_v1.get_iteration": Scope.PILOT,
    "api_v1.list_arms": Scope.PILOT,
    "api_v1.get_arm": Scope.PILOT,
    "api_v1.list_results": Scope.PILOT,
    "api_v1.get_result": Scope.PILOT,
    "api_v1.get_decision": Scope.PILOT,
    "api_v1.list_plans": Scope.PILOT,
    "api_v1.get_plan": Scope.PILOT,
    "api_v1.list_pilot_analyses": Scope.PILOT,
    "api_v1.get_analysis": Scope.ANALYSIS_RUN,
}

# The API's other reads, and why a token is always needed for them (a test checks that every
# read operation is in one table or the other, so a new one needs a decision).
NEVER_OPEN: dict[str, str] = {
    "api_v1.list_events": "Audit events name the people who made each change.",
    "api_v1.list_datasets": "Unit-level data may be about identifiable people.",
    "api_v1.get_dataset": "Unit-level data may be about identifiable people.",
    "api_v1.export_portfolio": "The export holds unpublished policies and uploaded datasets.",
}


def in_scope(session: Session, endpoint: str | None, view_args: Mapping[str, Any]) -> bool:
    """Whether a caller without a token may have this operation on these path values."""
    scope = OPEN_READS.get(endpoint or "")
    if scope is None:
        return False
    if scope is Scope.LISTED:
        return True
    if scope is Scope.ANALYSIS_RUN:
        run_id = _whole_number(view_args.get("run_id"))
        return run_id is not None and analysis_run_is_published(session=session, run_id=run_id)
    slug = str(view_args.get("slug", ""))
    if scope is Scope.POLICY:
        return policy_is_published(session=session, slug=slug)
    return pilot_is_published(session=session, slug=slug)


def _whole_number(raw: object) -> int | None:
    """A run id as the URL gives it (text), or None when it cannot name a stored run."""
    text = str(raw or "")
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
