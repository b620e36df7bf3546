"""Every metric the alert rules, recording rules, their unit tests and the Grafana dashboard read is
exported by some process of the running stack, after a short load through every path: a renamed
metric or a rule written against a series nobody exports fails here, not silently in production.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from deploy_checks import (
    FAILURE_ONLY,
    PROMETHEUS,
    exported_names,
    names_in_rules,
    rule_files,
    unexported,
    used_metric_names,
)

from baifang_common.testing.wait import wait_until

# The first e2e test of a session pays for starting and seeding the stack (the session fixture's
# setup counts against the test's timeout), and this module also waits for the workers.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

# Metrics ports of scripts/stack.py before the offset: grpc and worker of the four services.
METRICS_PORTS = range(9101, 9109)
GATEWAY_BASE_PORT = 8080


def _client(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=f"{base}/api/v1", timeout=15)
    password = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
    answer = client.post("/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _load(base: str) -> None:
    """One pass over every path: reads, a QR check-in, task and visit completion, an offline
    batch, GPS points, retail scans, the supervisor's view; then the events flow to the workers."""
    with (
        closing(_client(base, "m019")) as manager,
        closing(_client(base, "admin")) as admin,
        closing(_client(base, "s02")) as supervisor,
    ):
        visits = manager.get("/visits").json()["items"]
        visit = next(v for v in visits if v["status"] == "planned" and v["method"] == "on_site")
        offline = next(v for v in visits if v["status"] == "planned" and v["visit_id"] != visit["visit_id"])
        tasks = manager.get(f"/visits/{visit['visit_id']}").json()["tasks"]
        assert manager.get("/plans/summary", params={"period": "day"}).status_code == 200
        assert manager.get("/tasks/library").status_code == 200
        customer = visit["customer"]
        qr = admin.get(f"/admin/customers/{customer['id']}/qr").json()["qr"]
        fix = {"lat": customer["location"]["lat"], "lon": customer["location"]["lon"], "accuracy_m": 8.0}
        checkin = manager.post("/checkins", json={"op_id": str(uuid.uuid4()), "qr": qr, **fix, "client_ts": _now()})
        assert checkin.status_code == 201, checkin.text
        done = manager.post(
            f"/visits/{visit['visit_id']}/tasks/{tasks[0]['task_id']}/complete",
            json={"op_id": str(uuid.uuid4()), "client_ts": _now()},
        )
        assert done.status_code in (200, 201), done.text
        completed = manager.post(
            f"/visits/{visit['visit_id']}/complete", json={"op_id": str(uuid.uuid4()), "client_ts": _now()}
        )
        assert completed.status_code in (200, 201), completed.text

        other = offline["customer"]
        other_qr = admin.get(f"/admin/customers/{other['id']}/qr").json()["qr"]
        other_fix = {"lat": other["location"]["lat"], "lon": other["location"]["lon"], "accuracy_m": 8.0}
        ops = [
            {
                "op_id": str(uuid.uuid4()),
                "type": "checkin",
                "payload": {"qr": other_qr, **other_fix},
                "client_ts": _now(),
            }
        ]
        assert manager.post("/sync", json={"ops": ops}).status_code == 200

        start = datetime.now(UTC) - timedelta(minutes=5)
        points = [
            {
                "lat": fix["lat"] + i * 1e-5,
                "lon": fix["lon"],
                "accuracy_m": 9.0,
                "ts": (start + timedelta(seconds=30 * i)).isoformat(),
            }
            for i in range(10)
        ]
        assert manager.post("/tracks", json={"points": points}).status_code == 200

        device = admin.post("/admin/devices", json={"customer_id": customer["id"], "name": "metrics e2e"})
        assert device.status_code == 201, device.text
        scans = [{"code": "M0001", "sku": "sku-1", "qty": 1, "unit_price": 20.0, "kind": "sale", "ts": _now()}]
        answer = httpx.post(
            f"{base}/api/v1/scans", json={"scans": scans}, headers={"X-Device-Key": device.json()["key"]}, timeout=15
        )
        assert answer.status_code == 200, answer.text
        assert supervisor.get("/team/progress").status_code == 200


def _scrape(base: str) -> tuple[set[str], set[str]]:
    """(sampled, declared) names over the gateway and every service process of the stack."""
    offset = (urlsplit(base).port or GATEWAY_BASE_PORT) - GATEWAY_BASE_PORT
    urls = [f"{base}/metrics", *(f"http://127.0.0.1:{port + offset}/metrics" for port in METRICS_PORTS)]
    sampled: set[str] = set()
    declared: set[str] = set()
    for url in urls:
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200, url
        names = exported_names(page.text)
        sampled |= names[0]
        declared |= names[1]
    return sampled, declared


@pytest.fixture(scope="module")
def exported(stack: str) -> Iterator[tuple[set[str], set[str]]]:
    """The stack's exported names once the load's events have been applied by the workers."""
    _load(stack)
    used, recorded = used_metric_names()

    def complete() -> tuple[set[str], set[str]] | None:
        names = _scrape(stack)
        return names if not unexported(used, recorded, *names) else None

    # Workers export the event metrics only once they applied the load's events: wait for them,
    # then report what is still missing (if anything) from the last scrape.
    try:
        yield wait_until(complete, timeout=60, interval=1.0, what="every used metric to be exported")
    except AssertionError:
        yield _scrape(stack)


def test_every_metric_the_rules_and_the_dashboard_read_is_exported_by_the_stack(exported) -> None:
    used, recorded = used_metric_names()
    assert {"baifang_http_request_seconds_bucket", "baifang_event_age_seconds_bucket", "up"} <= used
    assert unexported(used, recorded, *exported) == []
    assert set(FAILURE_ONLY) <= exported[1]


def test_a_rule_reading_a_metric_nobody_exports_is_reported(exported, tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, folder)
    alerts = folder / "alerts.yml"
    alerts.write_text(alerts.read_text().replace("baifang_event_consume_seconds_count", "baifang_event_consumed_total"))
    used, recorded = names_in_rules(rule_files(folder / "prometheus.yml"))
    assert unexported(used, recorded, *exported) == [
        "baifang_event_consumed_total: not exported by any process of the stack"
    ]


def test_every_listener_of_the_stack_binds_loopback(stack_run) -> None:
    """BIND_HOST defaults to 127.0.0.1: the gRPC, metrics/health and HTTP ports of every process of a
    local stack listen on loopback only (the pods set 0.0.0.0 and the NetworkPolicies guard them)."""
    if "BIND_HOST" in stack_run.env:
        pytest.skip(f"BIND_HOST={stack_run.env['BIND_HOST']} is set for this run")
    pid_files = sorted((Path(__file__).resolve().parents[2] / stack_run.run_dir / "run").glob("*.pid"))
    listening: dict[str, set[str]] = {}
    for pid_file in pid_files:
        leader = psutil.Process(int(pid_file.read_text().split()[0]))
        for proc in (leader, *leader.children(recursive=True)):
            hosts = listening.setdefault(pid_file.stem, set())
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    hosts.add(conn.laddr.ip.removeprefix("::ffff:"))
    # The gateway and the grpc and worker process of each service: each has its metrics port at least.
    assert len(listening) == 9, sorted(listening)
    assert all(hosts == {"127.0.0.1"} for hosts in listening.values()), listening
