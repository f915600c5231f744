"""Every web form that writes has an API twin, or a written reason why not."""

from __future__ import annotations

from flask import Flask

from tests.web_helpers import write_rules
from tracker.api.twins import WEB_WRITE_TWINS


def test_every_web_write_route_has_a_twin_or_a_reason(app: Flask) -> None:
    web_writes = {rule.endpoint for rule in write_rules(app)}
    assert web_writes == set(WEB_WRITE_TWINS), (
        f"missing: {sorted(web_writes - set(WEB_WRITE_TWINS))}, "
        f"gone: {sorted(set(WEB_WRITE_TWINS) - web_writes)}"
    )
    api_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for web, twin in WEB_WRITE_TWINS.items():
        if twin.startswith("api_v1."):
            assert twin in api_endpoints, (web, twin)
        else:
            assert twin.startswith("None") and len(twin) > 40, (web, twin)
