"""Path models shared by several resources, so a slug in a URL is validated the same way
everywhere (flask-openapi3 documents each field as a path parameter)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tracker.models.base import SLUG_PATTERN


class SlugPath(BaseModel):
    """A policy's or pilot's slug in the URL."""

    slug: str = Field(pattern=SLUG_PATTERN, max_length=100)


PolicyPath = SlugPath
PilotPath = SlugPath
