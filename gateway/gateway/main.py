"""The gateway application: composition root (lifespan), middleware, routers and ops endpoints."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError
from starlette.routing import BaseRoute

from baifang_common.metrics import exposition
from gateway import errors
from gateway.auth import LoginThrottle, PasswordHashing, RefreshTokens, RevokedAccessTokens
from gateway.clients import Clients
from gateway.console import install as install_console
from gateway.deps import Deps
from gateway.devices import DeviceKeys, DeviceStore
from gateway.errors import JsonResponse
from gateway.imports import ImportJobs
from gateway.middleware import GatewayMiddleware
from gateway.routes import (
    analytics,
    assistant,
    auth,
    checkin,
    collection,
    customers,
    devices,
    imports,
    ingest,
    planning,
    sync,
    team_views,
    users,
)
from gateway.routes import app as app_routes
from gateway.routes import business as business_routes
from gateway.routes import trackers as tracker_routes
from gateway.settings import GatewaySettings
from gateway.trackers import TrackerKeys, TrackerStore
from gateway.users import ActiveUsers, UserStore

logger = logging.getLogger(__name__)

READINESS_CACHE_SECONDS = 1.0


async def build(settings: GatewaySettings) -> Deps:
    """Create every client once, at start-up (never at import time)."""
    redis = aioredis.Redis.from_url(
        settings.redis_url, decode_responses=True, socket_timeout=3, socket_connect_timeout=3
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url, connect=False, **settings.mongo_options
    )
    users = UserStore(mongo[settings.mongo_db]["users"])
    device_store = DeviceStore(mongo[settings.mongo_db]["devices"])
    tracker_store = TrackerStore(mongo[settings.mongo_db]["trackers"])
    try:
        await users.ensure_indexes()
        await device_store.ensure_indexes()
        await tracker_store.ensure_indexes()
    except PyMongoError as exc:
        logger.warning("could not create user/device/tracker indexes yet: %s", exc)
    return Deps(
        settings=settings,
        redis=redis,
        mongo=mongo,
        users=users,
        active_users=ActiveUsers(users, settings.user_cache_seconds),
        refresh_tokens=RefreshTokens(redis, settings),
        revoked_tokens=RevokedAccessTokens(redis, settings),
        login_throttle=LoginThrottle(redis, settings),
        passwords=PasswordHashing(settings.login_hash_queue),
        clients=Clients.open(settings),
        devices=DeviceKeys(device_store, settings.device_cache_seconds),
        trackers=TrackerKeys(tracker_store, settings.device_cache_seconds),
        imports=ImportJobs(redis, settings),
    )


async def close(deps: Deps) -> None:
    for job in list(deps.imports.running):
        job.cancel()
    await deps.clients.close()
    await deps.redis.aclose()
    await deps.mongo.close()
    deps.passwords.close()


class Readiness:
    """The gateway's own dependencies (Redis, its store) and each service's gRPC health.

    Only its own dependencies make the gateway unready: a service that is down (its store is
    down, say) is reported as degraded while the routes of the other services keep working; a
    call to the degraded one answers 503 by itself. Cached briefly so probes stay cheap.
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._at = 0.0
        self._failing: list[str] = []
        self._degraded: list[str] = []
        self._lock = asyncio.Lock()

    async def _check(self, name: str, probe: Callable[[], Awaitable[Any]]) -> str | None:
        try:
            await asyncio.wait_for(probe(), timeout=self.deps.settings.readiness_timeout_seconds + 0.5)
        except Exception as exc:  # any failure of a dependency means "not ready"
            logger.warning("readiness check failed: %s: %s", name, exc)
            return name
        return None

    async def __call__(self) -> tuple[list[str], list[str]]:
        """(failing own dependencies, services not serving)."""
        async with self._lock:
            if time.monotonic() - self._at >= READINESS_CACHE_SECONDS:
                redis_failed, mongo_failed, services = await asyncio.gather(
                    self._check("redis", self.deps.redis.ping),
                    self._check("mongo", lambda: self.deps.mongo.admin.command("ping")),
                    self.deps.clients.health(),
                )
                self._failing = [n for n in (redis_failed, mongo_failed) if n]
                self._degraded = services
                self._at = time.monotonic()
            return list(self._failing), list(self._degraded)


def ops_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        return JsonResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        failing, degraded = await request.app.state.readiness()
        if failing:
            return JsonResponse({"status": "unavailable", "failing": failing, "degraded": degraded}, status_code=503)
        if degraded:
            return JsonResponse({"status": "degraded", "degraded": degraded})
        return JsonResponse({"status": "ready"})

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


# The morning peak's requests (GPS tracks, check-ins: four in five), matched first. The router tries
# the routes in order, a regular expression each, and these were behind some 150 others: a tenth of
# the gateway's CPU per track batch. Their paths are literal, so they shadow no other route.
HOT_ROUTERS = (ingest.router, checkin.router)


def documented_routers() -> list[APIRouter]:
    """Every API router in the order /openapi.json lists them. `visit_views` comes before planning's
    router, whose `/visits/{visit_id}` would otherwise take its paths."""
    modules = (
        auth,
        app_routes,
        planning,
        assistant,
        checkin,
        collection,
        analytics,
        ingest,
        devices,
        users,
        sync,
        imports,
        customers,
    )
    return [
        business_routes.visit_views,
        *(module.router for module in modules),
        tracker_routes.admin,
        tracker_routes.phones,
        team_views.router,
        business_routes.router,
    ]


def in_documented_order(routes: list[BaseRoute], documented: list[APIRouter]) -> list[BaseRoute]:
    """The app's routes with the included routers back in `documented` order (the hot ones first only
    for matching), so /openapi.json does not change with the matching order."""
    rank = {id(router): n for n, router in enumerate(documented)}
    return sorted(routes, key=lambda route: rank.get(id(getattr(route, "original_router", None)), -1))


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The ASGI app; clients are opened by its lifespan, so importing this module connects nothing."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.uses_dev_secret:
            logger.warning("GATEWAY_JWT_SECRET is not set: using the development secret")
        deps = await build(settings)
        app.state.deps = deps
        app.state.readiness = Readiness(deps)
        logger.info("gateway ready on port %d", settings.port)
        try:
            yield
        finally:
            await close(deps)
            logger.info("gateway stopped")

    app = FastAPI(
        title="Baifang API",
        version="1.0.0",
        description="Public HTTP API of Baifang (docs/api.md). Errors: {error: {code, message, details}}.",
        lifespan=lifespan,
        default_response_class=JsonResponse,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(GatewayMiddleware, settings=settings)
    documented = documented_routers()
    for router in (*HOT_ROUTERS, *(r for r in documented if r not in HOT_ROUTERS)):
        app.include_router(router)
    app.include_router(ops_router())
    install_console(app, settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            routes = in_documented_order(app.routes, documented)
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=routes)
            app.openapi_schema = errors.document_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
