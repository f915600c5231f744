"""Path models shared by the resources, so a slug, key or number in a URL is validated the same
way everywhere and within the bounds the stored records have (flask-openapi3 documents each
field as a path parameter). A bound here is what keeps an absurd number a 422, not a database
overflow."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tracker.models.base import LARGEST_WHOLE_NUMBER, SLUG_MAX, SLUG_PATTERN

MAX_ID = 2**31 - 1  # the databases' integer columns: a larger number cannot name a record


class SlugPath(BaseModel):
    """A policy's or pilot's slug in the URL."""

    slug: str = Field(pattern=SLUG_PATTERN, max_length=SLUG_MAX)


PolicyPath = SlugPath
PilotPath = SlugPath


class IterationPath(SlugPath):
    """A pilot's slug and one of its iterations."""

    number: int = Field(
        ge=1, le=LARGEST_WHOLE_NUMBER, description="The iteration's number: 1 for v1"
    )
