"""The API's documents: the OpenAPI file and an interactive page whose assets the app serves."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from flask import Flask


def test_the_openapi_document_and_docs_page_need_no_token_and_no_other_host(app: Flask) -> None:
    client = app.test_client()
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json["openapi"].startswith("3.1")
    assert document.json["info"]["title"] == "Test & Learn Tracker API"
    page = client.get("/api/v1/swagger")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads scripts and styles"
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        with client.get(urljoin("/api/v1/swagger", asset)) as served:  # files: close them
            assert served.status_code == 200, asset
    assert "openapi.json" in html  # the page reads this app's own document
