"""Gateway integration tests: the real app (lifespan included) over HTTP through starlette's
TestClient, with the real Redis and store isolated per test by `settings_for`. Services the
routes call are either absent (so their failures are visible) or real ones started in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.demo import demo_org
from baifang_common.testing.plugin import free_port
from baifang_common.timeutil import today
from checkin import bootstrap as checkin_bootstrap
from checkin.grpc_api import servicer as checkin_servicer
from checkin.settings import CheckinSettings
from gateway.demo import load_demo
from gateway.main import create_app
from gateway.settings import GatewaySettings
from planning import demo as planning_demo
from planning.bootstrap import build_grpc
from planning.grpc_api import servicer as planning_servicer
from planning.settings import PlanningSettings

PASSWORD = "correct horse"
DEMO_CUSTOMERS = 40  # planning's demo customer ids: cu000001 .. cu000040


@pytest.fixture
def gateway_settings(settings_for: Callable[..., Any]) -> GatewaySettings:
    """Peers point at free ports where nothing listens, unless a test starts one."""
    dead = {f"{svc}_addr": f"127.0.0.1:{free_port()}" for svc in ("planning", "checkin", "collection", "analytics")}
    settings: GatewaySettings = settings_for(
        GatewaySettings, demo_password=PASSWORD, jwt_secret="test-secret-" + "x" * 40, **dead
    )
    load_demo(settings, demo_org(managers=12), today=date(2025, 3, 3), reset=True)
    return settings


@pytest.fixture
def make_client(gateway_settings: GatewaySettings) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(address: str = "testclient", **overrides: Any) -> TestClient:
        """A gateway process with these settings overrides, seeing requests come from `address`."""
        settings = gateway_settings.model_copy(update=overrides) if overrides else gateway_settings
        client = TestClient(create_app(settings), raise_server_exceptions=False, client=(address, 50000))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def planning_addr(
    settings_for: Callable[..., Any], grpc_server: Callable[..., Any], gateway_settings: GatewaySettings
) -> Iterator[str]:
    """The real planning servicer over a small demo plan (customers cu000001..cu000040); its address."""
    planning_settings: PlanningSettings = settings_for(PlanningSettings)
    day = today(gateway_settings.timezone)
    planning_demo.load_demo(
        planning_settings, demo_org(managers=12), today=day, reset=True, customers=DEMO_CUSTOMERS, publish=False
    )
    planning_deps = build_grpc(planning_settings)
    planning_server, _ = grpc_server([planning_servicer(planning_deps)])
    yield f"127.0.0.1:{planning_server.port}"
    planning_deps.close()


@pytest.fixture
def checkin_store_url() -> str | None:
    """Where the checkin servicer of `stack_client` keeps its data; None: the test's usual store."""
    return None


@pytest.fixture
def stack_client(
    checkin_store_url: str | None,
    settings_for: Callable[..., Any],
    grpc_server: Callable[..., Any],
    make_client: Callable[..., TestClient],
    planning_addr: str,
) -> Iterator[TestClient]:
    """The gateway in front of the real planning (small demo plan) and checkin servicers."""
    store = {"mongo_url": checkin_store_url} if checkin_store_url else {}
    checkin_deps = checkin_bootstrap.build_grpc(settings_for(CheckinSettings, planning_addr=planning_addr, **store))
    checkin_server, _ = grpc_server([checkin_servicer(checkin_deps)])
    yield make_client(planning_addr=planning_addr, checkin_addr=f"127.0.0.1:{checkin_server.port}")
    checkin_deps.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def _login(client: TestClient, username: str, remember: bool = False) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "remember": remember}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def login() -> Callable[..., dict[str, Any]]:
    """Log a demo user in; the answer has access_token (and refresh_token with remember)."""
    return _login


@pytest.fixture
def auth_headers(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Authorization headers of a freshly logged-in demo user."""

    def make(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {_login(client, username)['access_token']}"}

    return make
