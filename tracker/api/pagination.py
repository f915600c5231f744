"""List endpoints page with limit and offset and say the total, so clients can fetch it all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Response, jsonify
from pydantic import BaseModel, Field

from tracker.services.search import Found

T = TypeVar("T")

MAX_LIMIT = 100


class PageQuery(BaseModel):
    """Which slice of a list: at most `limit` items from `offset` on."""

    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, description="Items per page (1–100)")
    offset: int = Field(default=0, ge=0, description="How many items to skip")


class PageInfo(BaseModel):
    """Where this page sits in the whole list."""

    total: int = Field(description="Items matching the filters, on every page")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page, or null at the end")


def page_of(items: Sequence[T], query: PageQuery) -> tuple[list[T], PageInfo]:
    """The requested slice and its position."""
    end = query.offset + query.limit
    return list(items[query.offset : end]), page_info(len(items), query)


def page_info(total: int, query: PageQuery) -> PageInfo:
    """Where the page `query` asks for sits among `total` items (for lists the database pages)."""
    end = query.offset + query.limit
    return PageInfo(
        total=total,
        limit=query.limit,
        offset=query.offset,
        next_offset=end if end < total else None,
    )


def page_response(
    list_model: type[BaseModel],
    found: Sequence[T],
    query: PageQuery,
    item: Callable[[T], BaseModel],
) -> Response:
    """The requested page of `found` as a `list_model` (`items` and `page`), each through `item`."""
    items, page = page_of(found, query)
    return jsonify(list_model(items=[item(x) for x in items], page=page).model_dump(mode="json"))


def paged_response(
    list_model: type[BaseModel],
    found: Found[T],
    query: PageQuery,
    item: Callable[[T], BaseModel],
) -> Response:
    """A page the database cut (`found`: its items and the total) as a `list_model`."""
    body = list_model(items=[item(x) for x in found.items], page=page_info(found.total, query))
    return jsonify(body.model_dump(mode="json"))
