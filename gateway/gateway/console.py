"""The supervisor web console at /console/: static pages and modules (no build step), Leaflet from Debian's
libjs-leaflet, and the one setting the page reads (its map tiles). Outside /api/v1: it only calls the API."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from gateway.errors import JsonResponse
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

PAGES = Path(__file__).with_name("console_static")
PREFIX = "/console"


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PREFIX)
    async def console_root() -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    @routes.get(f"{PREFIX}/config.json")
    async def console_config(request: Request) -> Response:
        settings: GatewaySettings = request.app.state.settings
        return JsonResponse(
            {"tile_url": settings.console_tile_url, "tile_attribution": settings.console_tile_attribution},
            headers={"Cache-Control": "no-store"},
        )

    return routes


def install(app: FastAPI, settings: GatewaySettings) -> None:
    """Mount the console; a machine without libjs-leaflet still serves the pages (the map stays empty)."""
    app.include_router(router())
    if Path(settings.console_leaflet_dir).is_dir():
        app.mount(
            f"{PREFIX}/vendor/leaflet", StaticFiles(directory=settings.console_leaflet_dir), name="console-leaflet"
        )
    else:
        logger.warning("no Leaflet at %s (libjs-leaflet): the console shows no map", settings.console_leaflet_dir)
    app.mount(PREFIX, StaticFiles(directory=PAGES, html=True), name="console")
