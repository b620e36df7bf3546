"""End-to-end policy: the whole stack of real processes (four services' gRPC servers and
workers, and the gateway) runs on shifted ports against the real RabbitMQ, Redis and store,
isolated by its own vhost, database suffix and key prefix, loaded with a small demo data set,
and driven only through the gateway's public HTTP API.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from baifang_common.settings import ServiceSettings
from baifang_common.testing.plugin import (
    create_vhost,
    delete_vhost,
    drop_isolated,
    isolated_env,
    queued_messages,
    unique,
)
from baifang_common.testing.wait import wait_until

ROOT = Path(__file__).resolve().parents[2]
# Base ports of the stack (scripts/stack.py); the run shifts them all by one free offset.
BASE_PORTS = (8080, 50051, 50052, 50053, 50054, *range(9101, 9109))
DEMO_MANAGERS = 20
DEMO_CUSTOMERS = 400


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_offset() -> int:
    """An offset at which every port of the stack is free, so runs never answer for each other."""
    rng = random.Random()
    for _ in range(200):
        offset = rng.randrange(11000, 15400)  # keeps gRPC ports (50051+) above the ephemeral range
        if all(_port_free(port + offset) for port in BASE_PORTS):
            return offset
    raise AssertionError("no free port range for the end-to-end stack")


def _run(args: list[str], env: dict[str, str], timeout: float) -> None:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )


@dataclass(frozen=True)
class StackRun:
    """A running stack: its gateway URL and what is needed to act on one of its processes."""

    url: str
    env: dict[str, str]  # the processes' environment (vhost, database suffix, key prefix)
    run_dir: str
    offset: int
    vhost: str
    seeded_at: datetime  # just before the seed ran: what the demo had uploaded by then is in it
    demo: tuple[int, int] = (DEMO_MANAGERS, DEMO_CUSTOMERS)  # the seed's managers and outlets

    def pid(self, name: str) -> int:
        """Pid of the stack's process `name` (it leads its own process group)."""
        return int((ROOT / self.run_dir / "run" / f"{name}.pid").read_text().split()[0])

    def kill(self, name: str) -> None:
        """SIGKILL one process of the stack (its whole group), as a crash would, and wait until it is gone."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        wait_until(lambda: not _running(pid), timeout=15, interval=0.1, what=f"{name} gone")

    def restart(self, name: str) -> None:
        """Start what is missing again with the same command and environment; returns once it is ready."""
        args = ["scripts/stack.py", "up", "--port-offset", str(self.offset), "--run-dir", self.run_dir]
        _run(args, self.env, 120)
        assert _running(self.pid(name)), f"{name} did not come back"


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait a moment for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture(scope="session")
def stack_run(infra: ServiceSettings) -> Iterator[StackRun]:
    """Start the stack, seed it, yield it; stop and clean up afterwards."""
    vhost = unique("e2e-")
    env_overrides = isolated_env(infra, create_vhost(vhost))
    env = {**os.environ, **env_overrides}
    run_dir = f"var/e2e-{vhost}"
    offset = free_port_offset()
    try:
        _run(["scripts/stack.py", "up", "--port-offset", str(offset), "--run-dir", run_dir], env, 180)
        seeded_at = datetime.now(UTC)
        _run(["scripts/seed.py", "--managers", str(DEMO_MANAGERS), "--customers", str(DEMO_CUSTOMERS)], env, 240)
        # The workers absorb the seed's events first, so the flows below see live updates.
        started = time.monotonic()
        wait_until(lambda: queued_messages(vhost) == 0, timeout=240, interval=0.5, what="the seed's events drained")
        print(f"seed events drained in {time.monotonic() - started:.1f}s")
        yield StackRun(f"http://127.0.0.1:{8080 + offset}", env, run_dir, offset, vhost, seeded_at)
    finally:
        subprocess.run(
            [sys.executable, "scripts/stack.py", "down", "--run-dir", run_dir], cwd=ROOT, env=env, check=False
        )
        drop_isolated(env_overrides)
        delete_vhost(vhost)


@pytest.fixture(scope="session")
def stack(stack_run: StackRun) -> str:
    """The gateway's base URL of the running stack."""
    return stack_run.url


@pytest.fixture
def login(stack: str) -> Iterator[Callable[[str], httpx.Client]]:
    """Log a demo account in; the client carries its bearer token."""
    clients: list[httpx.Client] = []

    def as_user(username: str) -> httpx.Client:
        password = os.environ.get("BAIFANG_DEMO_PASSWORD", "baifang-demo")
        client = httpx.Client(base_url=f"{stack}/api/v1", timeout=15)
        clients.append(client)
        answer = client.post("/auth/login", json={"username": username, "password": password, "remember": True})
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client

    yield as_user
    for client in clients:
        client.close()
