"""Whether a record belongs to published work: a published policy or something under one.

Open API reads (services.site_settings) let callers without a token read published work only;
these checks answer "is this in scope?" by the keys a URL names. A key that names nothing
answers False, exactly as an unpublished record does, so the answer reveals no existence.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker.models import AnalysisRun, Pilot, Policy


def policy_is_published(*, session: Session, slug: str) -> bool:
    """True if a policy with this slug exists and is published."""
    found = session.exec(
        select(Policy.id).where(Policy.slug == slug, col(Policy.published).is_(True))
    ).first()
    return found is not None


def pilot_is_published(*, session: Session, slug: str) -> bool:
    """True if a pilot with this slug exists and its policy is published."""
    found = session.exec(
        select(Pilot.id)
        .join(Policy, col(Policy.id) == col(Pilot.policy_id))
        .where(Pilot.slug == slug, col(Policy.published).is_(True))
    ).first()
    return found is not None


def analysis_run_is_published(*, session: Session, run_id: int) -> bool:
    """True if this analysis run exists and is of a pilot of a published policy."""
    found = session.exec(
        select(AnalysisRun.id)
        .join(Pilot, col(Pilot.id) == col(AnalysisRun.pilot_id))
        .join(Policy, col(Policy.id) == col(Pilot.policy_id))
        .where(AnalysisRun.id == run_id, col(Policy.published).is_(True))
    ).first()
    return found is not None
