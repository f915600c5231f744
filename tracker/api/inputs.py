"""Input the database cannot store is refused up front, field by field.

PostgreSQL text cannot hold a NUL character; a request carrying one would otherwise fail deep in
a query with a 500. Checked once for every API request: the query and a JSON body. (Form
bodies are left to their endpoint, which may first raise the size limit for an upload.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request

from tracker.api.problems import FieldProblem, problem

NUL = "\x00"


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value or NUL in path:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def refuse_nul_characters() -> Response | None:
    """422 naming every field that holds a NUL character; None when there is none."""
    sources: dict[str, Any] = {key: request.args.getlist(key) for key in request.args}
    if request.is_json:
        body = request.get_json(silent=True)
        if body is not None:
            sources["body"] = body
    found = [path.replace(NUL, "\\0") for path in _nul_paths(sources, "")]
    if not found:
        return None
    errors = [
        FieldProblem(field=path, message="must not contain a NUL character") for path in found
    ]
    return problem(422, "The request is not valid", "Fix each field listed in errors.", errors)
