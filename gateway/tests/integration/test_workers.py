"""GATEWAY_WORKERS: several gateway processes on one port, answering /metrics as one gateway."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from baifang_common.testing.plugin import REPO_ROOT, free_port
from baifang_common.testing.wait import wait_until

pytestmark = pytest.mark.integration


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return int(resp.status), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def _workers(parent: int) -> list[int]:
    """The parent's worker processes (multiprocessing also starts a resource tracker, not a worker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    found = []
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except FileNotFoundError:
            continue
    return found


def _healthz_count(port: int) -> float:
    status, text = _get(port, "/metrics")
    assert status == 200
    pattern = r'^baifang_http_requests_total\{[^}]*route="/healthz"[^}]*\} ([0-9.e+]+)$'
    return sum(float(m) for m in re.findall(pattern, text, re.MULTILINE))


def test_two_workers_share_the_port_sum_their_metrics_and_are_replaced_when_one_dies(
    isolation: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, **isolation, "GATEWAY_PORT": str(port), "GATEWAY_WORKERS": "2"}
    with (tmp_path / "gateway.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
    try:
        wait_until(lambda: _get(port, "/readyz")[0] == 200, timeout=60, interval=0.2, what="gateway ready")
        first = wait_until(lambda: len(_workers(proc.pid)) == 2 and _workers(proc.pid), what="two workers")
        metrics_dir = Path(
            next(
                v.decode().partition("=")[2]
                for v in Path(f"/proc/{first[0]}/environ").read_bytes().split(b"\0")
                if v.startswith(b"PROMETHEUS_MULTIPROC_DIR=")
            )
        )

        for _ in range(30):
            assert _get(port, "/healthz")[0] == 200
        assert _healthz_count(port) == 30

        os.kill(first[0], signal.SIGKILL)
        replaced = wait_until(
            lambda: len(w := _workers(proc.pid)) == 2 and first[0] not in w and w, timeout=60, what="a new worker"
        )
        assert first[1] in replaced
        wait_until(lambda: _get(port, "/readyz")[0] == 200, timeout=60, interval=0.2, what="ready again")
        for _ in range(10):
            assert _get(port, "/healthz")[0] == 200
        # The dead worker's counts stay in the sum: a counter never goes back.
        assert _healthz_count(port) == 40

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)
        assert not metrics_dir.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
