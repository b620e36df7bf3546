"""The supervisor console's pages are served by the gateway outside /api/v1, with Debian's Leaflet and the
tile setting; the browser tests (tests/e2e/test_console.py) drive them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def test_the_console_pages_leaflet_and_settings_are_served(make_client: Callable[..., TestClient]) -> None:
    client = make_client(console_tile_url="http://tiles.invalid/{z}/{x}/{y}.png")
    redirect = client.get("/console", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/console/")
    page = client.get("/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '"vendor/leaflet/leaflet.js"' in page.text and '"app.js"' in page.text
    for asset in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "app.js", "api.js", "map.js"):
        assert client.get(f"/console/{asset}").status_code == 200, asset
    assert "Leaflet" in client.get("/console/vendor/leaflet/leaflet.js").text[:200]
    assert client.get("/console/config.json").json()["tile_url"] == "http://tiles.invalid/{z}/{x}/{y}.png"
    assert client.get("/console/nothing.js").status_code == 404
    assert "/console/" not in str(client.get("/openapi.json").json()["paths"])


def test_without_leaflet_installed_the_pages_are_still_served(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = make_client(console_leaflet_dir=str(tmp_path / "absent"))
    assert client.get("/console/").status_code == 200
    assert client.get("/console/vendor/leaflet/leaflet.js").status_code == 404
