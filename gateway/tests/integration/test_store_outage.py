"""One database per service: a service whose store is down answers 503, the others keep working."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baifang_common.testing.plugin import StoreProcess
from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def checkin_store_url(store_process: StoreProcess) -> str:
    """The checkin servicer of `stack_client` keeps its data in this test's own store process."""
    return store_process.url


def _ready(metrics_port: int) -> int:
    """The status of a process's /readyz (its store check waits up to 3 s for an answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz", timeout=8) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_checkin_store_down_is_503_for_checkins_only_and_recovers(
    store_process: StoreProcess,
    isolation: dict[str, str],
    stack_client: TestClient,
    spawn_process: Callable[..., Any],
    login: Callable[..., Any],
) -> None:
    manager = {"Authorization": f"Bearer {login(stack_client, 'm001')['access_token']}"}
    checkin_process = spawn_process("checkin", "grpc", env={**isolation, "CHECKIN_MONGO_URL": store_process.url})

    def checkin() -> Any:
        body = {
            "op_id": str(uuid.uuid4()),
            "qr": "BF1.nowhere.sig",  # refused by the rules once the store answers; 503 while it does not
            "lat": 31.82,
            "lon": 117.23,
            "accuracy_m": 8,
            "client_ts": datetime.now(UTC).isoformat(),
        }
        return stack_client.post("/api/v1/checkins", json=body, headers=manager)

    assert checkin().status_code == 422
    store_process.stop()

    down = checkin()
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "unavailable"
    assert down.headers["Retry-After"]
    assert stack_client.get("/api/v1/visits", headers=manager).status_code == 200  # planning: its own store
    wait_until(lambda: _ready(checkin_process.metrics_port) == 503, timeout=15, what="checkin grpc unready")

    store_process.start()
    wait_until(lambda: checkin().status_code == 422, timeout=30, interval=0.5, what="check-ins served again")
    wait_until(lambda: _ready(checkin_process.metrics_port) == 200, timeout=15, what="checkin grpc ready again")
